//! Cap'n Web JSON (placeholder until the codec lands).

use super::{Codec, CodecError};
use crate::{Frame, Limits, protocol::Message};

/// The Cap'n Web JSON codec.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl Codec for Json {
    fn name(&self) -> &'static str {
        "json"
    }
    fn encode(&self, _message: &Message) -> Result<Frame, CodecError> {
        Err(CodecError::Malformed("json codec not built yet".into()))
    }
    fn decode(&self, _frame: &Frame, _limits: &Limits) -> Result<Message, CodecError> {
        Err(CodecError::Malformed("json codec not built yet".into()))
    }
}
