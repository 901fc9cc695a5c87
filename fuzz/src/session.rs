//! The session harness: a server [`Session`] serving a small object, driven by fuzz input.
//!
//! # Input format
//!
//! The input is split on `\n`; each line is one step:
//!
//! - an empty line lets 1 ms of (virtual) time pass;
//! - a line starting with `0x01` is *structured*: the rest of the line is read with
//!   [`arbitrary::Unstructured`] as a sequence of valid-ish messages with small random IDs,
//!   method names from the object's interface, and waits;
//! - a line starting with `0x02` is a close frame, the rest its reason;
//! - any other line is one raw frame. In a JSON session it is sent as a text frame (a binary one
//!   when it is not UTF-8). In a MessagePack session a line that decodes as Cap'n Web JSON is
//!   converted to MessagePack, and any other line is sent as raw bytes in a binary frame.
//!
//! So a recorded capnweb conversation, newline-joined, is a valid input as it is. The session
//! speaks MessagePack when the input's length is odd, JSON when it is even. When
//! `(len / 2)` is odd the harness also answers the server like a real client would: it resolves
//! every `pull` the server sends and acknowledges every `stream` write.
//!
//! # What is checked
//!
//! Nothing may panic (libFuzzer turns any panic into a crash, even one a task would catch). Every
//! frame the session sends must decode with its own codec. Once the fuzz input has been sent
//! and [`BUDGET`] of virtual time has passed, the peer hangs up: the session must notice and end,
//! every task it started must finish, so no input can leave work behind for the next one,
//! and the session's state must be freed (see [`LeakMode`] for how to live with a known leak).
//! Time is tokio's paused clock, so sleeps cost no wall time and a run is repeatable; an input
//! that keeps the runtime busy forever never lets the clock move and shows up as a libFuzzer
//! timeout.

