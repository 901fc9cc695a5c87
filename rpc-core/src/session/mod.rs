//! The session: one connection's import and export tables and the engine that drives them.

mod devaluate;
mod driver;
mod evaluate;
mod extensions;
mod inbound;
mod mailbox;
mod shared;
mod tables;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use tracing::Instrument;

pub(crate) use devaluate::scalar_expr;
pub(crate) use evaluate::scalar;
pub use extensions::Extensions;
use shared::Command;
use shared::SessionConfig;
pub(crate) use shared::{ImportRef, SessionShared};
use tables::ExportKind;

use crate::{
    Limits, RpcError, Stub, Transport, TypedStub,
    codec::{Auto, Codec},
    middleware::{Dispatch, InboundLayer, InboundService},
    stub::Hook,
};

/// Table sizes, as capnweb's `getStats()` reports them. A fresh session reads `{1, 1}` (the
/// main objects), and returns to it once every stub and promise has been dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionStats {
    /// Entries in the import table.
    pub imports: usize,
    /// Entries in the export table.
    pub exports: usize,
}

/// Configures and starts a [`Session`].
///
/// ```
/// use rpc_core::{Session, Stub, Value, RpcError};
/// use rpc_core::codec::Json;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let (a, b) = rpc_core::testing::memory_pair();
/// let server = Session::builder()
///     .main(Stub::from_fn(|_args| async { Ok::<_, RpcError>(Value::from("hi")) }))
///     .start(a);
/// let client = Session::builder().codec(Json).start(b);
/// assert_eq!(client.main().call_function(vec![]).await.unwrap(), Value::from("hi"));
/// # drop(server);
/// # });
/// ```
pub struct SessionBuilder {
    main: Option<Stub>,
    codec: Arc<dyn Codec>,
    limits: Limits,
    keepalive: Option<Duration>,
    inbound: Option<InboundService>,
    extensions: Extensions,
    reflection: bool,
}

impl std::fmt::Debug for SessionBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionBuilder")
            .field("main", &self.main)
            .field("codec", &self.codec)
            .field("limits", &self.limits)
            .field("keepalive", &self.keepalive)
            .field("layered", &self.inbound.is_some())
            .field("reflection", &self.reflection)
            .finish()
    }
}

/// The default keepalive interval.
/// Under the 60 s idle timeout of common proxies (nginx's `proxy_read_timeout`): the first
/// heartbeat of an idle session goes out within 1.25 intervals.
const KEEPALIVE: Duration = Duration::from_secs(30);

impl Default for SessionBuilder {
    fn default() -> Self {
        SessionBuilder {
            main: None,
            codec: Arc::new(Auto::default()),
            limits: Limits::default(),
            keepalive: Some(KEEPALIVE),
            inbound: None,
            extensions: Extensions::default(),
            reflection: true,
        }
    }
}

impl SessionBuilder {
    /// The object the peer reaches as its main (ID 0).
    pub fn main(mut self, main: impl Into<Stub>) -> Self {
        self.main = Some(main.into());
        self
    }

    /// The codec. The default, [`Auto`], sends MessagePack and answers in whatever the peer
    /// speaks; use [`Json`](crate::codec::Json) to call a capnweb server.
    pub fn codec(mut self, codec: impl Codec) -> Self {
        self.codec = Arc::new(codec);
        self
    }

    /// The limits enforced on what the peer sends.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// How long the peer may stay silent before a heartbeat checks it is there; if the
    /// heartbeat is not answered within the same time, the session ends with a
    /// [`Disconnected`](crate::ErrorKind::Disconnected) error and every pending call fails.
    /// `None` turns it off. Default: 30 s, so an idle session's traffic keeps a proxy with a
    /// 60 s idle timeout (nginx's default) from closing it.
    pub fn keepalive(mut self, interval: Option<Duration>) -> Self {
        self.keepalive = interval.filter(|i| !i.is_zero());
        self
    }

