//! `RawConn`: a peer that writes frames directly and reads what the server answers.

use std::io;

use futures::{SinkExt, StreamExt};
use rpc_core::{
    Frame, Limits, Session, SessionBuilder, Transport,
    codec::{Json, MsgPack},
};

use super::PATIENCE;

/// What the server did next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A message, as capnweb JSON text (MessagePack answers are re-encoded as JSON so that
    /// one expectation fits both codecs).
    Message(String),
    /// A WebSocket close frame (`"<code> <reason>"`) or a memory transport's close.
    Close(String),
    /// The stream ended.
    End,
    /// The connection failed, for example reset after the server closed it.
    Failed(String),
}

impl Received {
    /// True for anything that means the connection is over.
    pub fn is_end(&self) -> bool {
        !matches!(self, Received::Message(_))
    }
}

/// One step of a raw conversation.
#[derive(Debug, Clone)]
pub enum Step {
    /// Send this frame.
    Send(Frame),
    /// The server's next frame must be this message.
    Expect(String),
    /// The server's next frames must be these messages, in any order (where only timing
    /// decides the order).
    ExpectAll(Vec<String>),
}

impl Step {
    /// Send a text frame.
    pub fn send(text: impl Into<String>) -> Step {
        Step::Send(Frame::Text(text.into()))
    }

    /// Expect a message.
    pub fn expect(text: impl Into<String>) -> Step {
        Step::Expect(text.into())
    }
}

/// A raw client: frames go out exactly as given, with no session in between.
pub struct RawConn {
    transport: Box<dyn Transport>,
}

/// A session configured by `builder` on one end of a memory pair, and a raw peer on the other.
/// For tests that need no socket (the limits at their boundaries).
pub fn serve_raw(builder: SessionBuilder) -> (Session, RawConn) {
    let (a, b) = rpc_transports::memory::pair();
    (builder.start(a), RawConn::new(b))
}

