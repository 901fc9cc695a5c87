//! Counting the frames that cross a transport.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use futures::{Sink, Stream};
use rpc_core::Frame;

/// Wraps a transport and counts the frames sent and received through it.
///
/// The counts live behind a cloneable [`FrameCounts`] handle, so a test can keep reading them
/// after the transport has been moved into a session.
///
/// ```
/// use futures::{SinkExt, StreamExt};
/// use rpc_core::Frame;
/// use rpc_transports::testing::FrameCounter;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let (a, mut b) = rpc_transports::memory::pair();
/// let mut a = FrameCounter::new(a);
/// let counts = a.counts();
///
/// a.send(Frame::Text("one".into())).await?;
/// a.send(Frame::Text("two".into())).await?;
/// b.send(Frame::Text("reply".into())).await?;
/// a.next().await;
/// assert_eq!((counts.sent(), counts.received()), (2, 1));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct FrameCounter<T> {
    inner: T,
    counts: FrameCounts,
}

impl<T> FrameCounter<T> {
    /// Starts counting frames on `inner`, from zero.
    pub fn new(inner: T) -> Self {
        FrameCounter {
            inner,
            counts: FrameCounts::default(),
        }
    }

    /// A handle to this wrapper's counters.
    pub fn counts(&self) -> FrameCounts {
        self.counts.clone()
    }

    /// The wrapped transport.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

/// Shared, cloneable counters of a [`FrameCounter`]; every clone sees the same numbers.
#[derive(Debug, Clone, Default)]
pub struct FrameCounts {
    sent: Arc<AtomicUsize>,
    received: Arc<AtomicUsize>,
}

impl FrameCounts {
    /// Frames accepted by the wrapped sink so far.
    pub fn sent(&self) -> usize {
        self.sent.load(Ordering::SeqCst)
    }

    /// Frames yielded by the wrapped stream so far (errors and end-of-stream not counted).
    pub fn received(&self) -> usize {
        self.received.load(Ordering::SeqCst)
    }

    /// Sets both counters back to zero, e.g. after a test's setup exchange.
    pub fn reset(&self) {
        self.sent.store(0, Ordering::SeqCst);
        self.received.store(0, Ordering::SeqCst);
    }
}

impl<T: Stream<Item = io::Result<Frame>> + Unpin> Stream for FrameCounter<T> {
    type Item = io::Result<Frame>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let item = Pin::new(&mut self.inner).poll_next(cx);
        if let Poll::Ready(Some(Ok(_))) = &item {
            self.counts.received.fetch_add(1, Ordering::SeqCst);
        }
        item
    }
}

impl<T: Sink<Frame, Error = io::Error> + Unpin> Sink<Frame> for FrameCounter<T> {
    type Error = io::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_ready(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, frame: Frame) -> io::Result<()> {
        Pin::new(&mut self.inner).start_send(frame)?;
        self.counts.sent.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}
