//! Cancellation: dropping a call's future on the caller releases its result, and the
//! callee's running future is dropped (observably: a guard in the handler runs its `Drop`),
//! leaving both tables as they started. In memory, under both codecs, and over real TCP.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use rpc_core::{RpcError, Session, SessionBuilder, Transport, rpc_interface};
use tests::{INITIAL, builder, codecs, eventually, wait_for_stats};

/// A method that never finishes on its own.
#[rpc_interface]
trait Sleeper {
    /// Waits forever (until cancelled).
    async fn sleep_forever(&self) -> Result<(), RpcError>;
    /// Answers at once.
    async fn ping(&self) -> Result<u32, RpcError>;
}

#[derive(Clone, Default)]
struct SleeperImpl {
    started: Arc<AtomicBool>,
    dropped: Arc<AtomicBool>,
}

/// Sets its flag when dropped: the handler's future was dropped, not left running.
struct DropGuard(Arc<AtomicBool>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Sleeper for SleeperImpl {
    async fn sleep_forever(&self) -> Result<(), RpcError> {
        let _guard = DropGuard(self.dropped.clone());
        self.started.store(true, Ordering::SeqCst);
        futures::future::pending::<()>().await;
        Ok(())
    }
    async fn ping(&self) -> Result<u32, RpcError> {
        Ok(7)
    }
}

/// Runs the scenario on a connected pair of sessions.
async fn cancel_and_check(server: &Session, client: &Session, imp: &SleeperImpl) {
    let sleeper: SleeperClient = client.main_as();
    // The timeout drops the call's future after 50 ms.
    let outcome = tokio::time::timeout(Duration::from_millis(50), sleeper.sleep_forever()).await;
    assert!(outcome.is_err(), "the call cannot have finished");
    assert!(imp.started.load(Ordering::SeqCst), "the handler ran");
    let dropped = imp.dropped.clone();
    eventually("the handler's future to be dropped", || {
        dropped.load(Ordering::SeqCst)
    })
    .await;
    wait_for_stats(server, INITIAL).await;
    wait_for_stats(client, INITIAL).await;
    // The session goes on.
    assert_eq!(sleeper.ping().await.unwrap(), 7);
}

fn start_pair(
    server: SessionBuilder,
    client: SessionBuilder,
    a: impl Transport,
    b: impl Transport,
) -> (Session, Session, SleeperImpl) {
    let imp = SleeperImpl::default();
    let server = server.main(SleeperServer::new(imp.clone())).start(a);
    (server, client.start(b), imp)
}

#[tokio::test]
async fn dropping_a_call_drops_the_callees_future() {
    for codec in codecs() {
        let (a, b) = rpc_transports::memory::pair();
        let (server, client, imp) = start_pair(builder(&codec), builder(&codec), a, b);
        cancel_and_check(&server, &client, &imp).await;
    }
}

#[tokio::test]
async fn dropping_a_call_drops_the_callees_future_over_tcp() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let listener = rpc_transports::tcp::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        let connect = rpc_transports::tcp::connect(listener.local_addr().unwrap());
        let (client_side, accepted) = tokio::join!(connect, listener.accept());
        let (server_side, _) = accepted.unwrap();
        let (server, client, imp) = start_pair(
            Session::builder(),
            Session::builder(),
            server_side,
            client_side.unwrap(),
        );
        cancel_and_check(&server, &client, &imp).await;
    })
    .await
    .expect("within 20 s");
}
