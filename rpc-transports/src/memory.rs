//! Two transports connected in memory, for tests and for sessions inside one process.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::channel::mpsc;
use futures::{Sink, Stream};
use rpc_core::Frame;

/// Creates two connected in-memory transports: what one sends, the other receives.
///
/// Frames keep their kind (text stays text) and their order. The channels are unbounded, so a
/// send never waits; that keeps tests free of buffer-size deadlocks. Dropping one end, or
/// closing its sink, ends the other end's stream.
///
/// ```
/// use futures::{SinkExt, StreamExt};
/// use rpc_core::Frame;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let (mut client, mut server) = rpc_transports::memory::pair();
/// client.send(Frame::Text("[\"pull\",1]".into())).await?;
/// assert_eq!(server.next().await.unwrap()?, Frame::Text("[\"pull\",1]".into()));
///
/// drop(client);
/// assert!(server.next().await.is_none());
/// # Ok(())
/// # }
/// ```
pub fn pair() -> (MemoryTransport, MemoryTransport) {
    let (a_to_b, b_from_a) = mpsc::unbounded();
    let (b_to_a, a_from_b) = mpsc::unbounded();
    (
        MemoryTransport {
            outgoing: a_to_b,
            incoming: a_from_b,
        },
        MemoryTransport {
            outgoing: b_to_a,
            incoming: b_from_a,
        },
    )
}

/// One end of an in-memory connection; see [`pair`].
///
/// Sending fails with `BrokenPipe` once the other end is dropped or this sink is closed.
#[derive(Debug)]
pub struct MemoryTransport {
    outgoing: mpsc::UnboundedSender<Frame>,
    incoming: mpsc::UnboundedReceiver<Frame>,
}

impl Stream for MemoryTransport {
    type Item = io::Result<Frame>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.incoming)
            .poll_next(cx)
            .map(|frame| frame.map(Ok))
    }
}

impl Sink<Frame> for MemoryTransport {
    type Error = io::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.outgoing.poll_ready(cx).map_err(|_| peer_gone())
    }

    fn start_send(mut self: Pin<&mut Self>, frame: Frame) -> io::Result<()> {
        self.outgoing.start_send(frame).map_err(|_| peer_gone())
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Frames are in the peer's queue as soon as they are sent.
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Ends the peer's stream, as a TCP half-close would; receiving still works.
        self.outgoing.close_channel();
        Poll::Ready(Ok(()))
    }
}

fn peer_gone() -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        "memory transport closed: the peer was dropped or this sink was closed",
    )
}
