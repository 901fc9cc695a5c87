//! `Auto`: speak whichever encoding the peer speaks.

use std::sync::atomic::{AtomicBool, Ordering};

use super::{Codec, CodecError, Json, MsgPack};
use crate::{Frame, Limits, protocol::Message};

/// Decodes both encodings and answers in the one the peer used last.
///
/// A text frame is JSON. A binary frame is JSON if it starts with `[` — a byte that can never
/// begin a MessagePack message, since every message is an array and MessagePack arrays start
/// with `0x90..=0x9f`, `0xdc` or `0xdd` — and MessagePack otherwise. So one server serves
/// capnweb (JSON) and Rust peers (MessagePack) on the same socket, and JSON even works over
/// byte-stream transports. Until the peer has spoken, it sends its preferred encoding.
///
/// It is the default codec, preferring MessagePack.
///
/// ```
/// use rpc_core::codec::{Auto, Codec, Json, MsgPack};
/// use rpc_core::{Limits, protocol::Message};
///
/// let auto = Auto::default();
/// assert!(!auto.encode(&Message::Pull(1)).unwrap().is_text()); // MessagePack first
/// let from_js = Json.encode(&Message::Pull(2)).unwrap();
/// assert_eq!(auto.decode(&from_js, &Limits::default()).unwrap(), Message::Pull(2));
/// assert!(auto.encode(&Message::Pull(1)).unwrap().is_text()); // now answers in JSON
/// ```
#[derive(Debug)]
pub struct Auto {
    json: AtomicBool,
}

impl Default for Auto {
    fn default() -> Self {
        Auto::prefer_msgpack()
    }
}

impl Auto {
    /// Sends MessagePack until the peer speaks JSON.
    pub fn prefer_msgpack() -> Self {
        Auto {
            json: AtomicBool::new(false),
        }
    }

    /// Sends JSON until the peer speaks MessagePack.
    pub fn prefer_json() -> Self {
        Auto {
            json: AtomicBool::new(true),
        }
    }

    fn is_json(frame: &Frame) -> bool {
        match frame {
            Frame::Text(_) => true,
            Frame::Binary(b) => b.first() == Some(&b'['),
            Frame::Close(_) => false,
        }
    }
}

impl Codec for Auto {
    fn name(&self) -> &'static str {
        if self.json.load(Ordering::Relaxed) {
            "auto (json)"
        } else {
            "auto (msgpack)"
        }
    }

    fn peer_is_capstan(&self) -> bool {
        !self.json.load(Ordering::Relaxed)
    }

    fn encode(&self, message: &Message) -> Result<Frame, CodecError> {
        if self.json.load(Ordering::Relaxed) {
            Json.encode(message)
        } else {
            MsgPack.encode(message)
        }
    }

    fn decode(&self, frame: &Frame, limits: &Limits) -> Result<Message, CodecError> {
        let json = Self::is_json(frame);
        self.json.store(json, Ordering::Relaxed);
        if json {
            Json.decode(frame, limits)
        } else {
            MsgPack.decode(frame, limits)
        }
    }
}