use std::{
    sync::{
        LazyLock, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use arbitrary::Unstructured;
use bytes::Bytes;
use futures::{SinkExt, StreamExt, stream};
use rpc_core::{
    Callback, Frame, Limits, RpcError, RpcSink, RpcStream, Session, Value,
    codec::{Codec, CodecError, Json, MsgPack},
    protocol::{
        CallExpr, ErrorExpr, Expr, Id, Message, PathKey, RemapExpr, RequestExpr, RequestInit,
        ResponseExpr, TypedArrayKind,
    },
    rpc_interface,
};
use tokio::{runtime::Runtime, time::timeout};

/// How long (virtual time) the conversation may run before the harness hangs up.
pub const BUDGET: Duration = Duration::from_millis(60);

/// How long (virtual time) the session and its tasks may take to wind down after the hang-up.
pub const WIND_DOWN: Duration = Duration::from_secs(10);

/// What the harness does about leaks, from `CAPSTAN_FUZZ_LEAKS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeakMode {
    /// `fail` (the default): a task or session state outliving the session is a crash.
    Fail,
    /// `avoid-known`: as `fail`, but the harness does not send the frames that trigger the known
    /// leaks (`rpc-core/tests/fuzz_regressions.rs`): a `resolve` or `reject` that closes a cycle
    /// of promises, any message naming a promise ID the peer has already settled, and a call
    /// handing a pipe its own readable end (directly or through other pipes).
    AvoidKnown,
    /// `ignore`: leaks are not checked; leaked tasks stay parked in the runtime.
    Ignore,
}

/// The leak mode of this process. (LeakSanitizer, which libFuzzer also runs, has its own
/// switch: `-detect_leaks=0`.)
pub static LEAKS: LazyLock<LeakMode> =
    LazyLock::new(|| match std::env::var("CAPSTAN_FUZZ_LEAKS").as_deref() {
        Ok("ignore") => LeakMode::Ignore,
        Ok("avoid-known") => LeakMode::AvoidKnown,
        _ => LeakMode::Fail,
    });

/// Sessions whose state has not been freed yet: each session's codec is a [`Tracked`], which
/// only the session's shared state (and its two tasks) hold, so it is dropped with that state.
static LIVE_SESSIONS: AtomicUsize = AtomicUsize::new(0);

/// A codec that counts itself in [`LIVE_SESSIONS`].
#[derive(Debug)]
struct Tracked<C>(C);

impl<C> Tracked<C> {
    fn new(codec: C) -> Self {
        LIVE_SESSIONS.fetch_add(1, Ordering::SeqCst);
        Tracked(codec)
    }
}

impl<C> Drop for Tracked<C> {
    fn drop(&mut self) {
        LIVE_SESSIONS.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<C: Codec> Codec for Tracked<C> {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn encode(&self, message: &Message) -> Result<Frame, CodecError> {
        self.0.encode(message)
    }
    fn decode(&self, frame: &Frame, limits: &Limits) -> Result<Message, CodecError> {
        self.0.decode(frame, limits)
    }
    fn peer_is_capstan(&self) -> bool {
        self.0.peer_is_capstan()
    }
}

/// The longest a `slow` call sleeps.
const MAX_SLOW_MS: f64 = 40.0;

/// The most items `countTo`, `writeTo` and `subscribe` produce.
const MAX_ITEMS: f64 = 8.0;

/// One runtime for the whole fuzzing process: current-thread, with the clock paused.
static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a tokio runtime")
});

/// The object the server session serves.
#[rpc_interface]
pub trait Api {
    /// `x * x`.
    async fn square(&self, x: f64) -> Result<f64, RpcError>;
    /// `a + b`.
    async fn add(&self, a: f64, b: f64) -> Result<f64, RpcError>;
    /// Returns `value` unchanged: whatever the peer sent, stubs and promises included.
    async fn echo(&self, value: Value) -> Result<Value, RpcError>;
    /// Fails with a `RangeError`.
    async fn throw_error(&self, message: String) -> Result<Value, RpcError>;
    /// Returns a capability.
    async fn make_counter(&self, start: f64) -> Result<CounterClient, RpcError>;
    /// Calls a capability the peer passes in.
    async fn increment_counter(&self, counter: CounterClient, by: f64) -> Result<f64, RpcError>;
    /// Calls the peer's callback and returns what it answered.
    async fn call_function(&self, f: Callback<Value, Value>, i: Value) -> Result<Value, RpcError>;
    /// Returns `n` at once, then calls `cb(0) … cb(n-1)` from a task of its own.
    async fn subscribe(&self, cb: Callback<f64, Value>, n: f64) -> Result<f64, RpcError>;
    /// Sleeps `ms` milliseconds (at most [`MAX_SLOW_MS`]).
    async fn slow(&self, ms: f64) -> Result<f64, RpcError>;
    /// A stream of `0 … n-1`.
    async fn count_to(&self, n: f64) -> Result<RpcStream<f64>, RpcError>;
    /// Reads the peer's stream to its end.
    async fn sum_stream(&self, stream: RpcStream<f64>) -> Result<f64, RpcError>;
    /// Writes `0 … n-1` into the peer's sink and closes it.
    async fn write_to(&self, sink: RpcSink<f64>, n: f64) -> Result<f64, RpcError>;
}

/// The capability `makeCounter` returns.
#[rpc_interface]
pub trait Counter {
    /// Adds `by`.
    async fn increment(&self, by: f64) -> Result<f64, RpcError>;
    /// The current value.
    async fn value(&self) -> Result<f64, RpcError>;
}

/// The server's implementation of [`Api`]. Handlers must not panic: the fuzzer's panic hook
/// aborts even on panics the session would catch.
#[derive(Debug, Default, Clone, Copy)]
pub struct ApiImpl;

/// The server's implementation of [`Counter`].
#[derive(Debug, Default)]
pub struct CounterImpl(Mutex<f64>);

fn count(n: f64) -> u64 {
    n.clamp(0.0, MAX_ITEMS) as u64
}

impl Api for ApiImpl {
    async fn square(&self, x: f64) -> Result<f64, RpcError> {
        Ok(x * x)
    }
    async fn add(&self, a: f64, b: f64) -> Result<f64, RpcError> {
        Ok(a + b)
    }
    async fn echo(&self, value: Value) -> Result<Value, RpcError> {
        Ok(value)
    }
    async fn throw_error(&self, message: String) -> Result<Value, RpcError> {
        Err(RpcError::range_error(message))
    }
    async fn make_counter(&self, start: f64) -> Result<CounterClient, RpcError> {
        Ok(CounterClient::local(CounterImpl(Mutex::new(start))))
    }
    async fn increment_counter(&self, counter: CounterClient, by: f64) -> Result<f64, RpcError> {
        counter.increment(by).await
    }
    async fn call_function(&self, f: Callback<Value, Value>, i: Value) -> Result<Value, RpcError> {
        f.call(i).await
    }
    async fn subscribe(&self, cb: Callback<f64, Value>, n: f64) -> Result<f64, RpcError> {
        let n = count(n);
        tokio::spawn(async move {
            for i in 0..n {
                if cb.call(i as f64).await.is_err() {
                    break;
                }
            }
        });
        Ok(n as f64)
    }
    async fn slow(&self, ms: f64) -> Result<f64, RpcError> {
        let ms = if ms.is_nan() {
            0.0
        } else {
            ms.clamp(0.0, MAX_SLOW_MS)
        };
        tokio::time::sleep(Duration::from_secs_f64(ms / 1000.0)).await;
        Ok(ms)
    }
    async fn count_to(&self, n: f64) -> Result<RpcStream<f64>, RpcError> {
        Ok(RpcStream::new(stream::iter(
            (0..count(n)).map(|i| i as f64),
        )))
    }
    async fn sum_stream(&self, mut input: RpcStream<f64>) -> Result<f64, RpcError> {
        let mut sum = 0.0;
        while let Some(x) = input.next().await {
            sum += x?;
        }
        Ok(sum)
    }
    async fn write_to(&self, mut sink: RpcSink<f64>, n: f64) -> Result<f64, RpcError> {
        for i in 0..count(n) {
            sink.feed(i as f64).await?;
        }
        sink.close().await?;
        Ok(n)
    }
}

impl Counter for CounterImpl {
    async fn increment(&self, by: f64) -> Result<f64, RpcError> {
        let mut v = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *v += by;
        Ok(*v)
    }
    async fn value(&self) -> Result<f64, RpcError> {
        Ok(*self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// The limits the server enforces: the defaults, but with small stream buffers so that short
/// inputs reach the stream limits too.
pub fn limits() -> Limits {
    Limits {
        stream_window_bytes: 256,
        max_stream_buffer_bytes: 1024,
        ..Limits::default()
    }
}

/// One step of a conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Send this frame to the server.
    Frame(Frame),
    /// Let this many milliseconds of virtual time pass.
    Wait(u64),
}

/// Which codec the session of an input speaks.
pub fn uses_msgpack(data: &[u8]) -> bool {
    data.len() % 2 == 1
}

/// Whether the harness answers the server's pulls and stream writes for this input.
pub fn responds(data: &[u8]) -> bool {
    (data.len() / 2) % 2 == 1
}

/// Turns fuzz input into the steps of a conversation (see the module docs).
pub fn plan(data: &[u8], codec: &dyn Codec) -> Vec<Step> {
    let msgpack = codec.name() == "msgpack";
    let mut steps = Vec::new();
    for line in data.split(|&b| b == b'\n') {
        match line.first() {
            None => steps.push(Step::Wait(1)),
            Some(0x01) => structured(&mut Unstructured::new(&line[1..]), codec, &mut steps),
            Some(0x02) => steps.push(Step::Frame(Frame::Close(
                String::from_utf8_lossy(&line[1..]).into_owned(),
            ))),
            Some(_) => steps.push(Step::Frame(raw_frame(line, msgpack))),
        }
    }
    steps
}

fn raw_frame(line: &[u8], msgpack: bool) -> Frame {
    match std::str::from_utf8(line) {
        Ok(text) if msgpack => match Json::from_text(text, &Limits::default()) {
            Ok(message) => match MsgPack.encode(&message) {
                Ok(frame) => frame,
                Err(_) => Frame::Binary(Bytes::copy_from_slice(line)),
            },
            Err(_) => Frame::Binary(Bytes::copy_from_slice(line)),
        },
        Ok(text) => Frame::Text(text.to_owned()),
        Err(_) => Frame::Binary(Bytes::copy_from_slice(line)),
    }
}

/// Runs one fuzz input. Panics on any violated expectation.
pub fn run(data: &[u8]) {
    transcript(data);
}

/// Runs one fuzz input and returns every message the server sent, in order.
pub fn transcript(data: &[u8]) -> Vec<Message> {
    RUNTIME.block_on(async {
        if uses_msgpack(data) {
            conversation(MsgPack, data).await
        } else {
            conversation(Json, data).await
        }
    })
}

async fn conversation<C: Codec + Copy>(codec: C, data: &[u8]) -> Vec<Message> {
    let steps = plan(data, &codec);
    let respond = responds(data);
    // What earlier inputs leaked (only possible under `CAPSTAN_FUZZ_LEAKS=ignore`).
    let metrics = tokio::runtime::Handle::current().metrics();
    let tasks_before = metrics.num_alive_tasks();
    let sessions_before = LIVE_SESSIONS.load(Ordering::SeqCst);
    let (server_end, peer) = rpc_core::testing::memory_pair();
    let session = Session::builder()
        .codec(Tracked::new(codec))
        .limits(limits())
        .main(ApiServer::new(ApiImpl))
        .start(server_end);

    let (sink, mut incoming) = peer.split();
    let sink = futures::lock::Mutex::new(sink);
    let script = async {
        let mut known_bugs = KnownBugs::default();
        for step in steps {
            match step {
                Step::Frame(frame) => {
                    if *LEAKS == LeakMode::AvoidKnown && known_bugs.triggers(&codec, &frame) {
                        continue;
                    }
                    let _ = sink.lock().await.send(frame).await;
                }
                Step::Wait(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
            }
        }
    };
    let mut received = Vec::new();
    let drain = async {
        let mut responder = Responder::default();
        while let Some(Ok(frame)) = incoming.next().await {
            if let Frame::Close(_) = frame {
                continue;
            }
            let message = match codec.decode(&frame, &Limits::default()) {
                Ok(message) => message,
                // A value the peer nested right at the limit can come back one level deeper.
                Err(CodecError::Limit { .. }) => continue,
                Err(e) => panic!("the session sent a frame its own codec rejects: {e}\n{frame:?}"),
            };
            if respond {
                for reply in responder.answer(&message) {
                    let frame = codec.encode(&reply).expect("encode a reply");
                    let _ = sink.lock().await.send(frame).await;
                }
            }
            received.push(message);
        }
    };
    let _ = timeout(BUDGET, futures::future::join(script, drain)).await;

    // Hang up. The session must notice, and everything it started must end.
    drop(incoming);
    drop(sink);
    if timeout(WIND_DOWN, session.closed()).await.is_err() {
        panic!("the session did not end after its transport closed");
    }
    drop(session);
    // Poll with doubling steps: most inputs wind down at once, and a leak costs ~14 polls.
    let mut waited = Duration::ZERO;
    let mut step = Duration::from_millis(1);
    while metrics.num_alive_tasks() > tasks_before
        || LIVE_SESSIONS.load(Ordering::SeqCst) > sessions_before
    {
        if waited >= WIND_DOWN {
            let tasks = metrics.num_alive_tasks().saturating_sub(tasks_before);
            let state = LIVE_SESSIONS.load(Ordering::SeqCst) > sessions_before;
            assert!(
                *LEAKS == LeakMode::Ignore,
                "{WIND_DOWN:?} after the session ended, {tasks} of its tasks are still alive and \
                 its state is {}",
                if state { "still allocated" } else { "freed" }
            );
            break;
        }
        tokio::time::sleep(step).await;
        waited += step;
        step *= 2;
    }
    received
}

/// What the harness remembers to avoid the known bugs (see [`LeakMode::AvoidKnown`]): which
/// promises the peer has settled, and with which other promises.
#[derive(Debug, Default)]
struct KnownBugs {
    /// For each settled ID, the promise IDs its value named.
    edges: std::collections::HashMap<Id, Vec<Id>>,
    /// For each export the peer has called, the readable ends (pipe IDs) it passed to it.
    pipe_edges: std::collections::HashMap<Id, Vec<Id>>,
}

/// Whether `to` can reach `from` through `edges` (so adding `from -> to` closes a cycle).
fn reaches(edges: &std::collections::HashMap<Id, Vec<Id>>, to: &[Id], from: Id) -> bool {
    let mut seen = std::collections::HashSet::new();
    let mut stack = to.to_vec();
    while let Some(p) = stack.pop() {
        if p == from {
            return true;
        }
        if seen.insert(p) {
            stack.extend(edges.get(&p).into_iter().flatten());
        }
    }
    false
}

impl KnownBugs {
    /// Whether `frame` would trigger a known bug: it settles an ID with a value naming a promise
    /// from which that ID can be reached (a promise cycle); it names a promise ID the peer has
    /// settled before (re-introducing it while the server may still hold handles on the old
    /// one); or it passes a pipe's readable end to a call on that pipe, directly or through
    /// other pipes (a pipe whose queue holds its own reader). Otherwise records its edges.
    fn triggers(&mut self, codec: &dyn Codec, frame: &Frame) -> bool {
        let Ok(message) = codec.decode(frame, &Limits::default()) else {
            return false;
        };
        let (settled, expr) = match &message {
            Message::Resolve(id, e) | Message::Reject(id, e) => (Some(*id), e),
            Message::Push(e) | Message::Stream(e) | Message::Abort(e) => (None, e),
            _ => return false,
        };
        let mut calls = Vec::new();
        calls_in(expr, &mut calls);
        for (target, readables) in &calls {
            if reaches(&self.pipe_edges, readables, *target) {
                return true;
            }
        }
        let mut named = Vec::new();
        promises_in(expr, &mut named);
        if named.iter().any(|p| self.edges.contains_key(p)) {
            return true;
        }
        if let Some(id) = settled {
            if reaches(&self.edges, &named, id) {
                return true;
            }
            self.edges.entry(id).or_default().extend(named);
        }
        for (target, readables) in calls {
            self.pipe_edges.entry(target).or_default().extend(readables);
        }
        false
    }
}

/// Every call in `expr`: its target ID and the readable ends (pipe IDs) in its arguments.
fn calls_in(expr: &Expr, out: &mut Vec<(Id, Vec<Id>)>) {
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Import(call) | Expr::Pipeline(call) => {
                if let Some(args) = &call.args {
                    let mut readables = Vec::new();
                    for arg in args {
                        readables_in(arg, &mut readables);
                    }
                    out.push((call.id, readables));
                    stack.extend(args);
                }
            }
            Expr::Array(items) => stack.extend(items),
            Expr::Object(fields) => stack.extend(fields.iter().map(|(_, v)| v)),
            Expr::Error(err) => stack.extend(err.props.iter().flatten().map(|(_, v)| v)),
            Expr::Remap(remap) => {
                stack.extend(&remap.captures);
                stack.extend(&remap.instructions);
            }
            _ => {}
        }
    }
}

/// The IDs of every `["readable", id]` in `expr`.
fn readables_in(expr: &Expr, out: &mut Vec<Id>) {
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Readable(id) => out.push(*id),
            Expr::Array(items) => stack.extend(items),
            Expr::Object(fields) => stack.extend(fields.iter().map(|(_, v)| v)),
            Expr::Error(err) => stack.extend(err.props.iter().flatten().map(|(_, v)| v)),
            Expr::Import(call) | Expr::Pipeline(call) => stack.extend(call.args.iter().flatten()),
            Expr::Remap(remap) => {
                stack.extend(&remap.captures);
                stack.extend(&remap.instructions);
            }
            _ => {}
        }
    }
}

