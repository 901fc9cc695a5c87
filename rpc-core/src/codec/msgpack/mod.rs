//! MessagePack: the Cap'n Web model made compact, for Rust-to-Rust sessions.

mod decode;
pub(crate) mod encode;
pub(crate) mod read;

use bytes::Bytes;

use super::shared::check_frame_size;
use super::{Codec, CodecError};
use crate::{Frame, Limits, protocol::Message};

/// Messages up to this size are encoded in a per-thread buffer and copied out.
const SCRATCH_BYTES: usize = 4096;

fn too_long() -> CodecError {
    CodecError::Malformed("a string, array or map is too long for MessagePack".into())
}

/// The MessagePack codec.
///
/// The shapes are the JSON codec's (a message is an array led by its tag string, a real array is
/// escaped as `[[…]]`, special values are tagged arrays), but the scalars are native: integers use
/// the whole `i64` range, floats (NaN and infinities included) are raw `f64`, and bytes are `bin`:
/// `["bytes", bin, type?]`. A string holding lone surrogates travels as
/// `["utf16", bin of little-endian code units]`, and an unsigned integer above `i64::MAX` decodes
/// as a `BigInt`. Decoding also accepts the JSON codec's `["nan"]`, `["inf"]` and `["-inf"]`.
///
/// Frames are always binary; decoding a text frame fails. The decoder keeps its open containers
/// on the heap, so no input can exhaust the thread stack, and it enforces every [`Limits`] field.
///
/// ```
/// use rpc_core::codec::{Codec, MsgPack};
/// use rpc_core::protocol::{Expr, Message};
/// use rpc_core::{Frame, Limits};
///
/// let msg = Message::Resolve(1, Expr::Array(vec![Expr::Int(i64::MAX), Expr::Float(f64::INFINITY)]));
/// let frame = MsgPack.encode(&msg).unwrap();
/// assert!(matches!(frame, Frame::Binary(_)));
/// assert_eq!(MsgPack.decode(&frame, &Limits::default()).unwrap(), msg);
///
/// // `["pull", 1]` is seven bytes.
/// assert_eq!(MsgPack.encode(&Message::Pull(1)).unwrap().as_bytes(), b"\x92\xa4pull\x01");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MsgPack;

impl MsgPack {
    /// Encodes one message as MessagePack bytes (what [`Codec::encode`] wraps in a binary frame).
    ///
    /// ```
    /// use rpc_core::codec::MsgPack;
    /// use rpc_core::protocol::Message;
    /// assert_eq!(MsgPack::to_vec(&Message::Pipe).unwrap(), b"\x91\xa4pipe");
    /// ```
    pub fn to_vec(message: &Message) -> Result<Vec<u8>, CodecError> {
        let mut buf = Vec::with_capacity(encode::size_hint(message));
        encode::message(&mut buf, message).map_err(|encode::TooLong| too_long())?;
        Ok(buf)
    }

    /// Decodes one message from MessagePack bytes, enforcing `limits`.
    ///
    /// ```
    /// use rpc_core::codec::MsgPack;
    /// use rpc_core::protocol::Message;
    /// use rpc_core::Limits;
    /// let msg = MsgPack::from_slice(b"\x93\xa7release\x02\x01", &Limits::default()).unwrap();
    /// assert_eq!(msg, Message::Release(2, 1));
    /// ```
    pub fn from_slice(bytes: &[u8], limits: &Limits) -> Result<Message, CodecError> {
        check_frame_size(bytes.len(), limits)?;
        decode::message(bytes, limits)
    }
}

impl Codec for MsgPack {
    fn name(&self) -> &'static str {
        "msgpack"
    }

    fn peer_is_capstan(&self) -> bool {
        true
    }

    fn encode(&self, message: &Message) -> Result<Frame, CodecError> {
        // A small message is encoded in a buffer kept per thread and copied out at its exact
        // size: one allocation per message instead of two (the `Vec`, then `Bytes`' shared
        // header for a `Vec` with spare capacity). A large one keeps its own buffer, uncopied.
        thread_local! {
            static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        SCRATCH.with(|scratch| {
            let Ok(mut buf) = scratch.try_borrow_mut() else {
                return Self::to_vec(message).map(|buf| Frame::Binary(Bytes::from(buf)));
            };
            buf.clear();
            buf.reserve(encode::size_hint(message));
            encode::message(&mut buf, message).map_err(|encode::TooLong| too_long())?;
            if buf.len() > SCRATCH_BYTES {
                return Ok(Frame::Binary(Bytes::from(std::mem::take(&mut *buf))));
            }
            let frame = Frame::Binary(Bytes::copy_from_slice(&buf));
            if buf.capacity() > 4 * SCRATCH_BYTES {
                // An overestimated size hint: do not keep its buffer for good.
                *buf = Vec::new();
            }
            Ok(frame)
        })
    }

    fn decode(&self, frame: &Frame, limits: &Limits) -> Result<Message, CodecError> {
        check_frame_size(frame.len(), limits)?;
        match frame {
            // Zero-copy: large byte strings are slices of the frame.
            Frame::Binary(bytes) => decode::message_in(bytes, limits),
            Frame::Text(_) => Err(CodecError::Malformed(
                "MessagePack arrives in binary frames, not text".into(),
            )),
            Frame::Close(_) => Err(CodecError::Malformed("a close frame is no message".into())),
        }
    }
}
