//! The Cap'n Web JSON codec: byte-for-byte what capnweb 0.12 sends and accepts.

mod decode;
mod encode;
mod fetch;
mod lex;
mod special;

use super::shared::check_frame_size;
use super::{Codec, CodecError};
use crate::{Frame, Limits, protocol::Message};

/// The Cap'n Web JSON codec.
///
/// Encoding produces exactly the text `JSON.stringify` gives in capnweb 0.12: no whitespace, real
/// arrays escaped as `[[…]]`, NaN and infinities as `["nan"]`/`["inf"]`/`["-inf"]`, integers
/// beyond ±2^53 as `["bigint",…]`, unpadded base64 bytes, and lone surrogates as `\udxxx`.
/// Decoding accepts text frames, and binary frames that hold UTF-8 JSON, and enforces every
/// [`Limits`] field; its parser keeps its own stack on the heap, so no input can exhaust the
/// thread stack.
///
/// ```
/// use rpc_core::codec::{Codec, Json};
/// use rpc_core::protocol::{Expr, Message, PathKey};
/// use rpc_core::{Frame, Limits};
///
/// // `api.square(7)`, as capnweb sends it.
/// let push = Message::Push(Expr::pipeline(
///     0,
///     Some(vec![PathKey::from("square")]),
///     Some(vec![Expr::Int(7)]),
/// ));
/// let frame = Json.encode(&push).unwrap();
/// assert_eq!(frame, Frame::Text(r#"["push",["pipeline",0,["square"],[7]]]"#.into()));
/// assert_eq!(Json.decode(&frame, &Limits::default()).unwrap(), push);
///
/// // Real arrays travel escaped.
/// let resolve = Message::Resolve(1, Expr::Array(vec![Expr::Int(1), Expr::Float(f64::INFINITY)]));
/// assert_eq!(Json.encode(&resolve).unwrap().as_bytes(), br#"["resolve",1,[[1,["inf"]]]]"#);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl Json {
    /// Encodes one message as JSON text (what [`Codec::encode`] wraps in a text frame).
    ///
    /// ```
    /// use rpc_core::codec::Json;
    /// use rpc_core::protocol::Message;
    /// assert_eq!(Json::to_text(&Message::Release(1, 1)), r#"["release",1,1]"#);
    /// ```
    pub fn to_text(message: &Message) -> String {
        encode::message(message)
    }

    /// Decodes one message from JSON text, enforcing `limits`.
    ///
    /// ```
    /// use rpc_core::codec::Json;
    /// use rpc_core::protocol::Message;
    /// use rpc_core::Limits;
    /// let msg = Json::from_text(r#"["pull",3]"#, &Limits::default()).unwrap();
    /// assert_eq!(msg, Message::Pull(3));
    /// ```
    pub fn from_text(text: &str, limits: &Limits) -> Result<Message, CodecError> {
        check_frame_size(text.len(), limits)?;
        decode::message(text, limits)
    }
}

impl Codec for Json {
    fn name(&self) -> &'static str {
        "json"
    }

    fn encode(&self, message: &Message) -> Result<Frame, CodecError> {
        Ok(Frame::Text(encode::message(message)))
    }

    fn decode(&self, frame: &Frame, limits: &Limits) -> Result<Message, CodecError> {
        check_frame_size(frame.len(), limits)?;
        let text = match frame {
            Frame::Text(text) => text.as_str(),
            Frame::Binary(bytes) => std::str::from_utf8(bytes).map_err(|e| {
                CodecError::Malformed(format!("binary frame is not UTF-8 JSON: {e}"))
            })?,
            Frame::Close(_) => {
                return Err(CodecError::Malformed("a close frame is no message".into()));
            }
        };
        decode::message(text, limits)
    }
}