/// The IDs of every `["promise", id]` in `expr`.
fn promises_in(expr: &Expr, out: &mut Vec<Id>) {
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Promise(id) => out.push(*id),
            Expr::Array(items) => stack.extend(items),
            Expr::Object(fields) => stack.extend(fields.iter().map(|(_, v)| v)),
            Expr::Error(err) => stack.extend(err.props.iter().flatten().map(|(_, v)| v)),
            Expr::Import(call) | Expr::Pipeline(call) => stack.extend(call.args.iter().flatten()),
            Expr::Remap(remap) => {
                stack.extend(&remap.captures);
                stack.extend(&remap.instructions);
            }
            _ => {}
        }
    }
}

/// Answers the server as a cooperative client would: resolves every pull, acknowledges every
/// stream write. It tracks the server's import IDs (each `push`, `stream` and `pipe` the server
/// sends takes the next positive one).
#[derive(Debug)]
struct Responder {
    next_server_import: Id,
}

impl Default for Responder {
    fn default() -> Self {
        Responder {
            next_server_import: 1,
        }
    }
}

impl Responder {
    fn answer(&mut self, message: &Message) -> Vec<Message> {
        match message {
            Message::Push(_) | Message::Pipe => {
                self.next_server_import += 1;
                vec![]
            }
            Message::Stream(_) => {
                let id = self.next_server_import;
                self.next_server_import += 1;
                vec![Message::Resolve(id, Expr::Undefined)]
            }
            Message::Pull(id) => vec![Message::Resolve(*id, Expr::Int(7))],
            _ => vec![],
        }
    }
}