    /// Wraps the calls the peer makes on this side's objects in `layer`: any tower
    /// [`Layer`](tower::Layer) over a [`Service`](tower::Service) of
    /// [`CallRequest`](crate::middleware::CallRequest)s, such as
    /// [`TraceLayer`](crate::middleware::TraceLayer) or tower's `TimeoutLayer`. Each call adds
    /// a layer outside the ones before it, as `ServiceBuilder` does for the layers it lists
    /// last. Every route to a local object passes it: direct calls, pipelined calls, calls
    /// nested in arguments and calls made by a `.map()`.
    ///
    /// ```
    /// use rpc_core::{Session, Stub, Value, RpcError, ErrorKind, testing::memory_pair};
    /// use tower::limit::ConcurrencyLimitLayer;
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, b) = memory_pair();
    /// let main = Stub::from_fn(|_| async { Ok::<_, RpcError>(Value::from(1)) });
    /// // At most 8 of this peer's calls run at once; the rest wait their turn.
    /// let _server = Session::builder().main(main).layer(ConcurrencyLimitLayer::new(8)).start(a);
    /// let client = Session::builder().start(b);
    /// assert_eq!(client.main().call_function(vec![]).await.unwrap(), Value::from(1));
    /// # });
    /// ```
    pub fn layer(mut self, layer: impl InboundLayer) -> Self {
        let inner = self
            .inbound
            .take()
            .unwrap_or_else(|| InboundService::new(Dispatch));
        self.inbound = Some(layer.wrap(inner));
        self
    }

    /// Attaches `value` to the session from its start (see [`Session::extensions`]): for
    /// what the transport already knows of the peer, such as an address or a verified
    /// client certificate.
    ///
    /// ```
    /// use rpc_core::{Session, testing::memory_pair};
    ///
    /// #[derive(Clone, Debug, PartialEq)]
    /// struct PeerAddr(String);
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = memory_pair();
    /// let session = Session::builder().extension(PeerAddr("127.0.0.1:5000".into())).start(a);
    /// assert_eq!(session.extensions().get::<PeerAddr>(), Some(PeerAddr("127.0.0.1:5000".into())));
    /// # });
    /// ```
    pub fn extension<T: std::any::Any + Send + Sync>(self, value: T) -> Self {
        self.extensions.insert(value);
        self
    }

    /// Whether the peer may ask this session's objects what they offer, with the reserved
    /// method [`__describe__`](crate::reflect::DESCRIBE_METHOD). Default: on.
    ///
    /// Off, the call fails as a call of a method the object does not have (an
    /// [`UnknownMethod`](crate::ErrorKind::UnknownMethod) `TypeError`). To switch it off for every
    /// connection of a [`Server`](crate::Server), do it in the builder its `configure` closure
    /// returns.
    ///
    /// ```
    /// use rpc_core::{ErrorKind, RpcError, Session, reflect, rpc_interface};
    ///
    /// #[rpc_interface]
    /// trait Vault {
    ///     async fn open(&self, pin: u32) -> Result<bool, RpcError>;
    /// }
    /// struct Safe;
    /// impl Vault for Safe {
    ///     async fn open(&self, pin: u32) -> Result<bool, RpcError> { Ok(pin == 1234) }
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, b) = rpc_core::testing::memory_pair();
    /// let _server = Session::builder().main(VaultServer::new(Safe)).reflection(false).start(a);
    /// let client = Session::builder().start(b);
    /// let e = reflect::describe(&client.main()).await.unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::UnknownMethod);
    /// assert_eq!(client.main().call("open", vec![1234.into()]).await.unwrap(), true.into());
    /// # });
    /// ```
    pub fn reflection(mut self, enabled: bool) -> Self {
        self.reflection = enabled;
        self
    }

    /// Starts the session on `transport`. Must be called within a tokio runtime.
    pub fn start(self, transport: impl Transport) -> Session {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let main = match self.main {
            Some(stub) => ExportKind::Capability(stub),
            None => ExportKind::NoMain,
        };
        let config = SessionConfig {
            main,
            codec: self.codec.clone(),
            limits: self.limits,
            inbound: self.inbound,
            extensions: self.extensions,
            reflection: self.reflection,
        };
        let shared = Arc::new(SessionShared::new(id, config));
        let driver = driver::run(shared.clone(), transport, self.codec, self.keepalive);
        // Everything the session's own task reports carries its id. Only when someone listens:
        // entering even a disabled span on every poll costs the hot path measurably (callgrind:
        // about 600 instructions per call).
        let span = tracing::info_span!("rpc.session", session = id);
        if span.is_disabled() {
            tokio::spawn(driver);
        } else {
            tokio::spawn(driver.instrument(span));
        }
        tracing::debug!(session = id, "session started");
        Session { shared }
    }
}

/// A handle on one RPC session. Cheap to clone; `Send + Sync`.
///
/// The session runs in its own tasks until the transport closes or either side aborts. Dropping
/// handles does not end it.
#[derive(Clone)]
pub struct Session {
    shared: Arc<SessionShared>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.shared.id)
            .finish()
    }
}

tokio::task_local! {
    static CURRENT: Session;
}

impl Session {
    /// Values attached to this session, by type: see [`Extensions`].
    pub fn extensions(&self) -> &Extensions {
        &self.shared.extensions
    }

    /// The session whose incoming call is being handled, inside a handler; `None` elsewhere.
    ///
    /// Handlers use it to learn who is calling: the session's ID, its tables, or the peer's
    /// main object.
    ///
    /// ```
    /// use rpc_core::{RpcError, Session, Stub, Value};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, b) = rpc_core::testing::memory_pair();
    /// let server = Session::builder()
    ///     .main(Stub::from_fn(|_| async {
    ///         let id = Session::current().map(|s| s.id()).unwrap_or(0);
    ///         Ok::<_, RpcError>(Value::from(id as i64))
    ///     }))
    ///     .start(a);
    /// let client = Session::builder().start(b);
    /// let seen = client.main().call_function(vec![]).await.unwrap();
    /// assert_eq!(seen, Value::from(server.id() as i64));
    /// assert!(Session::current().is_none());
    /// # });
    /// ```
    pub fn current() -> Option<Session> {
        CURRENT.try_with(Session::clone).ok()
    }

