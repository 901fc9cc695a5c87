//! Small helpers for tests and examples.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll},
};

use futures::{Sink, Stream, channel::mpsc};

use crate::Frame;

/// One end of an in-memory connection; see [`memory_pair`].
#[derive(Debug)]
pub struct MemoryEnd {
    tx: mpsc::UnboundedSender<Frame>,
    rx: mpsc::UnboundedReceiver<Frame>,
}

/// Two connected in-memory transports, for tests and doc examples.
///
/// `rpc-transports` has the full in-memory transport; this one exists so `rpc-core`'s own docs
/// and tests need nothing else.
///
/// ```
/// use futures::{SinkExt, StreamExt};
/// use rpc_core::Frame;
/// # futures::executor::block_on(async {
/// let (mut a, mut b) = rpc_core::testing::memory_pair();
/// a.send(Frame::Text("hi".into())).await.unwrap();
/// assert_eq!(b.next().await.unwrap().unwrap(), Frame::Text("hi".into()));
/// drop(a);
/// assert!(b.next().await.is_none());
/// # });
/// ```
pub fn memory_pair() -> (MemoryEnd, MemoryEnd) {
    let (a_tx, a_rx) = mpsc::unbounded();
    let (b_tx, b_rx) = mpsc::unbounded();
    (
        MemoryEnd { tx: a_tx, rx: b_rx },
        MemoryEnd { tx: b_tx, rx: a_rx },
    )
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the other end is gone")
}

impl Stream for MemoryEnd {
    type Item = io::Result<Frame>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.rx).poll_next(cx).map(|f| f.map(Ok))
    }
}

impl Sink<Frame> for MemoryEnd {
    type Error = io::Error;
    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tx).poll_ready(cx).map_err(|_| closed())
    }
    fn start_send(mut self: Pin<&mut Self>, frame: Frame) -> io::Result<()> {
        Pin::new(&mut self.tx)
            .start_send(frame)
            .map_err(|_| closed())
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tx).poll_flush(cx).map_err(|_| closed())
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tx).poll_close(cx).map_err(|_| closed())
    }
}