// ---- Structured messages --------------------------------------------------------------------

/// Method and property names: the object's own, the stream and counter methods, and a few that
/// must be refused.
const NAMES: &[&str] = &[
    "square",
    "add",
    "echo",
    "throwError",
    "makeCounter",
    "incrementCounter",
    "callFunction",
    "subscribe",
    "slow",
    "countTo",
    "sumStream",
    "writeTo",
    "increment",
    "value",
    "write",
    "close",
    "abort",
    "noSuchMethod",
    "constructor",
    "__proto__",
    "toString",
    "then",
    "",
];

/// Most steps one structured line produces.
const MAX_STRUCTURED_STEPS: usize = 48;

/// Deepest nesting of generated values.
const MAX_GEN_DEPTH: usize = 4;

/// Reads steps from `u` until it runs dry.
fn structured(u: &mut Unstructured<'_>, codec: &dyn Codec, steps: &mut Vec<Step>) {
    for _ in 0..MAX_STRUCTURED_STEPS {
        if u.is_empty() {
            return;
        }
        let Ok(step) = structured_step(u) else {
            return;
        };
        let step = match step {
            Either::Wait(ms) => Step::Wait(ms),
            Either::Message(message) => match codec.encode(&message) {
                Ok(frame) => Step::Frame(frame),
                Err(_) => continue,
            },
        };
        steps.push(step);
    }
}

