//! Starting a call: run its synchronous prefix now, and spawn only what must wait.

use std::{future::Future, panic::AssertUnwindSafe, pin::Pin, task::Context};

use futures::FutureExt;

use crate::{ErrorKind, RpcError, pending::Outcome};

/// Polls `fut` once right here, then hands it to the runtime if it is not finished.
///
/// Polling inline is what keeps E-order: calls that arrive in order begin in order, exactly as
/// capnweb delivers them synchronously. It also means a call that completes without waiting
/// never costs a task. Re-polling in the spawned task re-registers every waker, so the
/// throwaway waker of the first poll is never relied on.
pub(crate) fn start(fut: impl Future<Output = ()> + Send + 'static) {
    let mut fut: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(fut);
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    if fut.as_mut().poll(&mut cx).is_pending() {
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(fut);
            }
            Err(_) => {
                // Outside a runtime nothing could ever drive the call; dropping it settles
                // its result as cancelled rather than leaving the caller waiting forever.
                tracing::error!("a Capstan call was started outside a tokio runtime");
            }
        }
    }
}

/// Turns a panic inside a handler into an error for that call only.
pub(crate) async fn catch_panic(fut: impl Future<Output = Outcome>) -> Outcome {
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(outcome) => outcome,
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(RpcError::with_kind(
                ErrorKind::Panicked,
                "Error",
                format!("the handler panicked: {detail}"),
            ))
        }
    }
}