    pub(crate) fn from_shared(shared: &Arc<SessionShared>) -> Session {
        Session {
            shared: shared.clone(),
        }
    }

    pub(crate) fn scope<F: std::future::Future>(
        shared: &Arc<SessionShared>,
        fut: F,
    ) -> tokio::task::futures::TaskLocalFuture<Session, F> {
        CURRENT.scope(
            Session {
                shared: shared.clone(),
            },
            fut,
        )
    }

    /// A builder with the defaults: no main object, the [`Auto`] codec, default limits.
    pub fn builder() -> SessionBuilder {
        SessionBuilder::default()
    }

    /// A process-unique number for logs.
    pub fn id(&self) -> u64 {
        self.shared.id
    }

    /// The limits this session enforces.
    pub fn limits(&self) -> &Limits {
        &self.shared.limits
    }

    /// The peer's main object.
    pub fn main(&self) -> Stub {
        Stub(Hook::Remote(Arc::new(ImportRef {
            session: self.shared.clone(),
            id: 0,
            generation: 0,
        })))
    }

    /// The peer's main object as a typed stub.
    pub fn main_as<T: TypedStub>(&self) -> T {
        T::from_stub(self.main())
    }

    /// The sizes of the import and export tables.
    pub fn stats(&self) -> SessionStats {
        let st = self.shared.lock();
        SessionStats {
            imports: st.imports.len(),
            exports: st.exports.len(),
        }
    }

    /// The error that ended the session, if it has ended.
    pub fn broken_error(&self) -> Option<RpcError> {
        self.shared.broken()
    }

    /// Runs `f` once when the session ends (at once if it already has).
    pub fn on_broken(&self, f: impl FnOnce(RpcError) + Send + 'static) {
        self.shared.on_broken(f)
    }

    /// Waits until the session ends and returns why.
    pub async fn closed(&self) -> RpcError {
        let mut rx = self.shared.closed.subscribe();
        loop {
            if let Some(e) = rx.borrow_and_update().clone() {
                return e;
            }
            if rx.changed().await.is_err() {
                return RpcError::disconnected("the session is gone");
            }
        }
    }

    /// Waits until every result the peer has pulled, and every promise we exported, has
    /// settled and its resolution is queued for sending. HTTP batch uses this to know when the
    /// response is complete.
    pub async fn drain(&self) {
        loop {
            let unsettled = self.shared.unsettled();
            if unsettled.is_empty() {
                return;
            }
            for pending in unsettled {
                let _ = pending.wait().await;
            }
        }
    }

    /// Shuts the session down gracefully: new calls from the peer are refused, calls in flight
    /// finish and their results are sent, for up to `grace`; then the connection is closed (or,
    /// if the grace period ran out, aborted).
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_core::{Session, Stub, Value, RpcError};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, b) = rpc_core::testing::memory_pair();
    /// let server = Session::builder()
    ///     .main(Stub::from_fn(|_| async {
    ///         tokio::time::sleep(Duration::from_millis(50)).await;
    ///         Ok::<_, RpcError>(Value::from("done"))
    ///     }))
    ///     .start(a);
    /// let client = Session::builder().start(b);
    /// let call = client.main().call_function(vec![]);
    /// tokio::time::sleep(Duration::from_millis(10)).await;
    /// server.shutdown(Duration::from_secs(5)).await;
    /// assert_eq!(call.await.unwrap(), Value::from("done")); // the call in flight finished
    /// # });
    /// ```
    pub async fn shutdown(&self, grace: Duration) {
        self.shared.lock().draining = true;
        self.shared.answer_all();
        let finished = tokio::time::timeout(grace, async {
            while self.shared.calls_running.load(Ordering::Acquire) > 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            self.drain().await;
        })
        .await;
        match finished {
            Ok(()) => self.shared.command(Command::Close(RpcError::disconnected(
                "the server shut down",
            ))),
            Err(_) => self.abort(RpcError::error(format!(
                "the server shut down; calls still running after the {grace:?} grace period were cancelled"
            ))),
        }
        self.closed().await;
    }

    /// Aborts the session: the peer is told why, and everything pending fails with `reason`.
    pub fn abort(&self, reason: RpcError) {
        let reason =
            RpcError::with_kind(crate::ErrorKind::Aborted, reason.name(), reason.message());
        self.shared.command(Command::Abort(reason));
    }

    /// Closes the connection without an abort message (as capnweb does when its main stub is
    /// disposed).
    pub fn close(&self) {
        self.shared.command(Command::Close(RpcError::disconnected(
            "the session was closed",
        )));
    }
}
