//! `Reconnecting` over real TCP on 127.0.0.1: the server is killed mid-run and restarted on
//! the same port; the client redials and bootstraps again by itself.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use rpc_core::{
    ErrorKind, RpcError, Server, Session, TypedStub,
    reconnect::{Backoff, ConnectionState, Reconnecting},
    rpc_interface,
};
use rpc_transports::tcp;
use tokio::task::JoinHandle;

const WAIT: Duration = Duration::from_secs(5);

/// The server's main object: nothing but a way in.
#[rpc_interface]
pub trait Gate {
    /// The account for `token`, or an error.
    async fn authenticate(&self, token: String) -> Result<AccountClient, RpcError>;
}

/// What an authenticated client may use.
#[rpc_interface]
pub trait Account {
    /// `n + 1`, tagged with the server's run so the test sees which server answered.
    async fn ping(&self, n: i64) -> Result<String, RpcError>;
}

struct GateImpl {
    run: &'static str,
    logins: Arc<AtomicUsize>,
}

struct AccountImpl(&'static str);

impl Gate for GateImpl {
    async fn authenticate(&self, token: String) -> Result<AccountClient, RpcError> {
        if token != "let-me-in" {
            return Err(RpcError::error("bad token"));
        }
        self.logins.fetch_add(1, Ordering::SeqCst);
        Ok(AccountClient::local(AccountImpl(self.run)))
    }
}

impl Account for AccountImpl {
    async fn ping(&self, n: i64) -> Result<String, RpcError> {
        Ok(format!("{}:{}", self.0, n + 1))
    }
}

/// A server on `addr`, its accept loop in a task (which owns the listener).
async fn start_server(
    addr: SocketAddr,
    run: &'static str,
    logins: Arc<AtomicUsize>,
) -> (Server, JoinHandle<()>) {
    let listener = tcp::TcpListener::bind(addr).await.expect("bind 127.0.0.1");
    let server = Server::new();
    let serving = tokio::spawn({
        let server = server.clone();
        async move {
            server
                .serve(listener.incoming(), move || {
                    Session::builder().main(GateServer::new(GateImpl {
                        run,
                        logins: logins.clone(),
                    }))
                })
                .await
        }
    });
    (server, serving)
}

async fn wait_state(client: &Reconnecting<AccountClient>, want: impl Fn(&ConnectionState) -> bool) {
    let mut state = client.state();
    tokio::time::timeout(WAIT, state.wait_for(|s| want(s)))
        .await
        .unwrap_or_else(|_| panic!("state stayed {:?}", *client.state().borrow()))
        .expect("the client is running");
}

#[tokio::test]
async fn the_client_survives_a_server_restart_on_the_same_port() {
    // Learn a free port, then serve on it explicitly so the restart can bind it again.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let logins = Arc::new(AtomicUsize::new(0));
    let (server, serving) = start_server(addr, "first", logins.clone()).await;

    let bootstraps = Arc::new(AtomicUsize::new(0));
    let client = Reconnecting::builder()
        .backoff(
            Backoff::new(Duration::from_millis(20), Duration::from_millis(200)).without_jitter(),
        )
        .start(move || tcp::connect(addr), {
            let bootstraps = bootstraps.clone();
            move |session: Session| {
                bootstraps.fetch_add(1, Ordering::SeqCst);
                async move {
                    session
                        .main_as::<GateClient>()
                        .authenticate("let-me-in")
                        .await
                }
            }
        });

    let account = tokio::time::timeout(WAIT, client.current())
        .await
        .unwrap()
        .unwrap();
    for n in 0..5 {
        assert_eq!(account.ping(n).await.unwrap(), format!("first:{}", n + 1));
    }
    assert_eq!(
        *client.state().borrow(),
        ConnectionState::Connected { generation: 1 }
    );

    // Kill the server: no more accepts (the listener is dropped), every session closed.
    server.shutdown(Duration::ZERO).await;
    tokio::time::timeout(WAIT, serving).await.unwrap().unwrap();

    // The old stub is broken for good, with the typed error.
    let err = tokio::time::timeout(WAIT, account.ping(9))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Disconnected, "{err}");
    let broken = account
        .as_stub()
        .broken_error()
        .expect("the old stub reports broken");
    assert_eq!(broken.kind(), ErrorKind::Disconnected, "{broken}");
    // Nothing listens, so attempts fail and the state counts them.
    wait_state(
        &client,
        |s| matches!(s, ConnectionState::Reconnecting { attempt, .. } if *attempt >= 2),
    )
    .await;
    assert!(client.try_current().is_none());

    // Restart on the same port: the client finds it, bootstraps again and carries on.
    let (server2, _serving2) = start_server(addr, "second", logins.clone()).await;
    let fresh = tokio::time::timeout(WAIT, client.current())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fresh.ping(41).await.unwrap(), "second:42");
    assert_eq!(
        *client.state().borrow(),
        ConnectionState::Connected { generation: 2 }
    );
    assert_eq!(bootstraps.load(Ordering::SeqCst), 2);
    assert_eq!(logins.load(Ordering::SeqCst), 2);
    // The old stub stays broken: capabilities do not survive their session.
    assert!(account.ping(1).await.is_err());

    // Dropping the client closes its connection and stops redialing.
    drop(client);
    tests::eventually("the server sees the client leave", || {
        server2.connections() == 0
    })
    .await;
}

