//! Shared fixtures for Capstan's black-box integration tests: a small calculator interface with
//! capabilities and callbacks, an implementation that records what happens to it, and helpers
//! that connect two sessions. [`interop`] is the harness of the interop tests against capnweb;
//! [`example_programs`] runs the streaming example programs as child processes.

pub mod example_programs;
pub mod hostile;
pub mod streams;
pub mod tap;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicI64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use rpc_core::{
    Callback, RpcError, Session, SessionStats, Stub, Transport, Value,
    codec::{Codec, Json, MsgPack},
    rpc_interface,
};
use serde::{Deserialize, Serialize};

pub mod interop;

/// A user record, for property-path pipelining.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The ID.
    pub id: i64,
    /// The display name.
    pub name: String,
    /// Nested data.
    pub profile: Profile,
}

/// Nested user data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// A biography.
    pub bio: String,
}

/// The interface most integration tests exercise.
#[rpc_interface]
pub trait Calculator {
    /// `a + b`.
    async fn add(&self, a: i64, b: i64) -> Result<i64, RpcError>;
    /// `x * x`.
    async fn square(&self, x: i64) -> Result<i64, RpcError>;
    /// A new counter capability.
    async fn make_counter(&self, start: i64) -> Result<CounterClient, RpcError>;
    /// Calls `counter.increment(by)` on a counter the caller passed in.
    async fn increment_counter(&self, counter: CounterClient, by: i64) -> Result<i64, RpcError>;
    /// True if `counter` is one of this server's own local counters.
    async fn is_own_counter(&self, counter: CounterClient) -> Result<bool, RpcError>;
    /// Calls `cb(x)` and returns its result.
    async fn call_back(&self, cb: Callback<i64, i64>, x: i64) -> Result<i64, RpcError>;
    /// Returns `n` at once, then calls `cb(0) … cb(n-1)` in order, then drops `cb`.
    async fn subscribe(&self, cb: Callback<i64>, n: i64) -> Result<i64, RpcError>;
    /// Fails with a `RangeError` carrying a `code` property.
    async fn fail(&self, message: String) -> Result<(), RpcError>;
    /// Panics.
    async fn explode(&self) -> Result<(), RpcError>;
    /// Resolves with `ms` after `ms` milliseconds.
    async fn slow(&self, ms: u64) -> Result<u64, RpcError>;
    /// A user record.
    async fn get_user(&self, id: i64) -> Result<User, RpcError>;
    /// Appends `tag` to the call log (to observe delivery order).
    async fn log(&self, tag: String) -> Result<(), RpcError>;
    /// Returns a counter that another peer gave us earlier (for three-party tests).
    async fn forward(&self, counter: CounterClient) -> Result<CounterClient, RpcError>;
}

/// A counter capability.
#[rpc_interface]
pub trait Counter {
    /// Adds `by` and returns the new value.
    async fn increment(&self, by: i64) -> Result<i64, RpcError>;
    /// The current value.
    async fn value(&self) -> Result<i64, RpcError>;
}

/// What the server observed, shared with the test.
#[derive(Default)]
pub struct Observed {
    /// Tags logged by `log`, in delivery order.
    pub log: Mutex<Vec<String>>,
    /// Callback results delivered by `subscribe`.
    pub delivered: AtomicUsize,
    /// Live counters (incremented on creation, decremented on drop).
    pub live_counters: AtomicI64,
}

/// The server side of [`Calculator`].
#[derive(Default, Clone)]
pub struct CalculatorImpl {
    /// What happened.
    pub observed: Arc<Observed>,
}

/// The server side of [`Counter`]; it counts itself in [`Observed::live_counters`].
pub struct CounterImpl {
    value: AtomicI64,
    observed: Arc<Observed>,
}

impl CounterImpl {
    /// A counter starting at `start`.
    pub fn new(start: i64, observed: Arc<Observed>) -> Self {
        observed.live_counters.fetch_add(1, Ordering::SeqCst);
        CounterImpl {
            value: AtomicI64::new(start),
            observed,
        }
    }
}

