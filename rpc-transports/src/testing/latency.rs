//! Simulated link latency on the receiving side of a transport.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures::stream::{SplitSink, SplitStream};
use futures::{Sink, Stream, StreamExt};
use rpc_core::{Frame, Transport};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, Sleep};

/// One item of the inner stream, as the consumer will see it; `None` is end-of-stream.
type Delivery = Option<io::Result<Frame>>;

/// What the reader task saw, and when the consumer may see it.
type Arrival = (Instant, Delivery);

/// Wraps a transport and delivers every received frame a fixed delay after it arrived.
///
/// This models link latency, not bandwidth: frames in flight are delayed together, so ten frames
/// arriving at once are all delivered one delay later, in order. End-of-stream and errors are
/// delayed the same way. Sent frames are not delayed; wrap both ends to model a round trip of
/// twice the delay.
///
/// A background tokio task reads the inner stream as soon as frames arrive, so the delay is
/// counted from arrival even when the consumer polls late. It therefore needs a tokio runtime
/// when created, and buffers without limit. Dropping the wrapper stops the task and drops the
/// inner transport.
///
/// ```
/// use std::time::Duration;
/// use futures::{SinkExt, StreamExt};
/// use rpc_core::Frame;
/// use rpc_transports::testing::Latency;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let (mut a, b) = rpc_transports::memory::pair();
/// let mut b = Latency::new(b, Duration::from_millis(20));
/// let start = tokio::time::Instant::now();
/// a.send(Frame::Text("hi".into())).await?;
/// b.next().await.unwrap()?;
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// # Ok(())
/// # }
/// ```
pub struct Latency<T: Transport> {
    delay: Duration,
    sink: SplitSink<T, Frame>,
    arrivals: mpsc::UnboundedReceiver<Arrival>,
    /// The arrival being waited on, with the timer for its delivery time.
    next: Option<(Delivery, Pin<Box<Sleep>>)>,
    reader: JoinHandle<()>,
}

impl<T: Transport> Latency<T> {
    /// Delays every frame received on `inner` by `delay`. Must be called inside a tokio runtime.
    pub fn new(inner: T, delay: Duration) -> Self {
        let (sink, stream) = inner.split();
        let (arrivals_tx, arrivals) = mpsc::unbounded_channel();
        let reader = tokio::spawn(read_arrivals(stream, delay, arrivals_tx));
        Latency {
            delay,
            sink,
            arrivals,
            next: None,
            reader,
        }
    }

    /// The delay added to each received frame.
    pub fn delay(&self) -> Duration {
        self.delay
    }
}

/// Stamps each item with its delivery time as soon as it arrives.
async fn read_arrivals<T: Transport>(
    mut stream: SplitStream<T>,
    delay: Duration,
    arrivals: mpsc::UnboundedSender<Arrival>,
) {
    loop {
        let item = stream.next().await;
        let ended = item.is_none();
        if arrivals.send((Instant::now() + delay, item)).is_err() || ended {
            return;
        }
    }
}

impl<T: Transport> Stream for Latency<T> {
    type Item = io::Result<Frame>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.next.is_none() {
            match ready!(this.arrivals.poll_recv(cx)) {
                Some((deliver_at, item)) => {
                    this.next = Some((item, Box::pin(tokio::time::sleep_until(deliver_at))));
                }
                // The reader task is gone without an end marker: it was cancelled (runtime
                // shutting down), so there is nothing more to deliver.
                None => return Poll::Ready(None),
            }
        }
        if let Some((_, timer)) = &mut this.next {
            ready!(timer.as_mut().poll(cx));
        }
        Poll::Ready(this.next.take().and_then(|(item, _)| item))
    }
}

impl<T: Transport> Sink<Frame> for Latency<T> {
    type Error = io::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.sink).poll_ready(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, frame: Frame) -> io::Result<()> {
        Pin::new(&mut self.sink).start_send(frame)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.sink).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.sink).poll_close(cx)
    }
}

impl<T: Transport> Drop for Latency<T> {
    fn drop(&mut self) {
        // The task holds the stream half; stopping it lets the inner transport close.
        self.reader.abort();
    }
}

impl<T: Transport> fmt::Debug for Latency<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Latency")
            .field("delay", &self.delay)
            .finish_non_exhaustive()
    }
}