enum Either {
    Message(Message),
    Wait(u64),
}

fn structured_step(u: &mut Unstructured<'_>) -> arbitrary::Result<Either> {
    Ok(Either::Message(match u.choose_index(20)? {
        0..=4 => Message::Push(call_or_remap(u)?),
        5 => Message::Stream(Expr::Pipeline(Box::new(call(u, 0)?))),
        6..=8 => Message::Pull(id(u)?),
        9..=11 => Message::Release(id(u)?, u.int_in_range(0..=3)?),
        12 | 13 => Message::Resolve(id(u)?, value(u, 0)?),
        14 => Message::Reject(id(u)?, value(u, 0)?),
        15 => Message::Pipe,
        16 => Message::Abort(value(u, 0)?),
        _ => return Ok(Either::Wait(u.int_in_range(0..=20)?)),
    }))
}

/// A table ID: mostly small, sometimes extreme.
fn id(u: &mut Unstructured<'_>) -> arbitrary::Result<Id> {
    Ok(match u.choose_index(16)? {
        0 => *u.choose(&[i64::MIN, i64::MAX, -(1 << 53), 1 << 53, u32::MAX as i64])?,
        _ => u.int_in_range(-4..=10)?,
    })
}

fn name(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    Ok(u.choose(NAMES)?.to_string())
}

