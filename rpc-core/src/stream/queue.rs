//! `ChunkQueue`: where chunks written by a peer wait for the local reader.
//!
//! Chunks are acknowledged on arrival while little is buffered (like a WritableStream's high
//! water mark), so a writer need not wait for a reader that has not started yet; beyond that a
//! chunk's acknowledgement waits until the reader takes it. The writer's window counts
//! unacknowledged bytes, so a slow reader makes the writer wait and this queue stays small (a
//! writer that ignores the window hits `max_stream_buffer_bytes`).

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, MutexGuard},
    task::{Context, Poll, Waker},
};

use super::{
    packed::PackedRun,
    size::approx_size,
    source::{Chunk, ChunkSource},
};
use crate::{Limits, RpcError, pending::Settler, value::Value};

struct Queued {
    chunk: Chunk,
    size: usize,
    ack: Option<Settler>,
}

#[derive(Default)]
struct State {
    chunks: VecDeque<Queued>,
    buffered: usize,
    /// How the stream ended, once the writer closed or aborted it.
    end: Option<Result<(), RpcError>>,
    /// The reader is gone: further writes fail.
    canceled: bool,
    /// The end has been reported to the reader.
    finished: bool,
    reader: Option<Waker>,
}

/// Bytes acknowledged on arrival, before any reader takes them.
const HIGH_WATER_MARK: usize = 64 * 1024;

/// The shared queue between a stream's writer side and its reader.
#[derive(Clone)]
pub(crate) struct ChunkQueue {
    state: Arc<Mutex<State>>,
    max_buffered: usize,
    max_depth: usize,
}

impl ChunkQueue {
    /// A queue holding at most `limits.max_stream_buffer_bytes`, taking packed runs nested at
    /// most `limits.max_depth` deep.
    pub(crate) fn new(limits: &Limits) -> Self {
        ChunkQueue {
            state: Arc::default(),
            max_buffered: limits.max_stream_buffer_bytes,
            max_depth: limits.max_depth,
        }
    }

