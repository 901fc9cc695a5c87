//! Pumping a local stream into a peer's pipe or writable.

use std::future::poll_fn;

use futures::{FutureExt, future::Either};

use super::{Chunks, packed::PackedRun, size::approx_size, source::Chunk, writer::RemoteWriter};
use crate::{RpcError, value::Value};

/// Most value chunks sent as one message to a Capstan peer.
const MAX_BATCH_ITEMS: usize = 4096;

/// Most bytes of chunks sent as one message, whatever the window: a message must stay well
/// inside the peer's frame and stream-buffer limits, which may be smaller than our window.
const MAX_BATCH_BYTES: usize = 256 * 1024;

/// What ended a batch of values.
enum After {
    /// Nothing more is ready now.
    Idle,
    Run(PackedRun),
    Failed(RpcError),
    End,
}

/// Reads `source` and writes it to `writer` until it ends (then closes), fails (then aborts),
/// or the reader cancels (then stops, dropping `source` so its producer sees the cancellation).
/// Dropping the writer at the end releases the target.
pub(crate) async fn pump(writer: RemoteWriter, mut source: Chunks) {
    // Resolves as soon as the reader is gone or the session ends, so an idle producer learns
    // of it at once (dropping `source` tells it).
    let stopped = async {
        let failed = std::pin::pin!(poll_fn(|cx| writer.poll_failed(cx)));
        let ended = std::pin::pin!(writer.session_ended());
        futures::future::select(failed, ended).await;
    };
    let mut stopped = std::pin::pin!(stopped);
    // A Capstan peer takes several chunks to a message, and plain items packed.
    let pack = writer
        .batches()
        .then(|| (writer.window() / 4).min(MAX_BATCH_BYTES));
    loop {
        if poll_fn(|cx| writer.poll_capacity(cx)).await.is_err() {
            return;
        }
        let next = poll_fn(|cx| source.poll_chunk(cx, pack));
        let chunk = match futures::future::select(next, stopped.as_mut()).await {
            Either::Left((chunk, _)) => chunk,
            Either::Right(_) => return,
        };
        let after = match chunk {
            Some(Ok(Chunk::Packed(run))) => After::Run(run),
            Some(Ok(Chunk::Value(first))) => match pack {
                Some(budget) => send_values(&writer, &mut source, first, budget),
                None => {
                    writer.send(vec![first]);
                    After::Idle
                }
            },
            Some(Err(e)) => After::Failed(e),
            None => After::End,
        };
        match after {
            After::Idle => {}
            After::Run(run) => writer.send_packed(run),
            After::Failed(e) => return writer.abort(e).await,
            After::End => {
                let _ = writer.close().await;
                return;
            }
        }
    }
}

/// Sends `first` with whatever other values are ready now, as one message; says what stopped
/// the batch.
fn send_values(writer: &RemoteWriter, source: &mut Chunks, first: Value, budget: usize) -> After {
    let mut bytes = approx_size(&first);
    let mut batch = vec![first];
    let after = loop {
        if batch.len() >= MAX_BATCH_ITEMS || bytes >= budget {
            break After::Idle;
        }
        match poll_fn(|cx| source.poll_chunk(cx, Some(budget))).now_or_never() {
            Some(Some(Ok(Chunk::Value(v)))) => {
                bytes += approx_size(&v);
                batch.push(v);
            }
            Some(Some(Ok(Chunk::Packed(run)))) => break After::Run(run),
            Some(Some(Err(e))) => break After::Failed(e),
            Some(None) => break After::End,
            None => break After::Idle,
        }
    };
    writer.send_sized(batch, bytes);
    after
}
