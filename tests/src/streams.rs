//! A streaming interface for the stream tests, and an implementation that records what its
//! producers and readers observe.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, AtomicU64, Ordering},
};

use futures::{SinkExt, StreamExt, stream};
use rpc_core::{ErrorKind, RpcError, RpcSink, RpcStream, rpc_interface};
use serde::{Deserialize, Serialize};

/// Streams inside a struct, going in.
#[derive(Serialize, Deserialize)]
pub struct Batch {
    /// A label, echoed back.
    pub label: String,
    /// Numbers to add up.
    pub items: RpcStream<u64>,
}

/// Streams inside a struct, coming back.
#[derive(Serialize, Deserialize)]
pub struct Tally {
    /// The label of the batch.
    pub label: String,
    /// The sum of its items.
    pub total: u64,
    /// The running sums, as a stream.
    pub running: RpcStream<u64>,
}

/// Every shape a stream can take in a signature.
#[rpc_interface]
pub trait Streams {
    /// Server streaming: `0 … n-1`.
    async fn count(&self, n: u64) -> Result<RpcStream<u64>, RpcError>;
    /// Client streaming: the sum of the caller's numbers.
    async fn sum(&self, input: RpcStream<u64>) -> Result<u64, RpcError>;
    /// Bidirectional: each line upper-cased at once, then `"bye"` after the caller's
    /// half-close.
    async fn chat(&self, input: RpcStream<String>) -> Result<RpcStream<String>, RpcError>;
    /// A sink the callee writes into: `0 … n-1`, then close.
    async fn fill(&self, sink: RpcSink<u64>, n: u64) -> Result<u64, RpcError>;
    /// Streams inside structs, both ways.
    async fn tally(&self, batch: Batch) -> Result<Tally, RpcError>;
    /// `0 … n-1`, then a `RangeError`.
    async fn fail_after(&self, n: u64) -> Result<RpcStream<u64>, RpcError>;
    /// Numbers forever, from a producer task that records when the reader cancels it.
    async fn endless(&self) -> Result<RpcStream<u64>, RpcError>;
    /// A stream whose producer never sends, and records when it learns its reader is gone.
    async fn idle(&self) -> Result<RpcStream<u64>, RpcError>;
    /// Reads the caller's stream forever (until it ends, fails or the call is dropped), noting
    /// how the read ended.
    async fn drain_forever(&self, input: RpcStream<u64>) -> Result<(), RpcError>;
}

/// What the streams server observed.
#[derive(Default)]
pub struct StreamLog {
    /// The endless producer saw its reader cancel.
    pub producer_cancelled: AtomicBool,
    /// Items the endless producer handed over.
    pub produced: AtomicU64,
    /// How `drain_forever`'s read ended, if it did.
    pub drain_ended: Mutex<Option<Result<(), ErrorKind>>>,
    /// `drain_forever`'s handler was dropped before its read ended.
    pub drain_dropped: AtomicBool,
    /// The idle producer learned its reader is gone.
    pub idle_closed: AtomicBool,
}

/// The server side of [`Streams`].
#[derive(Clone, Default)]
pub struct StreamsImpl {
    /// What happened.
    pub log: Arc<StreamLog>,
}

struct DropFlag(Arc<StreamLog>, bool);

impl Drop for DropFlag {
    fn drop(&mut self) {
        if !self.1 {
            self.0.drain_dropped.store(true, Ordering::SeqCst);
        }
    }
}

impl Streams for StreamsImpl {
    async fn count(&self, n: u64) -> Result<RpcStream<u64>, RpcError> {
        Ok(RpcStream::new(stream::iter(0..n)))
    }

    async fn sum(&self, mut input: RpcStream<u64>) -> Result<u64, RpcError> {
        let mut total = 0;
        while let Some(x) = input.next().await {
            total += x?;
        }
        Ok(total)
    }

    async fn chat(&self, input: RpcStream<String>) -> Result<RpcStream<String>, RpcError> {
        let replies = input.map(|line| line.map(|s| s.to_uppercase()));
        let bye = stream::once(async { Ok("bye".to_string()) });
        Ok(RpcStream::from_results(replies.chain(bye)))
    }

    async fn fill(&self, mut sink: RpcSink<u64>, n: u64) -> Result<u64, RpcError> {
        for i in 0..n {
            sink.feed(i).await?;
        }
        sink.close().await?;
        Ok(n)
    }

    async fn tally(&self, mut batch: Batch) -> Result<Tally, RpcError> {
        let mut total = 0;
        let mut running = Vec::new();
        while let Some(x) = batch.items.next().await {
            total += x?;
            running.push(total);
        }
        Ok(Tally {
            label: batch.label,
            total,
            running: RpcStream::new(stream::iter(running)),
        })
    }

    async fn fail_after(&self, n: u64) -> Result<RpcStream<u64>, RpcError> {
        let items = (0..n).map(Ok);
        let failure = std::iter::once(Err(RpcError::range_error("stream failed")));
        Ok(RpcStream::from_results(stream::iter(items.chain(failure))))
    }

    async fn endless(&self) -> Result<RpcStream<u64>, RpcError> {
        let (tx, rx) = RpcStream::channel(16);
        let log = self.log.clone();
        tokio::spawn(async move {
            let mut i = 0;
            while tx.send(i).await.is_ok() {
                log.produced.fetch_add(1, Ordering::SeqCst);
                i += 1;
            }
            log.producer_cancelled.store(true, Ordering::SeqCst);
        });
        Ok(rx)
    }

    async fn idle(&self) -> Result<RpcStream<u64>, RpcError> {
        let (tx, rx) = RpcStream::channel(1);
        let log = self.log.clone();
        tokio::spawn(async move {
            tx.closed().await;
            log.idle_closed.store(true, Ordering::SeqCst);
        });
        Ok(rx)
    }

    async fn drain_forever(&self, mut input: RpcStream<u64>) -> Result<(), RpcError> {
        let mut flag = DropFlag(self.log.clone(), false);
        let ended = loop {
            match input.next().await {
                Some(Ok(_)) => continue,
                Some(Err(e)) => break Err(e.kind()),
                None => break Ok(()),
            }
        };
        flag.1 = true;
        *self.log.drain_ended.lock().unwrap() = Some(ended);
        Ok(())
    }
}

/// Sends every item of `items` into `sink`, then closes it.
pub async fn send_all<T: Serialize>(sink: &mut RpcSink<T>, items: Vec<T>) -> Result<(), RpcError> {
    for item in items {
        sink.feed(item).await?;
    }
    sink.close().await
}
