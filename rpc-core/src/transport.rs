//! The transport contract: a `Sink` of frames plus a `Stream` of frames.

use std::io;

use futures::{Sink, Stream};

use crate::Frame;

/// Anything that moves [`Frame`]s both ways can carry a session.
///
/// The stream ends (`None`) when the peer closes cleanly; an `Err` item is a broken connection.
/// Implemented automatically for every matching type, so a `tokio_util::codec::Framed` or a
/// WebSocket adapter needs no extra code.
///
/// ```
/// use futures::{SinkExt, StreamExt};
/// use rpc_core::{Frame, Transport};
///
/// fn assert_transport<T: Transport>(_: &T) {}
///
/// // A pair of channels is a transport.
/// let (tx, rx) = futures::channel::mpsc::unbounded::<Frame>();
/// let sink = tx.sink_map_err(|e| std::io::Error::other(e));
/// let stream = rx.map(Ok::<Frame, std::io::Error>);
/// let joined = rpc_core::transport::join(stream, sink);
/// assert_transport(&joined);
/// ```
pub trait Transport:
    Stream<Item = io::Result<Frame>> + Sink<Frame, Error = io::Error> + Send + Unpin + 'static
{
}

impl<T> Transport for T where
    T: Stream<Item = io::Result<Frame>> + Sink<Frame, Error = io::Error> + Send + Unpin + 'static
{
}

/// Joins a separate frame stream and frame sink into one [`Transport`].
pub fn join<St, Si>(stream: St, sink: Si) -> Joined<St, Si>
where
    St: Stream<Item = io::Result<Frame>> + Send + Unpin + 'static,
    Si: Sink<Frame, Error = io::Error> + Send + Unpin + 'static,
{
    Joined { stream, sink }
}

/// A stream half and a sink half acting as one transport; see [`join`].
#[derive(Debug)]
pub struct Joined<St, Si> {
    stream: St,
    sink: Si,
}

impl<St: Stream + Unpin, Si: Unpin> Stream for Joined<St, Si> {
    type Item = St::Item;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::pin::Pin::new(&mut self.stream).poll_next(cx)
    }
}

impl<St: Unpin, Si: Sink<Frame> + Unpin> Sink<Frame> for Joined<St, Si> {
    type Error = Si::Error;
    fn poll_ready(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::pin::Pin::new(&mut self.sink).poll_ready(cx)
    }
    fn start_send(mut self: std::pin::Pin<&mut Self>, item: Frame) -> Result<(), Self::Error> {
        std::pin::Pin::new(&mut self.sink).start_send(item)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::pin::Pin::new(&mut self.sink).poll_flush(cx)
    }
    fn poll_close(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::pin::Pin::new(&mut self.sink).poll_close(cx)
    }
}
