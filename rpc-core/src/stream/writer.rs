//! `RemoteWriter`: writing into a peer's pipe or writable stream, within a byte window.

use std::{
    future::poll_fn,
    sync::{Arc, Mutex, MutexGuard},
    task::{Context, Poll, Waker},
};

use super::{packed::PackedRun, size::approx_size};
use crate::{RpcError, Stub, pending::Pending, stub::Hook, value::Value};

/// What one write message counts for in the window beyond its chunks' bytes.
const MESSAGE_OVERHEAD: usize = 32;

#[derive(Default)]
struct State {
    /// Bytes written but not yet acknowledged.
    in_flight: usize,
    /// Set when a write was refused (the reader cancelled, or the session ended).
    failed: Option<RpcError>,
    wakers: Vec<Waker>,
}

struct Inner {
    target: Stub,
    window: usize,
    batch: bool,
    state: Mutex<State>,
}

/// The writing end of a stream whose reader is the peer.
///
/// Writes are `stream` messages naming the target; each is acknowledged once the reader has
/// consumed it. Writing waits while unacknowledged bytes fill the window, so a slow reader
/// slows the writer instead of growing anyone's memory. Dropping the writer releases the
/// target.
#[derive(Clone)]
pub(crate) struct RemoteWriter(Arc<Inner>);

impl RemoteWriter {
    /// A writer into `target`, a remote stub for the peer's pipe or writable.
    pub(crate) fn new(target: Stub) -> Self {
        let (window, batch) = match &target.0 {
            Hook::Remote(r) => (
                r.session.limits.stream_window_bytes.max(1),
                r.session.peer_is_capstan(),
            ),
            _ => (usize::MAX, false),
        };
        RemoteWriter(Arc::new(Inner {
            target,
            window,
            batch,
            state: Mutex::default(),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether chunks may be sent several to a message (only a Capstan peer understands it).
    pub(crate) fn batches(&self) -> bool {
        self.0.batch
    }

    /// The window size in bytes.
    pub(crate) fn window(&self) -> usize {
        self.0.window
    }

    fn wait(
        &self,
        cx: &mut Context<'_>,
        ready: impl Fn(&State) -> bool,
    ) -> Poll<Result<(), RpcError>> {
        let mut st = self.lock();
        if let Some(e) = &st.failed {
            return Poll::Ready(Err(e.clone()));
        }
        if ready(&st) {
            return Poll::Ready(Ok(()));
        }
        st.wakers.push(cx.waker().clone());
        Poll::Pending
    }

    /// Ready when the window has room (or with the error that stopped the stream).
    pub(crate) fn poll_capacity(&self, cx: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        let window = self.0.window;
        self.wait(cx, |st| st.in_flight < window)
    }

    /// Ready when every write has been acknowledged.
    pub(crate) fn poll_drained(&self, cx: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        self.wait(cx, |st| st.in_flight == 0)
    }

    /// Resolves when the writer's session ends (an idle writer would otherwise learn of it
    /// only at its next write).
    pub(crate) async fn session_ended(&self) -> RpcError {
        match &self.0.target.0 {
            Hook::Remote(r) => {
                let mut closed = r.session.closed.subscribe();
                match closed.wait_for(Option::is_some).await {
                    Ok(reason) => reason.clone().unwrap_or_else(gone),
                    Err(_) => gone(),
                }
            }
            _ => std::future::pending().await,
        }
    }

    /// Ready when the stream has failed; never, if it does not.
    pub(crate) fn poll_failed(&self, cx: &mut Context<'_>) -> Poll<RpcError> {
        let mut st = self.lock();
        match &st.failed {
            Some(e) => Poll::Ready(e.clone()),
            None => {
                st.wakers.push(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    fn call(&self, method: &str, args: Vec<Value>) -> Pending {
        match &self.0.target.0 {
            Hook::Remote(r) => r.session.push_stream(r.id, method, args),
            _ => Pending::settled(Err(RpcError::type_error("not a remote stream"))),
        }
    }

    fn wake_all(&self) {
        let wakers = std::mem::take(&mut self.lock().wakers);
        for w in wakers {
            w.wake();
        }
    }

    /// Sends one chunk, or several as one message when [`RemoteWriter::batches`]. Does not
    /// wait: call [`RemoteWriter::poll_capacity`] first.
    pub(crate) fn send(&self, chunks: Vec<Value>) {
        let size = chunks.iter().map(approx_size).sum();
        self.send_sized(chunks, size)
    }

    /// [`RemoteWriter::send`], for a caller that has already summed the chunks' sizes.
    pub(crate) fn send_sized(&self, mut chunks: Vec<Value>, size: usize) {
        if chunks.len() == 1 {
            self.send_call(size, "write", vec![chunks.pop().expect("one chunk")])
        } else {
            self.send_call(size, "writeMany", vec![Value::Array(chunks)])
        }
    }

    /// Sends a run of packed items as one message (only to a Capstan peer).
    pub(crate) fn send_packed(&self, run: PackedRun) {
        let size = run.size();
        let (bytes, count) = run.into_parts();
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        self.send_call(
            size,
            "writePacked",
            vec![Value::Bytes(bytes, None), Value::Int(count)],
        )
    }

    fn send_call(&self, size: usize, method: &str, args: Vec<Value>) {
        // Each message also costs the reader a table entry until acknowledged, so tiny chunks
        // are charged a per-message overhead: the window then bounds messages as well as bytes.
        let size = size + MESSAGE_OVERHEAD;
        self.lock().in_flight += size;
        let ack = self.call(method, args);
        let this = self.clone();
        ack.on_settle(move |outcome| {
            {
                let mut st = this.lock();
                st.in_flight -= size;
                if let Err(e) = outcome {
                    st.failed.get_or_insert(e);
                }
            }
            this.wake_all();
        });
    }

    /// Waits for every write, then closes the stream (the reader sees its end).
    pub(crate) async fn close(&self) -> Result<(), RpcError> {
        poll_fn(|cx| self.poll_drained(cx)).await?;
        self.call("close", Vec::new()).wait().await.map(drop)
    }

    /// Ends the stream with an error the reader will see.
    pub(crate) async fn abort(&self, error: RpcError) {
        let _ = self.call("abort", vec![Value::Error(error)]).wait().await;
    }
}

fn gone() -> RpcError {
    RpcError::disconnected("the session ended")
}
