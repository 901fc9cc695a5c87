//! Serving: one session per accepted connection, a bound on connections, graceful shutdown.

use std::{
    collections::HashMap,
    io,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::{Stream, StreamExt};
use tokio::sync::watch;

use crate::{Session, SessionBuilder, Transport};

/// Starts a session on every transport `incoming` yields, each configured by `configure` (so
/// each gets its own main object). Returns when `incoming` ends; the sessions go on. For a
/// connection limit or graceful shutdown, use a [`Server`].
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
    Server::new().serve(incoming, configure).await
}

struct Inner {
    max_connections: usize,
    sessions: Mutex<HashMap<u64, Session>>,
    stopping: watch::Sender<bool>,
}

/// Accepts connections, each with its own session, up to a limit; and shuts down gracefully.
///
/// ```
/// use std::time::Duration;
/// use rpc_core::{Server, Session, Stub, Value, RpcError};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let server = Server::new().max_connections(100);
/// let (a, b) = rpc_core::testing::memory_pair();
/// let serving = tokio::spawn({
///     let server = server.clone();
///     async move {
///         let incoming = futures::stream::iter([Ok(a)]).chain(futures::stream::pending());
///         server.serve(incoming, || {
///             Session::builder().main(Stub::from_fn(|_| async { Ok::<_, RpcError>(Value::from(1)) }))
///         })
///         .await
///     }
/// });
/// let client = Session::builder().start(b);
/// assert_eq!(client.main().call_function(vec![]).await.unwrap(), Value::from(1));
/// server.shutdown(Duration::from_secs(1)).await;
/// serving.await.unwrap();
/// assert_eq!(server.connections(), 0);
/// # });
/// # use futures::StreamExt;
/// ```
#[derive(Clone)]
pub struct Server(Arc<Inner>);

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("connections", &self.connections())
            .finish()
    }
}

impl Default for Server {
    fn default() -> Self {
        Self::new()
    }
}

impl Server {
    /// A server allowing up to 10,000 concurrent connections.
    pub fn new() -> Self {
        Server(Arc::new(Inner {
            max_connections: 10_000,
            sessions: Mutex::default(),
            stopping: watch::channel(false).0,
        }))
    }

    /// Sets the most concurrent connections; over it, a new connection is closed at once.
    /// Call it before serving.
    pub fn max_connections(self, max: usize) -> Self {
        Server(Arc::new(Inner {
            max_connections: max,
            sessions: Mutex::default(),
            stopping: self.0.stopping.clone(),
        }))
    }

    /// Connections being served now.
    pub fn connections(&self) -> usize {
        self.sessions().len()
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Session>> {
        self.0.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Accepts from `incoming` until it ends or [`Server::shutdown`] is called, starting a
    /// session configured by `configure` on each connection.
    pub async fn serve<S, T, F>(&self, incoming: S, configure: F)
    where
        S: Stream<Item = io::Result<T>>,
        T: Transport,
        F: Fn() -> SessionBuilder,
    {
        futures::pin_mut!(incoming);
        let mut stopping = self.0.stopping.subscribe();
        loop {
            let next = tokio::select! {
                next = incoming.next() => next,
                _ = stopping.wait_for(|s| *s) => return,
            };
            match next {
                None => return,
                Some(Err(e)) => tracing::warn!(error = %e, "accept failed"),
                Some(Ok(transport)) => self.accept(transport, &configure),
            }
        }
    }

    fn accept<T: Transport>(&self, transport: T, configure: &impl Fn() -> SessionBuilder) {
        let mut sessions = self.sessions();
        if sessions.len() >= self.0.max_connections {
            drop(sessions);
            tracing::warn!(
                limit = self.0.max_connections,
                "max_connections limit reached; closing a new connection"
            );
            drop(transport);
            return;
        }
        let session = configure().start(transport);
        let id = session.id();
        sessions.insert(id, session.clone());
        drop(sessions);
        tracing::debug!(session = id, "accepted a connection");
        let server = self.clone();
        tokio::spawn(async move {
            session.closed().await;
            server.sessions().remove(&id);
        });
    }

    /// Stops accepting connections, then shuts every session down gracefully: new calls are
    /// refused, calls in flight finish and their results are sent, for up to `grace`; what is
    /// left after that is aborted.
    pub async fn shutdown(&self, grace: Duration) {
        self.0.stopping.send_replace(true);
        let sessions: Vec<Session> = self.sessions().values().cloned().collect();
        futures::future::join_all(sessions.iter().map(|s| s.shutdown(grace))).await;
        let mut live = self.sessions();
        for s in &sessions {
            live.remove(&s.id());
        }
    }
}