    /// How deep a packed item written here may nest.
    pub(crate) fn max_depth(&self) -> usize {
        self.max_depth
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a chunk; `ack` settles when the reader takes it (or fails if it never will).
    pub(crate) fn write(&self, value: Value, ack: Option<Settler>) {
        self.write_many(vec![value], ack)
    }

    /// Queues chunks under one lock; `ack` settles when the reader takes the last one (or
    /// fails if it never will). The batch is accepted or refused whole.
    pub(crate) fn write_many(&self, values: Vec<Value>, ack: Option<Settler>) {
        let size: usize = values.iter().map(approx_size).sum();
        self.write_chunks(values.into_iter().map(Chunk::Value), size, ack)
    }

    /// Queues a run of packed items; `ack` settles when the reader takes it.
    pub(crate) fn write_packed(&self, run: PackedRun, ack: Option<Settler>) {
        let size = run.size();
        self.write_chunks(std::iter::once(Chunk::Packed(run)), size, ack)
    }

    fn write_chunks(
        &self,
        chunks: impl ExactSizeIterator<Item = Chunk>,
        size: usize,
        ack: Option<Settler>,
    ) {
        let mut st = self.lock();
        let refusal = if st.canceled {
            Some(RpcError::canceled("the reader cancelled the stream"))
        } else if st.end.is_some() {
            Some(RpcError::type_error("write after the stream was closed"))
        } else if st.buffered + size > self.max_buffered {
            Some(RpcError::limit(
                "max_stream_buffer_bytes",
                format!("{} bytes buffered", st.buffered + size),
            ))
        } else {
            None
        };
        if let Some(error) = refusal {
            drop(st);
            if let Some(ack) = ack {
                ack.settle(Err(error));
            }
            return;
        }
        st.buffered += size;
        let (ack_now, mut ack) = if st.buffered <= HIGH_WATER_MARK.min(self.max_buffered) {
            (ack, None)
        } else {
            (None, ack)
        };
        // The batch's size and acknowledgement ride on its last chunk: the reader accounts
        // for the batch once it has taken all of it.
        let last = chunks.len().saturating_sub(1);
        st.chunks.reserve(chunks.len());
        for (i, chunk) in chunks.enumerate() {
            let (size, ack) = if i == last {
                (size, ack.take())
            } else {
                (0, None)
            };
            st.chunks.push_back(Queued { chunk, size, ack });
        }
        let waker = st.reader.take();
        drop(st);
        if let Some(ack) = ack_now {
            ack.settle(Ok(Value::Undefined));
        }
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Ends the stream after the chunks already queued: cleanly, or with an error.
    pub(crate) fn end(&self, outcome: Result<(), RpcError>) {
        let waker = {
            let mut st = self.lock();
            if st.end.is_none() {
                st.end = Some(outcome);
            }
            st.reader.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// True once the writer closed or aborted.
    pub(crate) fn is_ended(&self) -> bool {
        self.lock().end.is_some()
    }

    /// This queue's identity, for telling whether a value holds its own reader.
    pub(crate) fn id(&self) -> usize {
        Arc::as_ptr(&self.state) as usize
    }

    /// The reader side.
    pub(crate) fn reader(&self) -> ChunkReader {
        ChunkReader {
            queue: self.clone(),
            local: VecDeque::new(),
            taken: 0,
        }
    }
}

/// Reads a [`ChunkQueue`]; dropping it cancels the stream.
///
/// It moves every queued chunk out under one lock, then hands them out one by one without
/// locking: a stream of small items costs one lock per batch, not per item. A chunk still
/// counts as buffered, and its acknowledgement waits, until it is handed out, so flow control
/// is as if the reader took chunks one by one. (Handed-out sizes are subtracted at the next
/// refill, so the count errs on the high side, never the low.)
pub(crate) struct ChunkReader {
    queue: ChunkQueue,
    /// Chunks taken from the queue, not yet handed out.
    local: VecDeque<Queued>,
    /// Sizes of chunks handed out since the last refill.
    taken: usize,
}

impl ChunkReader {
    fn hand_out(&mut self) -> Option<Chunk> {
        let queued = self.local.pop_front()?;
        self.taken += queued.size;
        if let Some(ack) = queued.ack {
            ack.settle(Ok(Value::Undefined));
        }
        Some(queued.chunk)
    }
}

/// Runs are handed out whole whatever `pack` says: [`Chunks`](super::Chunks) unpacks them for a
/// reader that wants values.
impl ChunkSource for ChunkReader {
    fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
        _pack: Option<usize>,
    ) -> Poll<Option<Result<Chunk, RpcError>>> {
        if let Some(chunk) = self.hand_out() {
            return Poll::Ready(Some(Ok(chunk)));
        }
        let mut st = self.queue.lock();
        st.buffered -= std::mem::take(&mut self.taken);
        if !st.chunks.is_empty() {
            std::mem::swap(&mut st.chunks, &mut self.local);
            drop(st);
            let chunk = self.hand_out().expect("just refilled");
            return Poll::Ready(Some(Ok(chunk)));
        }
        if st.finished {
            return Poll::Ready(None);
        }
        match st.end.clone() {
            Some(end) => {
                st.finished = true;
                Poll::Ready(end.err().map(Err))
            }
            None => {
                st.reader = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Drop for ChunkReader {
    fn drop(&mut self) {
        let queued = {
            let mut st = self.queue.lock();
            st.canceled = true;
            st.buffered = 0;
            std::mem::take(&mut st.chunks)
        };
        for queued in std::mem::take(&mut self.local).into_iter().chain(queued) {
            if let Some(ack) = queued.ack {
                ack.settle(Err(RpcError::canceled("the reader cancelled the stream")));
            }
        }
    }
}
