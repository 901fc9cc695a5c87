//! `AxumWebSocketTransport`: axum's upgraded WebSocket seen as a stream and sink of frames.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::{Sink, Stream};
use rpc_core::Frame;

use crate::websocket::{CloseState, NO_STATUS_CODE, NORMAL_CLOSE_CODE, describe_peer_close};

/// An axum [`WebSocket`] carrying one protocol message per WebSocket message, with the same
/// behaviour as [`WebSocketTransport`](crate::websocket::WebSocketTransport):
///
/// - text is [`Frame::Text`], binary is [`Frame::Binary`]; pings are answered by axum;
/// - the peer's close is yielded once as `Frame::Close("<code> <reason>")`, then the stream
///   ends;
/// - [`Frame::Close`]`(reason)` sends close code 3000 with the reason cut to 123 bytes; closing
///   the sink without one sends code 1000; after the peer's close, either one just
///   completes the close handshake.
#[derive(Debug)]
pub struct AxumWebSocketTransport {
    socket: WebSocket,
    close: CloseState,
}

impl AxumWebSocketTransport {
    /// Wraps a socket from `WebSocketUpgrade::on_upgrade`.
    pub fn new(socket: WebSocket) -> Self {
        AxumWebSocketTransport {
            socket,
            close: CloseState::default(),
        }
    }

    /// Unwraps the socket.
    pub fn into_inner(self) -> WebSocket {
        self.socket
    }
}

impl Stream for AxumWebSocketTransport {
    type Item = io::Result<Frame>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.close.is_peer_closed() {
            return Poll::Ready(None);
        }
        loop {
            let message = match ready!(Pin::new(&mut self.socket).poll_next(cx)) {
                None => return Poll::Ready(None),
                Some(Err(e)) => return Poll::Ready(Some(Err(io::Error::other(e)))),
                Some(Ok(message)) => message,
            };
            let frame = match message {
                Message::Text(text) => Frame::Text(text.as_str().to_owned()),
                Message::Binary(data) => Frame::Binary(data),
                Message::Close(close) => {
                    self.close.peer_closed();
                    let (code, reason) = match &close {
                        Some(f) => (f.code, f.reason.as_str()),
                        None => (NO_STATUS_CODE, ""),
                    };
                    Frame::Close(describe_peer_close(code, reason))
                }
                // axum (tungstenite) answers pings itself.
                Message::Ping(_) | Message::Pong(_) => continue,
            };
            return Poll::Ready(Some(Ok(frame)));
        }
    }
}

impl Sink<Frame> for AxumWebSocketTransport {
    type Error = io::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket)
            .poll_ready(cx)
            .map_err(io::Error::other)
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
            .map_err(io::Error::other)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket)
            .poll_flush(cx)
            .map_err(io::Error::other)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.close.owes_close() {
            ready!(self.as_mut().poll_ready(cx))?;
            self.close.mark_sent();
            let message = close_message(NORMAL_CLOSE_CODE, "");
            Pin::new(&mut self.socket)
                .start_send(message)
                .map_err(io::Error::other)?;
        }
        Pin::new(&mut self.socket)
            .poll_close(cx)
            .map_err(io::Error::other)
    }
}

fn close_message(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}
