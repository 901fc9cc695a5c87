//! Serving: one session per accepted connection.

use std::io;

use futures::{Stream, StreamExt};

use crate::{SessionBuilder, Transport};

/// Starts a session on every transport `incoming` yields, each configured by `configure` (so
/// each gets its own main object). Returns when `incoming` ends; the sessions go on.
///
/// A failed accept is logged and skipped: one bad connection must not stop the server.
///
/// ```
/// use rpc_core::{Session, Stub, Value, RpcError};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let (a, b) = rpc_core::testing::memory_pair();
/// let incoming = futures::stream::iter([Ok(a)]);
/// rpc_core::serve(incoming, || {
///     Session::builder().main(Stub::from_fn(|_| async { Ok::<_, RpcError>(Value::from(1)) }))
/// })
/// .await;
/// let client = Session::builder().start(b);
/// assert_eq!(client.main().call_function(vec![]).await.unwrap(), Value::from(1));
/// # });
/// ```
pub async fn serve<S, T, F>(incoming: S, configure: F)
where
    S: Stream<Item = io::Result<T>>,
    T: Transport,
    F: Fn() -> SessionBuilder,
{
    futures::pin_mut!(incoming);
    while let Some(next) = incoming.next().await {
        match next {
            Ok(transport) => {
                let session = configure().start(transport);
                tracing::debug!(session = session.id(), "accepted a connection");
            }
            Err(e) => tracing::warn!(error = %e, "accept failed"),
        }
    }
}
