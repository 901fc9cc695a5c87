//! Codecs: the bytes of the protocol model.
//!
//! A [`Codec`] turns a [`Message`] into one [`Frame`] and back. Two ship with Capstan:
//! [`Json`], byte-for-byte what capnweb 0.12 sends, and [`MsgPack`], the same model made compact,
//! the default between Rust peers.

mod auto;
mod json;
pub(crate) mod msgpack;
mod shared;

pub use auto::Auto;
pub use json::Json;
pub use msgpack::MsgPack;

use crate::{Frame, Limits, protocol::Message};

/// Why a frame could not be decoded (or a message encoded).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The frame is not a well-formed message.
    #[error("bad RPC message: {0}")]
    Malformed(String),
    /// The frame exceeds a configured limit; the string names the limit.
    #[error("{limit} limit exceeded: {detail}")]
    Limit {
        /// The limit's name, as in [`Limits`] (`max_depth`, `max_bigint_digits`, …).
        limit: &'static str,
        /// What was seen.
        detail: String,
    },
}

/// Encodes messages to frames and decodes frames to messages.
///
/// ```
/// use rpc_core::codec::{Codec, Json, MsgPack};
/// use rpc_core::protocol::Message;
/// use rpc_core::Limits;
///
/// for codec in [&Json as &dyn Codec, &MsgPack] {
///     let frame = codec.encode(&Message::Pull(1)).unwrap();
///     assert_eq!(codec.decode(&frame, &Limits::default()).unwrap(), Message::Pull(1));
/// }
/// ```
pub trait Codec: Send + Sync + std::fmt::Debug + 'static {
    /// A short name for logs (`"json"`, `"msgpack"`).
    fn name(&self) -> &'static str;
    /// Encodes one message as one frame.
    fn encode(&self, message: &Message) -> Result<Frame, CodecError>;
    /// Decodes one frame, enforcing `limits` as it goes.
    fn decode(&self, frame: &Frame, limits: &Limits) -> Result<Message, CodecError>;

    /// True when the encoding in use can only be a Capstan peer's (capnweb speaks JSON alone),
    /// so Capstan's extensions, such as batched stream writes, are safe to use.
    fn peer_is_capstan(&self) -> bool {
        false
    }
}
