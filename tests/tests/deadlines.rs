//! Deadlines and timeouts: past a deadline the caller gets a typed timeout and the remote work
//! is cancelled; a handler can opt in to passing its caller's deadline on.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use rpc_core::{ErrorKind, RpcError, Session, Value, deadline, rpc_interface};
use tests::{INITIAL, RawPeer, eventually, wait_for_stats};

#[rpc_interface]
pub trait Worker {
    /// Works for `ms`, noting what it saw.
    async fn work(&self, ms: u64) -> Result<u64, RpcError>;
    /// Asks the next hop to work for `ms`, passing this call's deadline on if `inherit`.
    async fn relay(&self, ms: u64, inherit: bool) -> Result<u64, RpcError>;
}

#[derive(Default)]
struct Seen {
    started: AtomicUsize,
    cancelled: AtomicUsize,
    had_deadline: AtomicBool,
}

#[derive(Clone, Default)]
struct WorkerImpl {
    seen: Arc<Seen>,
    next: Option<WorkerClient>,
}

struct Cancelled(Arc<Seen>, bool);

impl Drop for Cancelled {
    fn drop(&mut self) {
        if !self.1 {
            self.0.cancelled.fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl Worker for WorkerImpl {
    async fn work(&self, ms: u64) -> Result<u64, RpcError> {
        self.seen.started.fetch_add(1, Ordering::SeqCst);
        if deadline::incoming().is_some() {
            self.seen.had_deadline.store(true, Ordering::SeqCst);
        }
        let mut guard = Cancelled(self.seen.clone(), false);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        guard.1 = true;
        Ok(ms)
    }

    async fn relay(&self, ms: u64, inherit: bool) -> Result<u64, RpcError> {
        let next = self.next.clone().expect("a next hop");
        if inherit {
            deadline::inherit(async move { next.work(ms).await }).await
        } else {
            next.work(ms).await
        }
    }
}

fn connect(main: WorkerImpl) -> (Session, Session) {
    let (a, b) = rpc_transports::memory::pair();
    let server = Session::builder().main(WorkerServer::new(main)).start(a);
    let client = Session::builder().start(b);
    (server, client)
}

#[tokio::test]
async fn a_timed_out_call_fails_with_timeout_and_the_remote_work_is_cancelled() {
    let imp = WorkerImpl::default();
    let (server, client) = connect(imp.clone());
    let worker: WorkerClient = client.main_as();
    let err = worker
        .work(60_000)
        .timeout(Duration::from_millis(50))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    eventually("the remote work is cancelled", || {
        imp.seen.cancelled.load(Ordering::SeqCst) == 1
    })
    .await;
    // A call that finishes in time is unaffected.
    let ok = worker
        .work(1)
        .timeout(Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(ok, 1);
    drop(worker);
    wait_for_stats(&client, INITIAL).await;
    wait_for_stats(&server, INITIAL).await;
}

#[tokio::test]
async fn the_callee_learns_the_deadline_and_enforces_it() {
    let imp = WorkerImpl::default();
    let (_server, client) = connect(imp.clone());
    let worker: WorkerClient = client.main_as();
    // The caller keeps waiting beyond the deadline on a clone; the callee stops on its own.
    let call = deadline::timeout(Duration::from_millis(100), async { worker.work(60_000) }).await;
    let err = call.await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(imp.seen.had_deadline.load(Ordering::SeqCst));
    eventually("the callee cancels", || {
        imp.seen.cancelled.load(Ordering::SeqCst) == 1
    })
    .await;
}

/// client → relay → worker: with `inherit`, the worker's call carries the client's deadline.
#[tokio::test]
async fn a_handler_may_pass_its_callers_deadline_on() {
    for inherit in [true, false] {
        let far = WorkerImpl::default();
        let (_far_server, to_far) = connect(far.clone());
        let relay = WorkerImpl {
            seen: Arc::default(),
            next: Some(to_far.main_as()),
        };
        let (_relay_server, client) = connect(relay);
        let api: WorkerClient = client.main_as();
        let result = deadline::timeout(Duration::from_millis(150), async {
            api.relay(if inherit { 60_000 } else { 1 }, inherit).await
        })
        .await;
        if inherit {
            assert_eq!(result.unwrap_err().kind(), ErrorKind::Timeout);
            assert!(far.seen.had_deadline.load(Ordering::SeqCst));
            eventually("the far call is cancelled", || {
                far.seen.cancelled.load(Ordering::SeqCst) == 1
            })
            .await;
        } else {
            assert_eq!(result.unwrap(), 1);
            assert!(
                !far.seen.had_deadline.load(Ordering::SeqCst),
                "not inherited"
            );
        }
    }
}

#[tokio::test]
async fn a_capnweb_peer_never_sees_a_deadline() {
    let (client, mut server) = RawPeer::client();
    let call = deadline::timeout(Duration::from_secs(5), async {
        client.main().call("square", vec![Value::from(3)])
    })
    .await;
    assert_eq!(
        server.recv().await,
        r#"["push",["pipeline",0,["square"],[3]]]"#
    );
    drop(call);
}
