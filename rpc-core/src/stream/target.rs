//! `SinkTarget`: the receiving end of a pipe or writable stream, as an object the peer calls.
//!
//! The peer writes with `["stream", ["pipeline", id, ["write"], [chunk]]]`; delivering that call
//! here queues the chunk, and the call's result (the acknowledgement) settles when the reader
//! takes it. So stream writes need no machinery beyond ordinary calls.

use std::sync::{Arc, Mutex};

use super::{
    packed::PackedRun,
    queue::{ChunkQueue, ChunkReader},
};
use crate::{CallFuture, Limits, RpcError, RpcTarget, pending::Pending, value::Value};

/// Where a peer's stream writes land.
pub(crate) struct SinkTarget {
    queue: ChunkQueue,
    /// For a pipe: the readable end, handed out once by `["readable", id]`.
    reader: Mutex<Option<ChunkReader>>,
}

impl SinkTarget {
    /// The target of an exported writable stream; its reader is already with its owner.
    pub(crate) fn writable(queue: ChunkQueue) -> Self {
        SinkTarget {
            queue,
            reader: Mutex::new(None),
        }
    }

    /// The writable end of a new pipe; its readable end waits for [`SinkTarget::take_reader`].
    pub(crate) fn pipe(limits: &Limits) -> Self {
        let queue = ChunkQueue::new(limits);
        let reader = queue.reader();
        SinkTarget {
            queue,
            reader: Mutex::new(Some(reader)),
        }
    }

    /// The pipe's readable end; `None` if it was taken already (a readable is single-use).
    pub(crate) fn take_reader(&self) -> Option<ChunkReader> {
        self.reader.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// The identity of the queue behind this target.
    pub(crate) fn queue_id(&self) -> usize {
        self.queue.id()
    }

    /// Fails the stream, for example because the session ended.
    pub(crate) fn fail(&self, error: RpcError) {
        self.queue.end(Err(error));
    }

    fn write(&self, chunks: Vec<Value>) -> CallFuture {
        // A chunk holding this very stream's readable end, or a stub on the stream itself,
        // would keep the stream alive through itself, never to be freed.
        let own = self.queue.id();
        if chunks.iter().any(|c| holds_itself(c, own)) {
            return Box::pin(std::future::ready(Err(RpcError::type_error(
                "a stream cannot carry itself",
            ))));
        }
        let ack = Pending::new();
        self.queue.write_many(chunks, Some(ack.settler()));
        Box::pin(async move { ack.wait().await })
    }

    /// `writePacked(bytes, count)`: a run of plain items from a Capstan peer, checked whole
    /// before any of it is queued.
    fn write_packed(&self, bytes: Option<Value>, count: Option<Value>) -> CallFuture {
        let run = match (bytes, count) {
            (Some(Value::Bytes(bytes, None)), Some(Value::Int(count)))
                if count > 0 && usize::try_from(count).is_ok_and(|n| n <= bytes.len()) =>
            {
                PackedRun::check(bytes, count as usize, self.queue.max_depth())
            }
            _ => Err(RpcError::type_error(
                "writePacked takes bytes and a count of items between 1 and their length",
            )),
        };
        match run {
            Ok(run) => {
                let ack = Pending::new();
                self.queue.write_packed(run, Some(ack.settler()));
                Box::pin(async move { ack.wait().await })
            }
            Err(error) => Box::pin(std::future::ready(Err(error))),
        }
    }
}

fn holds_itself(value: &Value, queue: usize) -> bool {
    match value {
        Value::Readable(r) => r.origin() == queue,
        Value::Stub(s) => s
            .downcast::<SinkTarget>()
            .is_some_and(|t| t.queue_id() == queue),
        Value::Array(items) => items.iter().any(|v| holds_itself(v, queue)),
        Value::Object(o) => o.iter().any(|(_, v)| holds_itself(v, queue)),
        _ => false,
    }
}

impl RpcTarget for SinkTarget {
    fn call(self: Arc<Self>, method: &str, args: Vec<Value>) -> CallFuture {
        let mut args = args.into_iter();
        match method {
            "write" => self.write(vec![args.next().unwrap_or_default()]),
            // A batch of chunks from a Capstan peer: one message, one acknowledgement.
            "writeMany" => match args.next() {
                Some(Value::Array(chunks)) if !chunks.is_empty() => self.write(chunks),
                Some(Value::Array(_)) => Box::pin(std::future::ready(Ok(Value::Undefined))),
                _ => Box::pin(std::future::ready(Err(RpcError::type_error(
                    "writeMany takes an array of chunks",
                )))),
            },
            "writePacked" => {
                let bytes = args.next();
                self.write_packed(bytes, args.next())
            }
            "close" => {
                self.queue.end(Ok(()));
                Box::pin(std::future::ready(Ok(Value::Undefined)))
            }
            "abort" => {
                let reason = RpcError::from_rejection(args.next().unwrap_or_default());
                self.queue.end(Err(reason));
                Box::pin(std::future::ready(Ok(Value::Undefined)))
            }
            other => Box::pin(std::future::ready(Err(RpcError::unknown_method(other)))),
        }
    }

    fn interface_name(&self) -> &'static str {
        "WritableStream"
    }
}

impl Drop for SinkTarget {
    fn drop(&mut self) {
        // Released without `close`: capnweb aborts the stream, and so do we.
        if !self.queue.is_ended() {
            self.queue.end(Err(RpcError::canceled(
                "the writer went away without closing the stream",
            )));
        }
    }
}