/// Renders a received payload as text: JSON as it is, MessagePack decoded and re-encoded.
fn payload_text(bytes: &[u8]) -> String {
    if bytes.first() == Some(&b'[') {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    match MsgPack::from_slice(bytes, &Limits::default()) {
        Ok(message) => Json::to_text(&message),
        Err(e) => format!("<undecodable binary frame: {e}>"),
    }
}

impl RawConn {
    /// Wraps any transport (TCP, WebSocket, memory).
    pub fn new(transport: impl Transport) -> Self {
        RawConn {
            transport: Box::new(transport),
        }
    }

    /// Sends one frame; fails after [`PATIENCE`] if the server stopped reading.
    pub async fn send_frame(&mut self, frame: Frame) -> io::Result<()> {
        match tokio::time::timeout(PATIENCE, self.transport.send(frame)).await {
            Ok(result) => result,
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "send timed out")),
        }
    }

    /// Sends one text frame (binary, holding the text, on byte-stream transports).
    pub async fn send(&mut self, text: &str) {
        if let Err(e) = self.send_frame(Frame::Text(text.to_owned())).await {
            panic!("could not send {:?}: {e}", short(text));
        }
    }

    /// The next thing the server did; panics if nothing happens within [`PATIENCE`].
    pub async fn recv(&mut self) -> Received {
        let next = tokio::time::timeout(PATIENCE, self.transport.next())
            .await
            .unwrap_or_else(|_| panic!("the server sent nothing within {PATIENCE:?}: a hang"));
        match next {
            None => Received::End,
            Some(Err(e)) => Received::Failed(e.to_string()),
            Some(Ok(Frame::Text(t))) => Received::Message(t),
            Some(Ok(Frame::Binary(b))) => Received::Message(payload_text(&b)),
            Some(Ok(Frame::Close(reason))) => Received::Close(reason),
        }
    }

    /// The next frame must be exactly `expected`.
    pub async fn expect(&mut self, expected: &str) {
        let got = self.recv().await;
        assert_eq!(
            got,
            Received::Message(expected.to_owned()),
            "expected {expected}"
        );
    }

    /// Reads until `expected` arrives, skipping the releases the server sends for arguments
    /// it dropped (their timing relative to answers is not fixed).
    pub async fn expect_skipping_releases(&mut self, expected: &str) {
        loop {
            match self.recv().await {
                Received::Message(m) if m == expected => return,
                Received::Message(m) if m.starts_with(r#"["release","#) => continue,
                other => panic!("expected {expected}, got {other:?}"),
            }
        }
    }

    /// Runs a script: sends frames and checks what the server answers, in order.
    pub async fn run(&mut self, script: &[Step]) {
        for step in script {
            match step {
                Step::Send(Frame::Text(text)) => self.send(text).await,
                Step::Send(frame) => {
                    if let Err(e) = self.send_frame(frame.clone()).await {
                        panic!("could not send {frame:?}: {e}");
                    }
                }
                Step::Expect(expected) => self.expect(expected).await,
                Step::ExpectAll(expected) => {
                    let mut left = expected.clone();
                    while !left.is_empty() {
                        let got = self.recv().await;
                        let at = left
                            .iter()
                            .position(|e| got == Received::Message(e.clone()));
                        let at =
                            at.unwrap_or_else(|| panic!("got {got:?}, expected one of {left:?}"));
                        left.remove(at);
                    }
                }
            }
        }
    }

    /// Reads until the connection ends and returns everything read. Panics if it has not
    /// ended within twice [`PATIENCE`].
    pub async fn read_to_end(&mut self) -> Vec<Received> {
        let mut seen = Vec::new();
        let read = async {
            loop {
                let next = self.recv().await;
                let end = next.is_end();
                // A close frame may be followed by the stream's end; read that too.
                seen.push(next);
                if end && !matches!(seen.last(), Some(Received::Close(_))) {
                    return;
                }
            }
        };
        if tokio::time::timeout(PATIENCE * 2, read).await.is_err() {
            panic!("the connection never ended; read {seen:?}");
        }
        seen
    }

    /// The server must abort the session, with `["abort",["error",…]]` whose text contains
    /// `needle`, then end the connection. Other messages may come first (answers to earlier
    /// pulls). Returns the abort message.
    pub async fn expect_abort(&mut self, needle: &str) -> String {
        let seen = self.read_to_end().await;
        let abort = seen.iter().find_map(|r| match r {
            Received::Message(m) if m.starts_with(r#"["abort","#) => Some(m.clone()),
            _ => None,
        });
        let Some(abort) = abort else {
            panic!("no abort (wanted one naming {needle:?}); the server sent {seen:?}");
        };
        assert!(
            abort.starts_with(r#"["abort",["error","#),
            "the abort carries no error: {abort}"
        );
        assert!(
            abort.contains(needle),
            "the abort does not name {needle:?}: {abort}"
        );
        // Nothing but the end follows an abort.
        let after: Vec<_> = seen
            .iter()
            .skip_while(|r| **r != Received::Message(abort.clone()))
            .skip(1)
            .collect();
        assert!(
            after.iter().all(|r| r.is_end()),
            "messages after the abort: {after:?}"
        );
        abort
    }

    /// The server must end the connection without sending an abort (a transport-level
    /// refusal). Returns what it saw.
    pub async fn expect_closed_without_abort(&mut self) -> Vec<Received> {
        let seen = self.read_to_end().await;
        assert!(
            !seen
                .iter()
                .any(|r| matches!(r, Received::Message(m) if m.starts_with(r#"["abort""#))),
            "unexpected abort: {seen:?}"
        );
        seen
    }
}

/// The start of a long frame, for panic messages.
pub(super) fn short(text: &str) -> String {
    let mut end = text.len().min(100);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if end < text.len() {
        format!("{}… ({} bytes)", &text[..end], text.len())
    } else {
        text.to_owned()
    }
}