fn path(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<PathKey>> {
    let len = u.int_in_range(0..=2)?;
    (0..len)
        .map(|_| {
            Ok(if u.ratio(1, 5)? {
                PathKey::Index(u.int_in_range(0..=3)?)
            } else {
                PathKey::Name(name(u)?)
            })
        })
        .collect()
}

fn call(u: &mut Unstructured<'_>, depth: usize) -> arbitrary::Result<CallExpr> {
    let id = id(u)?;
    let path = if u.ratio(1, 8)? { None } else { Some(path(u)?) };
    let args = if u.ratio(1, 4)? {
        None
    } else {
        let n = u.int_in_range(0..=3)?;
        Some(
            (0..n)
                .map(|_| value(u, depth + 1))
                .collect::<arbitrary::Result<_>>()?,
        )
    };
    Ok(CallExpr { id, path, args })
}

fn call_or_remap(u: &mut Unstructured<'_>) -> arbitrary::Result<Expr> {
    Ok(match u.choose_index(8)? {
        0 => remap(u, 0)?,
        1 => Expr::Import(Box::new(call(u, 0)?)),
        _ => Expr::Pipeline(Box::new(call(u, 0)?)),
    })
}

fn remap(u: &mut Unstructured<'_>, depth: usize) -> arbitrary::Result<Expr> {
    let id = id(u)?;
    let subject_path = path(u)?;
    let captures = (0..u.int_in_range(0..=2)?)
        .map(|_| {
            Ok(if u.ratio(1, 2)? {
                Expr::import(id_small(u)?, None, None)
            } else {
                Expr::Export(-u.int_in_range(1..=4)?)
            })
        })
        .collect::<arbitrary::Result<_>>()?;
    let instructions = (0..u.int_in_range(0..=3)?)
        .map(|_| {
            Ok(match u.choose_index(3)? {
                0 => Expr::pipeline(u.int_in_range(-3..=3)?, Some(path(u)?), None),
                1 => {
                    let args = (0..u.int_in_range(0..=2)?)
                        .map(|_| {
                            Ok(match u.choose_index(3)? {
                                0 => Expr::pipeline(u.int_in_range(-3..=3)?, None, None),
                                _ => value(u, depth + 2)?,
                            })
                        })
                        .collect::<arbitrary::Result<_>>()?;
                    Expr::pipeline(u.int_in_range(-3..=3)?, Some(path(u)?), Some(args))
                }
                _ => value(u, depth + 1)?,
            })
        })
        .collect::<arbitrary::Result<_>>()?;
    Ok(Expr::Remap(Box::new(RemapExpr {
        id,
        path: subject_path,
        captures,
        instructions,
    })))
}

fn id_small(u: &mut Unstructured<'_>) -> arbitrary::Result<Id> {
    u.int_in_range(-4..=4)
}

fn short_string(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    Ok(match u.choose_index(4)? {
        0 => {
            let len = u.int_in_range(0..=12)?;
            let bytes = u.bytes(len)?;
            String::from_utf8_lossy(bytes).into_owned()
        }
        1 => "secret".to_owned(),
        _ => name(u)?,
    })
}

/// A value expression, references included.
fn value(u: &mut Unstructured<'_>, depth: usize) -> arbitrary::Result<Expr> {
    let scalar_only = depth >= MAX_GEN_DEPTH;
    let choice = u.choose_index(if scalar_only { 10 } else { 26 })?;
    Ok(match choice {
        0 => Expr::Null,
        1 => Expr::Undefined,
        2 => Expr::Bool(u.arbitrary()?),
        3 => Expr::Int(u.int_in_range(-3..=10)?),
        4 => Expr::Float(f64::from_bits(u.arbitrary()?)),
        5 => Expr::String(short_string(u)?),
        6 => Expr::BigInt(if u.ratio(1, 2)? {
            "-12345678901234567890".to_owned()
        } else {
            u.int_in_range(0..=u64::MAX)?.to_string()
        }),
        7 => Expr::Date(if u.ratio(1, 4)? {
            None
        } else {
            Some(f64::from_bits(u.arbitrary()?))
        }),
        8 => {
            let len = u.int_in_range(0..=16)?;
            let kind = if u.ratio(1, 2)? {
                None
            } else {
                Some(*u.choose(&TypedArrayKind::ALL)?)
            };
            let size = kind.map_or(1, TypedArrayKind::element_size);
            let bytes = Bytes::copy_from_slice(u.bytes(len - len % size)?);
            Expr::Bytes(bytes, kind)
        }
        9 => Expr::Utf16(vec![0xd800, u.arbitrary()?]),
        10 => Expr::Export(-u.int_in_range(1..=4)?),
        11 => Expr::Promise(-u.int_in_range(1..=4)?),
        12 => Expr::Import(Box::new(call(u, depth)?)),
        13 | 14 => Expr::Pipeline(Box::new(call(u, depth)?)),
        15 => Expr::Readable(u.int_in_range(-1..=6)?),
        16 => Expr::Writable(-u.int_in_range(0..=4)?),
        17 => remap(u, depth)?,
        18 => Expr::Error(Box::new(ErrorExpr {
            name: (*u.choose(&["Error", "RangeError", "TypeError", "Nope"])?).to_owned(),
            message: short_string(u)?,
            stack: if u.ratio(1, 4)? {
                Some(short_string(u)?)
            } else {
                None
            },
            props: if u.ratio(1, 4)? {
                Some(vec![("code".to_owned(), value(u, depth + 1)?)])
            } else {
                None
            },
        })),
        19 => Expr::Object(
            (0..u.int_in_range(0..=3)?)
                .map(|_| Ok((short_string(u)?, value(u, depth + 1)?)))
                .collect::<arbitrary::Result<_>>()?,
        ),
        20 => Expr::Url((*u.choose(&["https://a/", "x:", "nope"])?).to_owned()),
        21 => Expr::Headers(vec![(short_string(u)?, short_string(u)?)]),
        22 => Expr::Blob {
            mime: short_string(u)?,
            pipe: u.int_in_range(-1..=6)?,
        },
        23 => Expr::Response(Box::new(ResponseExpr {
            body: u
                .choose(&[Expr::Null, Expr::Readable(1), Expr::String("b".into())])?
                .clone(),
            status: Some(*u.choose(&[200u16, 204, 99, 600])?),
            status_text: None,
            headers: None,
        })),
        24 => Expr::Request(Box::new(RequestExpr {
            url: "https://a/".to_owned(),
            init: RequestInit {
                method: Some((*u.choose(&["GET", "POST", "bad method"])?).to_owned()),
                body: if u.ratio(1, 2)? {
                    Some(Expr::Readable(u.int_in_range(-1..=6)?))
                } else {
                    None
                },
                ..RequestInit::default()
            },
        })),
        _ => Expr::Array(
            (0..u.int_in_range(0..=3)?)
                .map(|_| value(u, depth + 1))
                .collect::<arbitrary::Result<_>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(messages: &[Message]) -> Vec<String> {
        messages.iter().map(Json::to_text).collect()
    }

    /// Pads `frames` with trailing newlines (1 ms pauses) to pick the codec and the responder.
    fn input(frames: &[&str], msgpack: bool, respond: bool) -> Vec<u8> {
        let mut data = frames.join("\n").into_bytes();
        while uses_msgpack(&data) != msgpack || responds(&data) != respond {
            data.push(b'\n');
        }
        data
    }

    #[test]
    fn a_recorded_call_is_answered_in_both_codecs() {
        for msgpack in [false, true] {
            let data = input(
                &[r#"["push",["pipeline",0,["square"],[7]]]"#, r#"["pull",1]"#],
                msgpack,
                false,
            );
            assert_eq!(text(&transcript(&data)), [r#"["resolve",1,49]"#]);
        }
    }

    #[test]
    fn the_responder_answers_callbacks() {
        let data = input(
            &[
                r#"["push",["pipeline",0,["callFunction"],[["export",-1],4]]]"#,
                r#"["pull",1]"#,
            ],
            false,
            true,
        );
        let got = text(&transcript(&data));
        assert!(got.contains(&r#"["resolve",1,7]"#.to_owned()), "{got:?}");
    }

    #[test]
    fn slow_calls_and_streams_finish_within_the_budget() {
        let data = input(
            &[
                r#"["push",["pipeline",0,["slow"],[30]]]"#,
                r#"["pull",1]"#,
                r#"["push",["pipeline",0,["countTo"],[3]]]"#,
                r#"["pull",2]"#,
            ],
            true,
            true,
        );
        let got = text(&transcript(&data));
        assert!(got.contains(&r#"["resolve",1,30]"#.to_owned()), "{got:?}");
        assert!(
            got.iter().any(|m| m.starts_with(r#"["stream","#)),
            "{got:?}"
        );
    }

    #[test]
    fn structured_lines_send_messages() {
        let mut data = vec![0x01];
        data.extend((0..200u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 | 1));
        let steps = plan(&data, &Json);
        assert!(
            steps.iter().any(|s| matches!(s, Step::Frame(_))),
            "{steps:?}"
        );
        run(&data);
    }

    #[test]
    fn hostile_lines_end_the_session_cleanly() {
        for line in [&b"[\"bogus\",1]"[..], b"\xff\xfe", b"\x02bye", b""] {
            run(line);
        }
    }
}

#[cfg(test)]
mod known_bug_tests {
    use super::*;

    fn triggers(known: &mut KnownBugs, text: &str) -> bool {
        known.triggers(&Json, &Frame::Text(text.to_owned()))
    }

    #[test]
    fn promise_cycles_are_spotted() {
        let mut k = KnownBugs::default();
        assert!(triggers(&mut k, r#"["resolve",-1,["promise",-1]]"#));
        assert!(triggers(
            &mut k,
            r#"["reject",-3,[[1,{"a":["promise",-3]}]]]"#
        ));
        assert!(!triggers(&mut k, r#"["resolve",-1,["promise",-2]]"#));
        assert!(!triggers(&mut k, r#"["resolve",-2,["promise",-4]]"#));
        assert!(triggers(&mut k, r#"["resolve",-4,["promise",-1]]"#));
        assert!(!triggers(&mut k, r#"["resolve",-5,42]"#));
        assert!(!triggers(&mut k, r#"["pull",1]"#));
    }

    #[test]
    fn settled_promise_ids_are_not_reused() {
        let mut k = KnownBugs::default();
        assert!(!triggers(
            &mut k,
            r#"["push",["pipeline",0,["echo"],[["promise",-4]]]]"#
        ));
        assert!(!triggers(&mut k, r#"["resolve",-4,false]"#));
        assert!(triggers(
            &mut k,
            r#"["resolve",-9,["import",0,["slow"],[["promise",-4]]]]"#
        ));
        assert!(triggers(
            &mut k,
            r#"["push",["pipeline",0,["echo"],[["promise",-4]]]]"#
        ));
        assert!(!triggers(
            &mut k,
            r#"["push",["pipeline",0,["echo"],[["promise",-5]]]]"#
        ));
    }

    #[test]
    fn pipes_holding_their_own_readable_end_are_spotted() {
        let mut k = KnownBugs::default();
        let abort_self = r#"["push",["pipeline",1,["abort"],[["readable",1]]]]"#;
        assert!(triggers(&mut k, abort_self));
        let nested = r#"["stream",["pipeline",3,["write"],[[[["readable",3]]]]]]"#;
        assert!(triggers(&mut k, nested));
        let other = r#"["stream",["pipeline",1,["write"],[["readable",2]]]]"#;
        assert!(!triggers(&mut k, other));
        let main = r#"["stream",["pipeline",0,["sumStream"],[["readable",1]]]]"#;
        assert!(!triggers(&mut k, main));
        let back = r#"["stream",["pipeline",2,["write"],[["readable",1]]]]"#;
        assert!(triggers(&mut k, back));
    }
}
