//! A client that redials when its connection is lost and hands out a fresh capability.
//!
//! Capabilities do not survive their session: once a connection is lost every stub from it is
//! broken for good (with a [`Disconnected`](crate::ErrorKind::Disconnected) error) and cannot
//! be repaired. What *can* be repeated is the way the client obtained them. [`Reconnecting`]
//! keeps that recipe, a `connect` function and a `bootstrap` function (typically
//! `authenticate(token)` returning the capability to use), and runs it again on every new
//! connection.

use std::{future::Future, io, sync::Arc, time::Duration};

use tokio::{sync::watch, task::JoinHandle};

use crate::{RpcError, Session, SessionBuilder, Transport, TypedStub};

mod backoff;
pub use backoff::Backoff;

/// Where a [`Reconnecting`] client is; observe it with [`Reconnecting::state`].
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectionState {
    /// Dialing (and bootstrapping) for the first time; `attempt` counts from 1.
    Connecting {
        /// The attempt under way or waiting for its backoff.
        attempt: u32,
        /// Why the previous attempt failed; `None` on the first.
        error: Option<RpcError>,
    },
    /// Connected and bootstrapped. `generation` counts sessions: 1 for the first, 2 after the
    /// first reconnection, and so on.
    Connected {
        /// Which session this is.
        generation: u64,
    },
    /// The session was lost (or an attempt failed) and the client is redialing.
    Reconnecting {
        /// The attempt under way or waiting for its backoff, counting from 1.
        attempt: u32,
        /// Why the last session or attempt ended.
        error: RpcError,
    },
}

/// The live session and the capability its bootstrap returned.
struct Live<T> {
    session: Session,
    stub: T,
}

type Configure = Arc<dyn Fn() -> SessionBuilder + Send + Sync>;

/// Configures and starts a [`Reconnecting`] client; see there.
pub struct ReconnectBuilder {
    configure: Configure,
    backoff: Backoff,
    attempt_timeout: Duration,
}

/// What the redial loop needs besides the user's functions.
struct Settings {
    configure: Configure,
    backoff: Backoff,
    attempt_timeout: Duration,
}

