//! Inputs the fuzz targets (`fuzz/`) found, minimised, replayed as ordinary tests.
//!
//! Each test feeds the frames a hostile peer sent to a server session, hangs up, and checks that
//! nothing panicked, the session ended with a clean error, every task it started finished, and
//! its state was freed.
//! Each was a bug when found; the doc comment of each test says what it was.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use rpc_core::codec::{Codec, CodecError, Json, MsgPack};
use rpc_core::protocol::Message;
use rpc_core::{Frame, Limits, RpcError, Session, Stub, Value};

/// A codec that reports being dropped. Only the session's shared state and its two tasks hold
/// the session's codec, so once the tasks have ended, a live codec means leaked state.
#[derive(Debug)]
struct Tracked<C>(C, Arc<AtomicBool>);

impl<C> Drop for Tracked<C> {
    fn drop(&mut self) {
        self.1.store(true, Ordering::SeqCst);
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
}

/// Sets its flag when dropped; the main object holds one, to show when it is freed.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// What was left after a session with a hostile peer.
#[derive(Debug)]
struct Aftermath {
    /// Why the session ended.
    error: RpcError,
    /// Tasks still alive 10 s (virtual) after the session ended.
    tasks: usize,
    /// Whether the session's state was freed.
    freed: bool,
    /// Whether the main object was freed (every value the peer could have handed it to is).
    main_freed: bool,
}

impl Aftermath {
    fn assert_clean(&self) {
        // The peer hung up, or the session refused the input outright: both end it cleanly.
        let closed = self.error.message().contains("closed");
        let refused = self.error.kind() == rpc_core::ErrorKind::Protocol;
        assert!(closed || refused, "{self:?}");
        assert_eq!(self.tasks, 0, "tasks outlived the session: {self:?}");
        assert!(self.freed, "the session's state was never freed: {self:?}");
        assert!(self.main_freed, "the main object was never freed: {self:?}");
    }
}

/// Serves an echo function, sends `frames` (JSON text, converted to `codec`) from a raw peer,
/// lets 50 ms of (virtual) time pass, hangs up, and reports what was left.
async fn feed(codec: impl Codec + Copy, frames: &[&str]) -> Aftermath {
    let (server_end, peer) = rpc_core::testing::memory_pair();
    let dropped = Arc::new(AtomicBool::new(false));
    let main_dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(main_dropped.clone());
    let session = Session::builder()
        .codec(Tracked(codec, dropped.clone()))
        .main(Stub::from_fn(move |args: Vec<Value>| {
            let _main = &flag;
            async move { Ok::<_, RpcError>(args.into_iter().next().unwrap_or(Value::Null)) }
        }))
        .start(server_end);
    let (mut sink, mut incoming) = peer.split();
    for text in frames {
        let message = Json::from_text(text, &Limits::default()).expect("a well-formed frame");
        sink.send(codec.encode(&message).unwrap()).await.unwrap();
    }
    // Whatever the server answers must be decodable.
    let drain = async {
        while let Some(Ok(frame)) = incoming.next().await {
            if !matches!(frame, Frame::Close(_)) {
                codec.decode(&frame, &Limits::default()).unwrap();
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(50), drain).await;
    drop((sink, incoming));
    let error = tokio::time::timeout(Duration::from_secs(10), session.closed())
        .await
        .expect("the session ends when its transport closes");
    drop(session);
    let metrics = tokio::runtime::Handle::current().metrics();
    for _ in 0..1000 {
        if metrics.num_alive_tasks() == 0
            && dropped.load(Ordering::SeqCst)
            && main_dropped.load(Ordering::SeqCst)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Aftermath {
        error,
        tasks: metrics.num_alive_tasks(),
        freed: dropped.load(Ordering::SeqCst),
        main_freed: main_dropped.load(Ordering::SeqCst),
    }
}

/// Found by the `session` target (structured mode), minimised to one frame: the peer resolves
/// the promise it exports as -1 with that same promise. `inbound::settle` spawns
/// `deliver::resolve_deep` on the value, which waits on import -1, which only that task can
/// settle; and `SessionShared::break_with` skips imports whose resolution has arrived. So the
/// task (and the session state it holds) is never woken and outlives the session.
#[tokio::test(flavor = "current_thread", start_paused = true)]

async fn a_promise_resolved_with_itself_does_not_outlive_the_session() {
    let frames = [r#"["resolve",-1,["promise",-1]]"#];
    feed(Json, &frames).await.assert_clean();
    feed(MsgPack, &frames).await.assert_clean();
}

/// The same through two promises that resolve to each other, over three messages.
#[tokio::test(flavor = "current_thread", start_paused = true)]

async fn promises_resolved_with_each_other_do_not_outlive_the_session() {
    let frames = [
        r#"["push",["pipeline",0,[],[[[["promise",-1],["promise",-2]]]]]]"#,
        r#"["resolve",-1,["promise",-2]]"#,
        r#"["resolve",-2,["promise",-1]]"#,
    ];
    feed(Json, &frames).await.assert_clean();
}

/// Found by the `session` target under LeakSanitizer, minimised to one frame: the peer rejects
/// the promise it exports as -1 with that same promise. `inbound::settle` settles import -1's
/// pending with an error (`RpcError::from_rejection`) that holds the promise on import -1, so
/// the pending holds itself: a reference cycle that keeps the pending, the import's handle and
/// with it the whole session state (`Arc<SessionShared>`) alive forever.
#[tokio::test(flavor = "current_thread", start_paused = true)]

async fn a_promise_rejected_with_itself_does_not_leak_the_session() {
    let frames = [r#"["reject",-1,["promise",-1]]"#];
    feed(Json, &frames).await.assert_clean();
    feed(MsgPack, &frames).await.assert_clean();
}

/// Found by the `session` target (structured mode, with the promise cycles above filtered out),
/// minimised by hand: the peer reuses a promise ID it has already resolved.
///
/// 1. `["promise",-4]` as a call argument creates import -4 (A); the call holds a handle on it.
/// 2. `["resolve",-4,…]` settles A; `inbound::settle` removes import -4 from the table (a
///    resolved promise import is released at once) while the call still holds A's handle.
/// 3. `["promise",-4]` again creates a fresh import -4 (B), here inside a nested call that waits
///    for it.
/// 4. The call from step 1 ends and drops A's handle: `ImportRef::drop` sends
///    `Command::Release(-4)` and `SessionShared::release_import` finds import -4 by ID alone,
///    so it removes B (and tells the peer `["release",-4,1]`, releasing B there too).
///
/// B's pending is now in no table: the peer will never settle it and `break_with` cannot fail
/// it, so the nested call waits forever and holds the session's state after the session ends.
/// Stale handles need to be told apart from the current entry (a generation per import entry,
/// say), or a promise ID must not be accepted again while handles on the old one live.
#[tokio::test(flavor = "current_thread", start_paused = true)]

async fn a_reused_promise_id_is_not_released_by_the_old_promise() {
    // The third frame is a late resolve of the released -4, so it is evaluated and dropped;
    // the nested call inside it reintroduces promise -4.
    let frames = [
        r#"["push",["pipeline",0,[],[["promise",-4]]]]"#,
        r#"["resolve",-4,false]"#,
        r#"["resolve",-4,["import",0,[],[["promise",-4]]]]"#,
    ];
    feed(Json, &frames).await.assert_clean();
    feed(MsgPack, &frames).await.assert_clean();
}

/// Found by the `session` target under LeakSanitizer (with the promise bugs above filtered
/// out), minimised by hand: the peer aborts a pipe with the pipe's own readable end as the
/// reason. `SinkTarget::call("abort")` (`stream/target.rs`) ends the pipe's `ChunkQueue` with
/// an error that holds the `ChunkReader` of that same queue: a reference cycle, so the queue
/// and every chunk buffered in it (up to `max_stream_buffer_bytes`) are never freed, after the
/// session too. The main object, sent as a chunk, shows it. Writing the readable end into its
/// own pipe does the same.
#[tokio::test(flavor = "current_thread", start_paused = true)]

async fn a_pipe_holding_its_own_readable_end_is_freed() {
    let aborted = [
        r#"["pipe"]"#,
        r#"["stream",["pipeline",1,["write"],[["import",0]]]]"#,
        r#"["push",["pipeline",1,["abort"],[["readable",1]]]]"#,
    ];
    feed(Json, &aborted).await.assert_clean();
    feed(MsgPack, &aborted).await.assert_clean();
    let written = [
        r#"["pipe"]"#,
        r#"["stream",["pipeline",1,["write"],[["import",0]]]]"#,
        r#"["stream",["pipeline",1,["write"],[["readable",1]]]]"#,
    ];
    feed(Json, &written).await.assert_clean();
    // A stub on the pipe itself, written into it.
    let own_stub = [
        r#"["pipe"]"#,
        r#"["stream",["pipeline",1,["write"],[["import",0]]]]"#,
        r#"["stream",["pipeline",1,["write"],[["import",1]]]]"#,
    ];
    feed(Json, &own_stub).await.assert_clean();
}

/// A control for the test above: a pipe aborted with an ordinary error, or holding another
/// pipe's readable end, is freed with the session.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn pipes_are_freed_with_the_session() {
    feed(
        Json,
        &[
            r#"["pipe"]"#,
            r#"["stream",["pipeline",1,["write"],[["import",0]]]]"#,
            r#"["push",["pipeline",1,["abort"],[["error","Error","stop"]]]]"#,
        ],
    )
    .await
    .assert_clean();
    feed(
        Json,
        &[
            r#"["pipe"]"#,
            r#"["pipe"]"#,
            r#"["stream",["pipeline",1,["write"],[["import",0]]]]"#,
            r#"["stream",["pipeline",1,["write"],[["readable",2]]]]"#,
        ],
    )
    .await
    .assert_clean();
}

/// Found by the `session` target (a stack overflow under AddressSanitizer), minimised: the
/// peer rejected the promise it exported as -1 with the result of the push waiting on it (push
/// 1 is `echo(promise -1)`, pulled). The error held a promise on push 1's result; sending it
/// exported that promise afresh, whose inline resolution sent the same error again, and so on:
/// unbounded recursion that aborted the whole process. Rejections now drop references.
///
/// The scenario runs in a child process (`the_rejection_cycle_scenario`), since a stack
/// overflow cannot be caught.
#[test]
fn a_promise_rejected_with_a_call_waiting_on_it_does_not_crash_the_process() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "the_rejection_cycle_scenario", "--nocapture"])
        .env("CAPSTAN_REJECTION_CYCLE_SCENARIO", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
    assert!(
        output.status.success(),
        "the server process died ({}): {tail:?}",
        output.status
    );
}

/// The scenario of the test above; does nothing unless that test runs it in a child process.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn the_rejection_cycle_scenario() {
    if std::env::var_os("CAPSTAN_REJECTION_CYCLE_SCENARIO").is_none() {
        return;
    }
    let frames = [
        r#"["push",["pipeline",0,[],[["promise",-1]]]]"#,
        r#"["pull",1]"#,
        r#"["reject",-1,["pipeline",1]]"#,
    ];
    feed(Json, &frames).await.assert_clean();
}

/// A control for the tests above: ordinary promise settlements leave nothing behind.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn ordinary_promise_settlements_leave_nothing_behind() {
    for codec in [&Json as &dyn Codec, &MsgPack] {
        let frames = [
            r#"["push",["pipeline",0,[],[["promise",-1]]]]"#,
            r#"["pull",1]"#,
            r#"["resolve",-1,42]"#,
            r#"["push",["pipeline",0,[],[["promise",-2]]]]"#,
            r#"["pull",2]"#,
            r#"["reject",-2,["error","RangeError","no"]]"#,
        ];
        let aftermath = if codec.name() == "json" {
            feed(Json, &frames).await
        } else {
            feed(MsgPack, &frames).await
        };
        aftermath.assert_clean();
    }
}
