//! `WebSocketTransport`: a tokio-tungstenite socket seen as a stream and sink of frames.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures::{Sink, Stream};
use rpc_core::Frame;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::close::{CloseState, NO_STATUS_CODE, NORMAL_CLOSE_CODE, describe_peer_close};

/// A WebSocket carrying one protocol message per WebSocket message.
///
/// - Text messages are [`Frame::Text`] (Cap'n Web JSON), binary messages [`Frame::Binary`].
/// - Pings are answered by tungstenite and never reach the session.
/// - When the peer closes, the stream yields `Frame::Close("<code> <reason>")` once, then ends.
/// - Sending [`Frame::Close`]`(reason)` sends a close frame with code 3000 and the reason cut
///   to 123 bytes, as capnweb does; closing the sink without one sends code 1000. After the
///   peer's close, either one just completes the close handshake (the reply echoes the
///   peer's code, as RFC 6455 asks).
///
/// Build one with [`connect`](super::connect), [`accept`](super::accept) or, for a socket
/// upgraded elsewhere, [`WebSocketTransport::new`].
#[derive(Debug)]
pub struct WebSocketTransport<S> {
    socket: WebSocketStream<S>,
    close: CloseState,
}

impl<S> WebSocketTransport<S> {
    /// Wraps an open WebSocket (its handshake already done).
    pub fn new(socket: WebSocketStream<S>) -> Self {
        WebSocketTransport {
            socket,
            close: CloseState::default(),
        }
    }

    /// The WebSocket inside.
    pub fn get_ref(&self) -> &WebSocketStream<S> {
        &self.socket
    }

    /// Unwraps the WebSocket.
    pub fn into_inner(self) -> WebSocketStream<S> {
        self.socket
    }
}

impl<S> Stream for WebSocketTransport<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Item = io::Result<Frame>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.close.is_peer_closed() {
            return Poll::Ready(None);
        }
        loop {
            let message = match ready!(Pin::new(&mut self.socket).poll_next(cx)) {
                None => return Poll::Ready(None),
                Some(Err(e)) => return Poll::Ready(Some(Err(to_io_error(e)))),
                Some(Ok(message)) => message,
            };
            let frame = match message {
                Message::Text(text) => Frame::Text(text.as_str().to_owned()),
                Message::Binary(data) => Frame::Binary(data),
                Message::Close(close) => {
                    self.close.peer_closed();
                    let (code, reason) = match &close {
                        Some(f) => (u16::from(f.code), f.reason.as_str()),
                        None => (NO_STATUS_CODE, ""),
                    };
                    Frame::Close(describe_peer_close(code, reason))
                }
                // Tungstenite queues the pong itself and sends it on the next read or flush.
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
            };
            return Poll::Ready(Some(Ok(frame)));
        }
    }
}

impl<S> Sink<Frame> for WebSocketTransport<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Error = io::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket)
            .poll_ready(cx)
            .map_err(to_io_error)
    }

    fn start_send(mut self: Pin<&mut Self>, frame: Frame) -> io::Result<()> {
        let message = match frame {
            Frame::Text(text) => Message::Text(text.into()),
            Frame::Binary(data) => Message::Binary(data),
            // After the peer's close, the next flush sends tungstenite's queued reply.
            Frame::Close(reason) => match self.close.session_close(&reason) {
                Some((code, reason)) => close_message(code, reason),
                None => return Ok(()),
            },
        };
        Pin::new(&mut self.socket)
            .start_send(message)
            .map_err(to_io_error)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket)
            .poll_flush(cx)
            .map_err(to_io_error)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.close.owes_close() {
            // Tungstenite would close without a code; say "normal closure" instead.
            ready!(self.as_mut().poll_ready(cx))?;
            self.close.mark_sent();
            let message = close_message(NORMAL_CLOSE_CODE, "");
            Pin::new(&mut self.socket)
                .start_send(message)
                .map_err(to_io_error)?;
        }
        Pin::new(&mut self.socket)
            .poll_close(cx)
            .map_err(to_io_error)
    }
}

fn close_message(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    }))
}

/// Keeps the kind of I/O errors; the rest (protocol violations, oversized messages) become
/// `InvalidData`, a closed socket `NotConnected`.
pub(crate) fn to_io_error(error: WsError) -> io::Error {
    match error {
        WsError::Io(e) => e,
        WsError::ConnectionClosed | WsError::AlreadyClosed => {
            io::Error::new(io::ErrorKind::NotConnected, error)
        }
        other => io::Error::new(io::ErrorKind::InvalidData, other),
    }
}
