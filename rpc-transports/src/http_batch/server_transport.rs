//! The in-process transport a batch session runs on: the request's lines in, frames out.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::channel::{mpsc, oneshot};
use futures::{Sink, Stream};
use rpc_core::Frame;

/// Feeds a session the messages of one request and records what it writes.
///
/// The stream yields each line as a text frame and then stays pending for good: the batch is
/// over only when [`serve_batch`](super::serve_batch) closes the session, not when the input
/// runs out (an ended stream would break the session before its answers are written).
pub(crate) struct BatchServerTransport {
    lines: std::vec::IntoIter<String>,
    /// Fired when the session asks for a frame after the last line, which proves it has handled
    /// every line (a session reads, and handles, one frame at a time).
    consumed: Option<oneshot::Sender<()>>,
    written: mpsc::UnboundedSender<Frame>,
}

/// What the caller keeps: the "all lines handled" signal and the frames the session writes.
pub(crate) struct BatchServerEnds {
    pub(crate) consumed: oneshot::Receiver<()>,
    pub(crate) written: mpsc::UnboundedReceiver<Frame>,
}

pub(crate) fn batch_server_transport(
    lines: Vec<String>,
) -> (BatchServerTransport, BatchServerEnds) {
    let (consumed_tx, consumed_rx) = oneshot::channel();
    let (written_tx, written_rx) = mpsc::unbounded();
    (
        BatchServerTransport {
            lines: lines.into_iter(),
            consumed: Some(consumed_tx),
            written: written_tx,
        },
        BatchServerEnds {
            consumed: consumed_rx,
            written: written_rx,
        },
    )
}

impl Stream for BatchServerTransport {
    type Item = io::Result<Frame>;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(line) = self.lines.next() {
            return Poll::Ready(Some(Ok(Frame::Text(line))));
        }
        if let Some(consumed) = self.consumed.take() {
            let _ = consumed.send(());
        }
        // No waker is kept: nothing more will ever arrive. The session ends by being closed.
        Poll::Pending
    }
}

impl Sink<Frame> for BatchServerTransport {
    type Error = io::Error;

    fn poll_ready(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, frame: Frame) -> io::Result<()> {
        // The receiver goes away only once the response is complete; later frames (there are
        // none after the close) would have nowhere to go anyway.
        let _ = self.written.unbounded_send(frame);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.written.close_channel();
        Poll::Ready(Ok(()))
    }
}
