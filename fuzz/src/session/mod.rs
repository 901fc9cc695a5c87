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

mod generate;
mod known;
mod responder;
mod server;

use std::{
    sync::{
        LazyLock,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use arbitrary::Unstructured;
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use rpc_core::{
    Frame, Limits, Session,
    codec::{Codec, CodecError, Json, MsgPack},
    protocol::Message,
};
use tokio::{runtime::Runtime, time::timeout};

use generate::structured;
use known::KnownBugs;
use responder::Responder;
pub use server::{
    Api, ApiClient, ApiImpl, ApiServer, Counter, CounterClient, CounterImpl, CounterServer,
};

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

/// One runtime for the whole fuzzing process: current-thread, with the clock paused.
static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a tokio runtime")
});

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
