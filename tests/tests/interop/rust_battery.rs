//! The Rust battery (interop direction 3): named scenarios run by a Rust client against a
//! capnweb Conformance server, reported like the JS battery (`ok NAME` / `not ok NAME: REASON`).
//!
//! Over WebSocket all scenarios share one session (a new one if a scenario breaks it), and
//! after each one both sides' tables must be back to `{imports: 1, exports: 1}`: the Rust
//! session's `stats()`, and capnweb's `getStats()` through the server's `sessionStats()`.
//! Over HTTP batch each batch-compatible scenario gets a fresh batch session, and there are no
//! tables to check (the session ends with the response).

use std::{fmt::Debug, future::Future, pin::Pin, sync::Arc, time::Duration};

use examples::conformance::{ConformanceClient, TableStats};
use rpc_core::{RpcError, Session, SessionStats, codec::Json};
use rpc_transports::{http_batch, websocket};
use tokio::time::{Instant, sleep, timeout};

/// What a scenario or check returns: `Err` says what went wrong.
pub type Checked = Result<(), String>;

type ScenarioFuture = Pin<Box<dyn Future<Output = Checked> + Send>>;

/// A named check against a Conformance server.
pub struct Scenario {
    /// The check's name.
    pub name: String,
    /// It issues every call before its first await and takes no callbacks, so it also runs
    /// over HTTP batch.
    pub batch: bool,
    run: Arc<dyn Fn(ConformanceClient) -> ScenarioFuture + Send + Sync>,
}

/// How long one scenario may take.
const SCENARIO_DEADLINE: Duration = Duration::from_secs(20);
/// How long released references may take to reach both tables.
const SETTLE: Duration = Duration::from_secs(2);
/// What a session's tables read when nothing is held: the two main objects.
const CLEAN: SessionStats = SessionStats {
    imports: 1,
    exports: 1,
};

/// A scenario; `batch` as in [`Scenario::batch`].
pub fn scenario<F, Fut>(name: impl Into<String>, batch: bool, run: F) -> Scenario
where
    F: Fn(ConformanceClient) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Checked> + Send + 'static,
{
    Scenario {
        name: name.into(),
        batch,
        run: Arc::new(move |api| Box::pin(run(api))),
    }
}

/// `Ok` when `got == want`.
pub fn same<T: PartialEq + Debug>(got: T, want: T, what: &str) -> Checked {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: expected {want:?}, got {got:?}"))
    }
}

/// Turns a failed call into a check failure that names the call.
pub trait OrFail<T> {
    /// The value, or `what` and the error.
    fn or_fail(self, what: &str) -> Result<T, String>;
}

impl<T> OrFail<T> for Result<T, RpcError> {
    fn or_fail(self, what: &str) -> Result<T, String> {
        self.map_err(|e| format!("{what} failed: {e}"))
    }
}

/// `Ok` when `result` is an error of class `name` with message `message`.
pub fn rejected<T: Debug>(result: Result<T, RpcError>, name: &str, message: &str) -> Checked {
    match result {
        Ok(v) => Err(format!("expected a {name}: {message}, got the value {v:?}")),
        Err(e) if e.name() == name && e.message() == message => Ok(()),
        Err(e) => Err(format!("expected a {name}: {message}, got {e}")),
    }
}

