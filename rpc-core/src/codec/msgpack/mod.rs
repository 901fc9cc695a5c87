//! MessagePack (placeholder until the codec lands).

use super::{Codec, CodecError};
use crate::{Frame, Limits, protocol::Message};

/// The MessagePack codec.
#[derive(Debug, Clone, Copy, Default)]
pub struct MsgPack;

impl Codec for MsgPack {
    fn name(&self) -> &'static str {
        "msgpack"
    }
    fn encode(&self, _message: &Message) -> Result<Frame, CodecError> {
        Err(CodecError::Malformed("msgpack codec not built yet".into()))
    }
    fn decode(&self, _frame: &Frame, _limits: &Limits) -> Result<Message, CodecError> {
        Err(CodecError::Malformed("msgpack codec not built yet".into()))
    }
}