impl std::fmt::Debug for ReconnectBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReconnectBuilder")
            .field("backoff", &self.backoff)
            .field("attempt_timeout", &self.attempt_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for ReconnectBuilder {
    /// [`Session::builder`] sessions, [`Backoff::default`], a 30 s attempt timeout.
    fn default() -> Self {
        ReconnectBuilder {
            configure: Arc::new(Session::builder),
            backoff: Backoff::default(),
            attempt_timeout: Duration::from_secs(30),
        }
    }
}

impl ReconnectBuilder {
    /// How each session is configured (codec, keepalive, limits, a main object of our own).
    /// It is called once per connection. Default: [`Session::builder`].
    pub fn session(
        mut self,
        configure: impl Fn() -> SessionBuilder + Send + Sync + 'static,
    ) -> Self {
        self.configure = Arc::new(configure);
        self
    }

    /// The waits between attempts. Default: [`Backoff::default`].
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// How long one attempt (connect plus bootstrap) may take before it counts as failed, so
    /// a server that accepts but never answers cannot stall the client. Default: 30 s.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Starts dialing at once, in a task of its own (so it must be called within a tokio
    /// runtime). `connect` opens a transport; `bootstrap` turns a new session into the
    /// capability to hand out. A failure of either counts as a failed attempt and is retried
    /// after the backoff.
    pub fn start<T, C, CF, Tr, B, BF>(self, connect: C, bootstrap: B) -> Reconnecting<T>
    where
        T: TypedStub,
        C: Fn() -> CF + Send + Sync + 'static,
        CF: Future<Output = io::Result<Tr>> + Send + 'static,
        Tr: Transport,
        B: Fn(Session) -> BF + Send + Sync + 'static,
        BF: Future<Output = Result<T, RpcError>> + Send + 'static,
    {
        let (live_tx, live) = watch::channel(None);
        let (state_tx, state) = watch::channel(ConnectionState::Connecting {
            attempt: 1,
            error: None,
        });
        let task = tokio::spawn(redial(
            connect,
            bootstrap,
            Settings {
                configure: self.configure,
                backoff: self.backoff,
                attempt_timeout: self.attempt_timeout,
            },
            live_tx,
            state_tx,
        ));
        Reconnecting { live, state, task }
    }
}

/// A client connection that redials with backoff whenever it is lost, and runs a bootstrap on
/// each new session to obtain the capability `T` it hands out.
///
/// A lost connection is noticed when the transport reports it, or, for a peer that silently
/// vanished, when the session's keepalive goes unanswered: configure
/// [`keepalive`](SessionBuilder::keepalive) through [`ReconnectBuilder::session`] to decide
/// how soon.
///
/// Stubs from a lost session stay broken (with a
/// [`Disconnected`](crate::ErrorKind::Disconnected) error, or whatever ended it); ask
/// [`current`](Self::current) again for the new one. Dropping the `Reconnecting` stops
/// redialing and closes the current connection.
///
/// ```
/// use std::time::Duration;
/// use rpc_core::{RpcError, Session, rpc_interface};
/// use rpc_core::reconnect::{Backoff, Reconnecting};
///
/// #[rpc_interface]
/// pub trait Gate {
///     async fn authenticate(&self, token: String) -> Result<AccountClient, RpcError>;
/// }
/// #[rpc_interface]
/// pub trait Account {
///     async fn balance(&self) -> Result<i64, RpcError>;
/// }
/// struct Door;
/// struct Mine;
/// impl Gate for Door {
///     async fn authenticate(&self, token: String) -> Result<AccountClient, RpcError> {
///         if token != "secret" { return Err(RpcError::error("bad token")); }
///         Ok(AccountClient::local(Mine))
///     }
/// }
/// impl Account for Mine {
///     async fn balance(&self) -> Result<i64, RpcError> { Ok(42) }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), RpcError> {
/// // Each "connection" here is an in-memory pair whose other end gets a fresh server.
/// let connect = || async {
///     let (server_end, client_end) = rpc_core::testing::memory_pair();
///     Session::builder().main(GateServer::new(Door)).start(server_end);
///     Ok(client_end)
/// };
/// let client = Reconnecting::builder()
///     .backoff(Backoff::new(Duration::from_millis(10), Duration::from_secs(1)))
///     .start(connect, |session: Session| async move {
///         session.main_as::<GateClient>().authenticate("secret").await
///     });
///
/// let account: AccountClient = client.current().await?;
/// assert_eq!(account.balance().await?, 42);
///
/// // Lose the connection: the old stub is broken for good, the client redials on its own.
/// client.session().unwrap().close();
/// let err = account.balance().await.unwrap_err();
/// assert_eq!(err.kind(), rpc_core::ErrorKind::Disconnected);
/// let mut state = client.state();
/// state.wait_for(|s| *s == rpc_core::reconnect::ConnectionState::Connected { generation: 2 })
///     .await.unwrap();
/// assert_eq!(client.current().await?.balance().await?, 42);
/// # Ok(()) }
/// ```
pub struct Reconnecting<T> {
    live: watch::Receiver<Option<Live<T>>>,
    state: watch::Receiver<ConnectionState>,
    task: JoinHandle<()>,
}

impl<T> std::fmt::Debug for Reconnecting<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reconnecting")
            .field("state", &*self.state.borrow())
            .finish()
    }
}

impl Reconnecting<()> {
    /// A builder with the defaults (see [`ReconnectBuilder::default`]). The type of the
    /// capability is fixed later, by [`ReconnectBuilder::start`].
    pub fn builder() -> ReconnectBuilder {
        ReconnectBuilder::default()
    }
}

impl<T: TypedStub> Reconnecting<T> {
    /// The capability from the current session, waiting while (re)connecting. Fails only if
    /// the redial task itself is gone (a `connect` or `bootstrap` function panicked). Wrap it
    /// in a timeout to bound the wait.
    pub async fn current(&self) -> Result<T, RpcError> {
        let mut live = self.live.clone();
        // A session can break just before the redial task notices; skip it, the task will
        // publish the next one.
        let usable = |l: &Option<Live<T>>| {
            l.as_ref()
                .is_some_and(|l| l.session.broken_error().is_none())
        };
        match live.wait_for(usable).await {
            Ok(l) => Ok(l
                .as_ref()
                .map(|l| l.stub.clone())
                .expect("checked by wait_for")),
            Err(_) => Err(RpcError::disconnected(
                "the reconnecting client has stopped",
            )),
        }
    }