/// The result of one scenario.
pub struct Outcome {
    /// The scenario's name.
    pub name: String,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// Prints the outcomes like the JS battery and panics if any failed or if fewer than
/// `at_least` ran.
pub fn assert_all_passed(run: &str, outcomes: &[Outcome], at_least: usize) {
    for o in outcomes {
        match &o.error {
            None => println!("ok {run}/{}", o.name),
            Some(e) => println!("not ok {run}/{}: {e}", o.name),
        }
    }
    let failed: Vec<String> = outcomes
        .iter()
        .filter_map(|o| Some(format!("{}: {}", o.name, o.error.as_ref()?)))
        .collect();
    let passed = outcomes.len() - failed.len();
    println!("{run}: {passed} passed, {} failed", failed.len());
    assert!(
        failed.is_empty() && outcomes.len() >= at_least,
        "{run}: {} failed of {} (expected at least {at_least} checks):\n{}",
        failed.len(),
        outcomes.len(),
        failed.join("\n")
    );
}

/// Runs `scenarios` over WebSocket sessions to `url`, checking both sides' tables after each.
pub async fn run_over_websocket(url: &str, scenarios: &[Scenario]) -> Vec<Outcome> {
    let mut session: Option<Session> = None;
    let mut outcomes = Vec::new();
    for s in scenarios {
        if session.as_ref().is_none_or(|s| s.broken_error().is_some()) {
            session = Some(connect_websocket(url).await);
        }
        let session = session.as_ref().expect("connected above");
        let api: ConformanceClient = session.main_as();
        let mut result = run_one(s, api.clone()).await;
        if result.is_ok() {
            result = tables_clean(session, &api).await;
        }
        outcomes.push(Outcome {
            name: s.name.clone(),
            error: result.err(),
        });
    }
    if let Some(session) = session {
        session.close();
    }
    outcomes
}

/// Runs the batch-compatible `scenarios`, each over a fresh HTTP batch session to `url`.
pub async fn run_over_batch(url: &str, scenarios: &[Scenario]) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for s in scenarios.iter().filter(|s| s.batch) {
        // A batch ends when no message has come for a while; a loaded test machine can pause
        // between a scenario's calls longer than the default, splitting one batch in two.
        let config = http_batch::HttpConfig::default().with_batch_quiet(Duration::from_millis(50));
        let session = http_batch::session_with(url, None, &config).expect("an http:// URL");
        let result = run_one(s, session.main_as()).await;
        outcomes.push(Outcome {
            name: s.name.clone(),
            error: result.err(),
        });
    }
    outcomes
}

async fn connect_websocket(url: &str) -> Session {
    let transport = timeout(Duration::from_secs(10), websocket::connect(url))
        .await
        .unwrap_or_else(|_| panic!("no WebSocket connection to {url} within 10 s"))
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    // capnweb refuses binary frames: JSON text only.
    Session::builder().codec(Json).start(transport)
}

/// Runs one scenario on its own task, so a panic or an overrun fails only that scenario.
async fn run_one(s: &Scenario, api: ConformanceClient) -> Checked {
    let mut task = tokio::spawn((s.run)(api));
    match timeout(SCENARIO_DEADLINE, &mut task).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => Err(format!("panicked: {e}")),
        Err(_) => {
            task.abort();
            Err(format!("timed out after {SCENARIO_DEADLINE:?}"))
        }
    }
}

/// Both tables back to clean within [`SETTLE`]: ours first, then capnweb's (asking for it
/// makes a call, which our table must not be counting while we read it).
async fn tables_clean(session: &Session, api: &ConformanceClient) -> Checked {
    let deadline = Instant::now() + SETTLE;
    while session.stats() != CLEAN {
        if Instant::now() > deadline {
            return Err(format!(
                "leak: the Rust session's stats stayed {:?}",
                session.stats()
            ));
        }
        sleep(Duration::from_millis(10)).await;
    }
    capnweb_stats_settle(api, CLEAN).await
}

/// Polls the capnweb server's `sessionStats()` until it reads `want` (within [`SETTLE`]).
pub async fn capnweb_stats_settle(api: &ConformanceClient, want: SessionStats) -> Checked {
    let want = TableStats {
        imports: want.imports,
        exports: want.exports,
    };
    let deadline = Instant::now() + SETTLE;
    loop {
        let got = api.session_stats().await.or_fail("sessionStats()")?;
        if got == want {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "capnweb leak: its stats stayed {got:?}, expected {want:?}"
            ));
        }
        sleep(Duration::from_millis(20)).await;
    }
}
