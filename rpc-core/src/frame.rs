//! The frame: the unit a transport moves.

use bytes::Bytes;

/// One transport frame: one message of the protocol.
///
/// Text frames carry Cap'n Web JSON; binary frames carry MessagePack. A WebSocket keeps the
/// distinction per frame; byte-stream transports (TCP, Unix, stdio) carry only binary frames.
///
/// ```
/// use rpc_core::Frame;
/// let f = Frame::Text("[\"pull\",1]".into());
/// assert_eq!(f.len(), 10);
/// assert!(f.is_text());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A UTF-8 text frame.
    Text(String),
    /// A binary frame.
    Binary(Bytes),
    /// The sender is closing the connection, for this reason. It is the last frame a session
    /// sends; a WebSocket turns it into a close frame (code 3000, as capnweb does), byte-stream
    /// transports just close. A transport may yield it when the peer closes with a reason.
    Close(String),
}

impl Frame {
    /// The payload length in bytes.
    pub fn len(&self) -> usize {
        match self {
            Frame::Text(s) => s.len(),
            Frame::Binary(b) => b.len(),
            Frame::Close(_) => 0,
        }
    }

    /// True when the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True for a text frame.
    pub fn is_text(&self) -> bool {
        matches!(self, Frame::Text(_))
    }

    /// The payload bytes, whatever the kind.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Frame::Text(s) => s.as_bytes(),
            Frame::Binary(b) => b,
            Frame::Close(_) => &[],
        }
    }
}