#[tokio::test]
async fn a_failing_bootstrap_is_retried_like_a_failed_connection() {
    let listener = tcp::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let logins = Arc::new(AtomicUsize::new(0));
    tokio::spawn(rpc_core::serve(listener.incoming(), {
        let logins = logins.clone();
        move || {
            Session::builder().main(GateServer::new(GateImpl {
                run: "only",
                logins: logins.clone(),
            }))
        }
    }));
    // The first two bootstraps present a bad token; the third a good one.
    let tries = Arc::new(AtomicUsize::new(0));
    let client = Reconnecting::builder()
        .backoff(
            Backoff::new(Duration::from_millis(10), Duration::from_millis(50)).without_jitter(),
        )
        .start(move || tcp::connect(addr), {
            let tries = tries.clone();
            move |session: Session| {
                let n = tries.fetch_add(1, Ordering::SeqCst);
                let token = if n < 2 { "wrong" } else { "let-me-in" };
                async move { session.main_as::<GateClient>().authenticate(token).await }
            }
        });
    let account = tokio::time::timeout(WAIT, client.current())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.ping(0).await.unwrap(), "only:1");
    assert_eq!(tries.load(Ordering::SeqCst), 3);
    assert_eq!(logins.load(Ordering::SeqCst), 1);
    assert_eq!(
        *client.state().borrow(),
        ConnectionState::Connected { generation: 1 }
    );
}

#[tokio::test]
async fn dropping_the_client_stops_redialing() {
    // Nothing listens on this port once the probe listener is gone.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dials = Arc::new(AtomicUsize::new(0));
    let client = Reconnecting::builder()
        .backoff(Backoff::new(Duration::from_millis(5), Duration::from_millis(5)).without_jitter())
        .start(
            {
                let dials = dials.clone();
                move || {
                    dials.fetch_add(1, Ordering::SeqCst);
                    tcp::connect(addr)
                }
            },
            |session: Session| async move {
                session
                    .main_as::<GateClient>()
                    .authenticate("let-me-in")
                    .await
            },
        );
    let mut state = client.state();
    tokio::time::timeout(
        WAIT,
        state.wait_for(|s| matches!(s, ConnectionState::Connecting { attempt, error: Some(_) } if *attempt >= 3)),
    )
    .await
    .unwrap()
    .unwrap();
    drop(client);
    // Let an attempt already under way finish, then check that no more start.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let after_drop = dials.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(dials.load(Ordering::SeqCst), after_drop);
    // Observers learn that the client is gone.
    assert!(state.changed().await.is_err());
}

#[tokio::test]
async fn a_silent_server_times_the_attempt_out_and_a_drop_hangs_up() {
    // A server that accepts and then says nothing: the bootstrap would wait forever.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (hung_up_tx, mut hung_up) = tokio::sync::mpsc::unbounded_channel();
    let open = Arc::new(AtomicUsize::new(0));
    tokio::spawn({
        let open = open.clone();
        async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                open.fetch_add(1, Ordering::SeqCst);
                let (open, hung_up_tx) = (open.clone(), hung_up_tx.clone());
                tokio::spawn(async move {
                    use tokio::io::AsyncReadExt;
                    let mut buf = [0u8; 1024];
                    // Read (and ignore) until the client closes its end.
                    while socket.read(&mut buf).await.is_ok_and(|n| n > 0) {}
                    open.fetch_sub(1, Ordering::SeqCst);
                    let _ = hung_up_tx.send(());
                });
            }
        }
    });
    let client = Reconnecting::builder()
        .backoff(
            Backoff::new(Duration::from_millis(10), Duration::from_millis(10)).without_jitter(),
        )
        .attempt_timeout(Duration::from_millis(100))
        .start(
            move || tcp::connect(addr),
            |session: Session| async move {
                session
                    .main_as::<GateClient>()
                    .authenticate("let-me-in")
                    .await
            },
        );
    let mut state = client.state();
    let timed_out = tokio::time::timeout(
        WAIT,
        state.wait_for(|s| matches!(s, ConnectionState::Connecting { error: Some(e), .. } if e.kind() == ErrorKind::Timeout)),
    )
    .await;
    assert!(
        matches!(timed_out, Ok(Ok(_))),
        "{:?}",
        *client.state().borrow()
    );
    // The timed-out attempt's connection was closed, not leaked.
    tokio::time::timeout(WAIT, hung_up.recv())
        .await
        .unwrap()
        .unwrap();

    // Dropped in the middle of an attempt, the client hangs up that connection too.
    tests::eventually("an attempt under way", || open.load(Ordering::SeqCst) == 1).await;
    drop(client);
    tests::eventually("every connection closed", || {
        open.load(Ordering::SeqCst) == 0
    })
    .await;
}