    /// The capability from the current session, if connected now.
    pub fn try_current(&self) -> Option<T> {
        self.live.borrow().as_ref().map(|l| l.stub.clone())
    }
}

impl<T> Reconnecting<T> {
    /// The current session, if connected now.
    pub fn session(&self) -> Option<Session> {
        self.live.borrow().as_ref().map(|l| l.session.clone())
    }

    /// Where the client is, as a watch: `borrow()` for now, `changed()` / `wait_for` to follow.
    pub fn state(&self) -> watch::Receiver<ConnectionState> {
        self.state.clone()
    }
}

impl<T> Drop for Reconnecting<T> {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(live) = self.live.borrow().as_ref() {
            live.session.close();
        }
    }
}

/// Closes a session when dropped: the redial task may be aborted (the client dropped) in the
/// middle of a bootstrap or while connected, and the connection must not outlive it.
struct CloseOnDrop(Session);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// One attempt: connect, start a session, bootstrap it.
async fn attempt<T, C, CF, Tr, B, BF>(
    connect: &C,
    bootstrap: &B,
    configure: &Configure,
) -> Result<(CloseOnDrop, T), RpcError>
where
    C: Fn() -> CF,
    CF: Future<Output = io::Result<Tr>>,
    Tr: Transport,
    B: Fn(Session) -> BF,
    BF: Future<Output = Result<T, RpcError>>,
{
    let transport = connect().await?;
    let session = CloseOnDrop(configure().start(transport));
    // A session that breaks mid-bootstrap fails the bootstrap's calls anyway, but a bootstrap
    // that makes no calls would not notice: race it against the end.
    let stub = tokio::select! {
        booted = bootstrap(session.0.clone()) => booted?,
        e = session.0.closed() => return Err(e),
    };
    Ok((session, stub))
}

/// The redial loop: connect, bootstrap, publish, wait for the session to end; repeat.
async fn redial<T, C, CF, Tr, B, BF>(
    connect: C,
    bootstrap: B,
    settings: Settings,
    live: watch::Sender<Option<Live<T>>>,
    state: watch::Sender<ConnectionState>,
) where
    T: TypedStub,
    C: Fn() -> CF,
    CF: Future<Output = io::Result<Tr>>,
    Tr: Transport,
    B: Fn(Session) -> BF,
    BF: Future<Output = Result<T, RpcError>>,
{
    let mut generation = 0u64;
    // Failures since the last good session (or since the start).
    let mut failures = 0u32;
    loop {
        let outcome = tokio::time::timeout(
            settings.attempt_timeout,
            attempt(&connect, &bootstrap, &settings.configure),
        )
        .await
        .unwrap_or_else(|_| {
            Err(RpcError::with_kind(
                crate::ErrorKind::Timeout,
                "Error",
                format!(
                    "connecting and bootstrapping took more than {:?}",
                    settings.attempt_timeout
                ),
            ))
        });
        let error = match outcome {
            Ok((session, stub)) => {
                generation += 1;
                failures = 0;
                tracing::debug!(
                    generation,
                    session = session.0.id(),
                    "reconnecting client connected"
                );
                live.send_replace(Some(Live {
                    session: session.0.clone(),
                    stub,
                }));
                state.send_replace(ConnectionState::Connected { generation });
                let error = session.0.closed().await;
                live.send_replace(None);
                tracing::info!(generation, %error, "connection lost; redialing");
                error
            }
            Err(error) => {
                tracing::debug!(attempt = failures + 1, %error, "connection attempt failed");
                error
            }
        };
        failures += 1;
        // The number shown is the attempt that comes after the backoff.
        state.send_replace(if generation == 0 {
            ConnectionState::Connecting {
                attempt: failures + 1,
                error: Some(error),
            }
        } else {
            ConnectionState::Reconnecting {
                attempt: failures,
                error,
            }
        });
        tokio::time::sleep(settings.backoff.delay(failures)).await;
    }
}
