//! Pumping a local stream into a peer's pipe or writable.

use std::future::poll_fn;

use futures::{FutureExt, StreamExt, future::Either};

use super::{Chunks, size::approx_size, writer::RemoteWriter};

/// Most chunks sent as one message to a Capstan peer.
const MAX_BATCH_ITEMS: usize = 4096;

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
    loop {
        if poll_fn(|cx| writer.poll_capacity(cx)).await.is_err() {
            return;
        }
        let item = match futures::future::select(source.next(), stopped.as_mut()).await {
            Either::Left((item, _)) => item,
            Either::Right(_) => return,
        };
        match item {
            Some(Ok(first)) => {
                let mut bytes = approx_size(&first);
                let mut batch = vec![first];
                if writer.batches() {
                    // Take whatever else is ready now, so many small items share a message.
                    let budget = writer.window() / 4;
                    while batch.len() < MAX_BATCH_ITEMS && bytes < budget {
                        match source.next().now_or_never() {
                            Some(Some(Ok(v))) => {
                                bytes += approx_size(&v);
                                batch.push(v);
                            }
                            Some(Some(Err(e))) => {
                                writer.send_sized(batch, bytes);
                                return writer.abort(e).await;
                            }
                            Some(None) => {
                                writer.send_sized(batch, bytes);
                                let _ = writer.close().await;
                                return;
                            }
                            None => break,
                        }
                    }
                }
                writer.send_sized(batch, bytes);
            }
            Some(Err(e)) => return writer.abort(e).await,
            None => {
                let _ = writer.close().await;
                return;
            }
        }
    }
}