impl Drop for CounterImpl {
    fn drop(&mut self) {
        self.observed.live_counters.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Counter for CounterImpl {
    async fn increment(&self, by: i64) -> Result<i64, RpcError> {
        Ok(self.value.fetch_add(by, Ordering::SeqCst) + by)
    }
    async fn value(&self) -> Result<i64, RpcError> {
        Ok(self.value.load(Ordering::SeqCst))
    }
}

impl CalculatorImpl {
    /// The record `get_user` answers with.
    pub fn get_user_sync(&self, id: i64) -> Result<User, RpcError> {
        Ok(User {
            id,
            name: format!("User {id}"),
            profile: Profile {
                bio: format!("Bio of user {id}"),
            },
        })
    }
}

impl Calculator for CalculatorImpl {
    async fn add(&self, a: i64, b: i64) -> Result<i64, RpcError> {
        Ok(a + b)
    }
    async fn square(&self, x: i64) -> Result<i64, RpcError> {
        Ok(x * x)
    }
    async fn make_counter(&self, start: i64) -> Result<CounterClient, RpcError> {
        Ok(CounterClient::local(CounterImpl::new(
            start,
            self.observed.clone(),
        )))
    }
    async fn increment_counter(&self, counter: CounterClient, by: i64) -> Result<i64, RpcError> {
        counter.increment(by).await
    }
    async fn is_own_counter(&self, counter: CounterClient) -> Result<bool, RpcError> {
        use rpc_core::TypedStub;
        Ok(counter
            .as_stub()
            .downcast::<CounterServer<CounterImpl>>()
            .is_some())
    }
    async fn call_back(&self, cb: Callback<i64, i64>, x: i64) -> Result<i64, RpcError> {
        cb.call(x).await
    }
    async fn subscribe(&self, cb: Callback<i64>, n: i64) -> Result<i64, RpcError> {
        let observed = self.observed.clone();
        tokio::spawn(async move {
            for i in 0..n {
                if cb.call(i).await.is_ok() {
                    observed.delivered.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        Ok(n)
    }
    async fn fail(&self, message: String) -> Result<(), RpcError> {
        Err(RpcError::range_error(message).with_prop("code", 42))
    }
    async fn explode(&self) -> Result<(), RpcError> {
        panic!("kaboom")
    }
    async fn slow(&self, ms: u64) -> Result<u64, RpcError> {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(ms)
    }
    async fn get_user(&self, id: i64) -> Result<User, RpcError> {
        self.get_user_sync(id)
    }
    async fn log(&self, tag: String) -> Result<(), RpcError> {
        self.observed.log.lock().unwrap().push(tag);
        Ok(())
    }
    async fn forward(&self, counter: CounterClient) -> Result<CounterClient, RpcError> {
        Ok(counter)
    }
}

/// The codecs every engine test runs under.
pub fn codecs() -> [Arc<dyn Codec>; 2] {
    [Arc::new(MsgPack), Arc::new(Json)]
}

/// A server session serving `main` and a client session, over `a` and `b`.
pub fn connect_with(
    codec: &Arc<dyn Codec>,
    main: impl Into<Stub>,
    a: impl Transport,
    b: impl Transport,
) -> (Session, Session) {
    let server = builder(codec).main(main).start(a);
    let client = builder(codec).start(b);
    (server, client)
}

/// A session builder using `codec`.
pub fn builder(codec: &Arc<dyn Codec>) -> rpc_core::SessionBuilder {
    match codec.name() {
        "json" => Session::builder().codec(Json),
        _ => Session::builder().codec(MsgPack),
    }
}

/// A calculator server and a client over an in-memory pair.
pub fn calculator_pair(codec: &Arc<dyn Codec>) -> (Session, Session, CalculatorImpl) {
    let imp = CalculatorImpl::default();
    let (a, b) = rpc_transports::memory::pair();
    let (server, client) = connect_with(codec, CalculatorServer::new(imp.clone()), a, b);
    (server, client, imp)
}

/// The stats of a fresh session.
pub const INITIAL: SessionStats = SessionStats {
    imports: 1,
    exports: 1,
};

/// Waits (up to 5 s) until `session`'s tables have the expected sizes; releases travel
/// asynchronously, so a test must give them a moment.
pub async fn wait_for_stats(session: &Session, expected: SessionStats) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let stats = session.stats();
        if stats == expected {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!(
                "session {} stats stayed {stats:?}, expected {expected:?}",
                session.id()
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits (up to 5 s) until `check` holds.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !check() {
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Numbers to map over.
#[rpc_interface]
pub trait Numbers {
    async fn generate_fibonacci(&self, n: i64) -> Result<Vec<i64>, RpcError>;
    async fn square(&self, x: i64) -> Result<i64, RpcError>;
    async fn echo(&self, value: Value) -> Result<Value, RpcError>;
    async fn get_user(&self, id: i64) -> Result<User, RpcError>;
    /// `Some(x)` when `x` is even.
    async fn even(&self, x: i64) -> Result<Option<i64>, RpcError>;
}

/// The server side of [`Numbers`].
pub struct NumbersImpl;

impl Numbers for NumbersImpl {
    async fn generate_fibonacci(&self, n: i64) -> Result<Vec<i64>, RpcError> {
        let mut out = Vec::new();
        let (mut a, mut b) = (0i64, 1i64);
        for _ in 0..n {
            out.push(a);
            (a, b) = (b, a + b);
        }
        Ok(out)
    }
    async fn square(&self, x: i64) -> Result<i64, RpcError> {
        Ok(x * x)
    }
    async fn echo(&self, value: Value) -> Result<Value, RpcError> {
        Ok(value)
    }
    async fn get_user(&self, id: i64) -> Result<User, RpcError> {
        CalculatorImpl::default().get_user_sync(id)
    }
    async fn even(&self, x: i64) -> Result<Option<i64>, RpcError> {
        Ok((x % 2 == 0).then_some(x))
    }
}

/// A peer that speaks raw Cap'n Web JSON frames, for replaying what capnweb sends.
pub struct RawPeer {
    transport: rpc_transports::memory::MemoryTransport,
}

impl RawPeer {
    /// A session serving `main` with the JSON codec, and the raw peer connected to it.
    pub fn serve(main: impl Into<Stub>) -> (Session, RawPeer) {
        let (a, b) = rpc_transports::memory::pair();
        let session = Session::builder().codec(Json).main(main).start(a);
        (session, RawPeer { transport: b })
    }

    /// A JSON session with no main object (a client), and the raw peer playing its server.
    pub fn client() -> (Session, RawPeer) {
        let (a, b) = rpc_transports::memory::pair();
        let session = Session::builder().codec(Json).start(a);
        (session, RawPeer { transport: b })
    }

    /// Sends one frame of text.
    pub async fn send(&mut self, frame: &str) {
        use futures::SinkExt;
        self.transport
            .send(rpc_core::Frame::Text(frame.to_owned()))
            .await
            .expect("send");
    }

    /// The next frame's text (close frames read as `close: <reason>`); panics after 5 s.
    pub async fn recv(&mut self) -> String {
        use futures::StreamExt;
        let frame = tokio::time::timeout(Duration::from_secs(5), self.transport.next())
            .await
            .expect("a frame within 5 s")
            .expect("the session is still open")
            .expect("no transport error");
        match frame {
            rpc_core::Frame::Text(t) => t,
            rpc_core::Frame::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
            rpc_core::Frame::Close(reason) => format!("close: {reason}"),
        }
    }
}
