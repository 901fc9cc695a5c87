//! The browser example's page in a real browser: the `browser` example program serves it on
//! 127.0.0.1, and headless Chromium (Debian's `/usr/bin/chromium`, driven by playwright-core
//! from `tests/interop/browser-chromium.mjs`) loads it, types a name and clicks every button.
//! The test checks what the page then shows, line by line, and what the server saw: how many
//! sessions the page opened, and that they end when the page goes. Midway it kills the server
//! and starts it again on the same port, which the page must report and recover from.
//!
//! Chromium is installed by `tests/interop/install-chromium.sh` when it is missing (as root,
//! with apt-get); otherwise the test fails and says how to install it. It never skips.

use std::{collections::BTreeMap, time::Duration};

use examples::browser::TICK;
use serde::Deserialize;
use serde_json::{Value, json};
use tests::{
    example_programs::example_binary,
    interop::{ChildProcess, setup},
};
use tokio::{io::AsyncWriteExt, process::ChildStdin, process::Command};

/// The bound on the whole click-through, once the programs are built and Chromium installed.
const DEADLINE: Duration = Duration::from_secs(150);
/// The bound on one command to the browser: a page load, a click and every call it starts (the
/// script's own bounds are 15 s an action, 30 s to launch Chromium before the first command).
const STEP: Duration = Duration::from_secs(60);
/// The bound on the server noticing what the page did (a session starting or ending).
const SERVER_NOTICES: Duration = Duration::from_secs(10);

/// The colour the page gives error lines (`.error { color: #b00020 }`).
const ERROR_RED: &str = "rgb(176, 0, 32)";

/// The page as the browser showed it after a command (see `browser-chromium.mjs`).
#[derive(Debug, Deserialize)]
struct Page {
    /// The page's log, oldest line first.
    log: Vec<Line>,
    /// Each button's id, and whether it is enabled.
    buttons: BTreeMap<String, bool>,
    /// `<b>` elements inside the log: there should be none, whatever the server sent.
    bold: usize,
    /// Console errors, uncaught exceptions and failed requests, since the browser started.
    problems: Vec<String>,
}

/// One line of the page's log.
#[derive(Debug, Deserialize)]
struct Line {
    text: String,
    /// Whether it has the class `error`.
    error: bool,
    /// Its computed colour, `rgb(…)`.
    color: String,
    /// Whether a button was still disabled (its call still running) when it appeared.
    busy: bool,
    /// When it appeared, in ms since the page loaded.
    at: f64,
}

impl Page {
    fn texts(&self) -> Vec<&str> {
        self.log.iter().map(|line| line.text.as_str()).collect()
    }

    fn enabled(&self, button: &str) -> bool {
        self.buttons[button]
    }
}

/// The `browser` example program, serving on 127.0.0.1 with its session log on stderr.
/// Dropping it kills the program; if the test is failing, it first prints what the program
/// logged.
struct Server {
    /// `None` once killed by [`Server::kill`].
    process: Option<ChildProcess>,
    port: u16,
}

impl Server {
    /// Starts the server on `addr` and waits for its `LISTENING <port>`.
    async fn start(addr: &str) -> Server {
        let binary = tokio::task::spawn_blocking(|| example_binary("browser"))
            .await
            .expect("the build does not panic");
        let mut command = Command::new(binary);
        command
            .arg(addr)
            // rpc-core logs every session's start and end at debug: the server's side of
            // what the page does.
            .env("RUST_LOG", "warn,rpc_core::session=debug")
            .env("NO_COLOR", "1");
        let mut process = ChildProcess::spawn(&format!("browser {addr}"), command);
        let port = process.listening_port(Duration::from_secs(20)).await;
        Server {
            process: Some(process),
            port,
        }
    }

    fn process(&self) -> &ChildProcess {
        self.process.as_ref().expect("the server is running")
    }

    /// Kills the server, as a crash or a restart would. Panics if it had already exited.
    async fn kill(mut self) {
        let process = self.process.take().expect("the server is running");
        let stopped = process.kill().await;
        assert!(
            stopped.status.is_none(),
            "the server ran until it was killed: {}",
            stopped.describe()
        );
    }

    fn count(&self, text: &str) -> usize {
        self.process().stderr_so_far().matches(text).count()
    }

    /// Waits until the server has logged exactly `started` sessions started and `ended`
    /// ended, in all.
    async fn expect_sessions(&self, started: usize, ended: usize, why: &str) {
        let deadline = tokio::time::Instant::now() + SERVER_NOTICES;
        loop {
            let seen = (self.count("session started"), self.count("session ended"));
            if seen == (started, ended) {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "{why}: the server logged {} sessions started and {} ended, not {started} \
                     and {ended}\n{}",
                    seen.0,
                    seen.1,
                    self.process().output_so_far()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let (true, Some(process)) = (std::thread::panicking(), &self.process) {
            eprintln!("=== the server's output\n{}", process.output_so_far());
        }
    }
}

/// Headless Chromium with the page, driven by `browser-chromium.mjs`. Dropping it kills the
/// script, and Chromium with it (Chromium exits when Playwright's pipe to it closes); if the
/// test is failing, it first prints the browser's console, which the script copies to its
/// stderr.
struct Browser {
    process: ChildProcess,
    stdin: ChildStdin,
}

impl Browser {
    async fn launch(port: u16) -> Browser {
        let mut node = Command::new("node");
        node.arg("browser-chromium.mjs")
            .arg(format!("http://127.0.0.1:{port}"))
            .current_dir(setup::interop_dir());
        let (process, stdin) = ChildProcess::spawn_with_stdin("browser-chromium.mjs", node);
        Browser { process, stdin }
    }

    /// Sends one command and returns the page as it then is. Panics if the command fails (the
    /// browser's console follows, as `self` drops).
    async fn send(&mut self, command: Value) -> Page {
        let line = format!("{command}\n");
        tokio::time::timeout(STEP, self.stdin.write_all(line.as_bytes()))
            .await
            .expect("the browser script reads its commands")
            .expect("the browser script is running");
        let answer = self.process.next_line(STEP).await;
        let answer: Value = serde_json::from_str(&answer)
            .unwrap_or_else(|e| panic!("not JSON from the browser script ({e}): {answer}"));
        if let Some(error) = answer.get("error") {
            // The browser's console follows, from `drop`.
            panic!(
                "in the browser, {command} failed: {}",
                error.as_str().unwrap_or_default()
            );
        }
        serde_json::from_value(answer.clone())
            .unwrap_or_else(|e| panic!("unexpected answer to {command} ({e}): {answer}"))
    }

    async fn open(&mut self) -> Page {
        self.send(json!(["open"])).await
    }

    /// Types `text` into the input `selector` key by key, after clearing it.
    async fn type_text(&mut self, selector: &str, text: &str) -> Page {
        self.send(json!(["type", selector, text])).await
    }

    /// Clicks the button `selector` and waits until the page enables it again: the calls it
    /// started are over.
    async fn click(&mut self, selector: &str) -> Page {
        self.send(json!(["click", selector])).await
    }

    /// Waits until the page's log has `lines` lines.
    async fn wait_log(&mut self, lines: usize) -> Page {
        self.send(json!(["wait_log", lines])).await
    }

    /// Closes the browser: the page goes, as when its tab is closed.
    async fn close(mut self) {
        let line = format!("{}\n", json!(["close"]));
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        let answer = self.process.next_line(STEP).await;
        assert_eq!(answer, r#"{"closed":true}"#, "closing the browser");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "=== the browser's console (browser-chromium.mjs's stderr) and the script's \
                 answers\n{}",
                self.process.output_so_far()
            );
        }
    }
}

/// What the page's log shows for one run of the tour, for the name typed.
fn tour_texts(name: &str) -> Vec<String> {
    // As the page's JSON.stringify writes it: keys in the order the server sent them.
    let note = Value::from(format!("{name} was here"));
    let notebook =
        format!(r#"{{"title":"Visitors","notes":[{note},"pipelining saves round trips"]}}"#);
    vec![
        format!("greet: Hello, {name}!"),
        "notes: 2".to_owned(),
        format!("notebook: {notebook}"),
        "tick: 3".to_owned(),
        "tick: 2".to_owned(),
        "tick: 1".to_owned(),
        "countdown: Liftoff!".to_owned(),
    ]
}

/// Checks the lines one tour click added: the texts, none an error, all shown while the
/// button was still disabled, and the ticks one at a time, as the server calls back.
fn check_tour(page: &Page, from: usize, name: &str) {
    let lines = &page.log[from..];
    let texts: Vec<&str> = lines.iter().map(|line| line.text.as_str()).collect();
    assert_eq!(texts, tour_texts(name), "the tour for {name:?}: {page:#?}");
    for line in lines {
        assert!(
            !line.error && line.color != ERROR_RED,
            "not an error: {line:?}"
        );
        // The callbacks in particular: the page shows each tick while `countdown` still runs.
        assert!(line.busy, "shown while the tour was running: {line:?}");
    }
    // The server waits TICK after each tick's call returns, so the page shows them at least
    // that far apart (a little less allowed for timer granularity), not all at once at the end.
    let ticks = &lines[3..7];
    for pair in ticks.windows(2) {
        let apart = pair[1].at - pair[0].at;
        assert!(
            apart >= TICK.as_millis() as f64 * 0.75,
            "{:?} came {apart} ms after {:?}, less than a tick ({TICK:?}) apart",
            pair[1].text,
            pair[0].text
        );
    }
    assert!(page.enabled("tour") && page.enabled("batch"), "{page:#?}");
}

fn check_error(line: &Line, prefix: &str) {
    assert!(
        line.text.starts_with(prefix),
        "{line:?} starts with {prefix:?}"
    );
    assert!(line.error, "has the class `error`: {line:?}");
    assert_eq!(line.color, ERROR_RED, "shown in red: {line:?}");
}

#[tokio::test]
async fn chromium_clicks_through_the_browser_example() {
    // Installs what is missing, outside the deadline: `npm ci` (playwright-core, capnweb),
    // Chromium, the example program.
    tokio::task::spawn_blocking(|| {
        setup::node_packages();
        setup::chromium();
        example_binary("browser");
    })
    .await
    .unwrap_or_else(|panic| std::panic::resume_unwind(panic.into_panic()));

    let started = std::time::Instant::now();
    tokio::time::timeout(DEADLINE, click_through())
        .await
        .expect("the click-through finished within its deadline");
    eprintln!("the click-through took {:?}", started.elapsed());
}

async fn click_through() {
    let server = Server::start("127.0.0.1:0").await;
    let port = server.port;
    let mut browser = Browser::launch(port).await;

    // The page loads with capnweb and its script, and shows nothing yet.
    let page = browser.open().await;
    assert!(page.log.is_empty(), "{page:#?}");
    assert!(page.enabled("tour") && page.enabled("batch"), "{page:#?}");
    assert!(page.problems.is_empty(), "{page:#?}");
    // Nothing calls the server before a click.
    server.expect_sessions(0, 0, "after the page loaded").await;

    // The tour, over WebSocket: a call, a returned capability and pipelining, a callback.
    browser.type_text("#name", "Grace").await;
    let page = browser.click("#tour").await;
    check_tour(&page, 0, "Grace");
    server
        .expect_sessions(1, 0, "the page opened one WebSocket session")
        .await;

    // Again, with a name that is HTML: shown as text, on the same WebSocket session.
    browser.type_text("#name", "<b>Grace</b>").await;
    let page = browser.click("#tour").await;
    check_tour(&page, 7, "<b>Grace</b>");
    assert_eq!(page.bold, 0, "the page parsed the server's text as HTML");
    server
        .expect_sessions(1, 0, "the second tour reused the page's session")
        .await;

    // HTTP batch: one POST, a session of its own that ends with the answer. A blank name is
    // the server's "stranger".
    browser.type_text("#name", "   ").await;
    let page = browser.click("#batch").await;
    assert_eq!(
        page.texts()[14..],
        [r#"batch: {"greeting":"Hello, stranger!","notes":1}"#]
    );
    assert!(!page.log[14].error && page.log[14].busy, "{page:#?}");
    server
        .expect_sessions(2, 1, "the batch was a session of its own")
        .await;
    browser.type_text("#name", "Ada").await;
    let page = browser.click("#batch").await;
    assert_eq!(
        page.texts()[15..],
        [r#"batch: {"greeting":"Hello, Ada!","notes":1}"#]
    );
    server.expect_sessions(3, 2, "the second batch").await;
    assert!(page.problems.is_empty(), "{page:#?}");

    // The server goes away: the page says the connection is lost, without a click.
    server.kill().await;
    let page = browser.wait_log(17).await;
    // capnweb's words for it ("Peer closed WebSocket: 1006", or "WebSocket connection
    // failed." if the browser reports an error first) are its own; the page's are the prefix.
    check_error(&page.log[16], "connection lost: Error: ");
    assert!(!page.log[16].busy, "no call was running: {page:#?}");
    // A batch now fails, and the page says so.
    let page = browser.click("#batch").await;
    assert_eq!(page.log.len(), 18, "{page:#?}");
    check_error(&page.log[17], "error: TypeError: Failed to fetch");
    assert!(page.enabled("tour") && page.enabled("batch"), "{page:#?}");
    // The console has the outage, and nothing else: the refused POST, and capnweb's attempt
    // to send its abort message on the closed socket.
    assert!(!page.problems.is_empty(), "{page:#?}");
    for problem in &page.problems {
        assert!(
            problem.contains("ERR_CONNECTION_REFUSED")
                || problem.contains("WebSocket is already in CLOSING or CLOSED state"),
            "a console error the outage does not explain: {problem}"
        );
    }
    let problems_while_down = page.problems.len();

    // Back on the same port: the next tour opens a new session and works.
    let server = Server::start(&format!("127.0.0.1:{port}")).await;
    let page = browser.click("#tour").await;
    check_tour(&page, 18, "Ada");
    assert_eq!(page.problems.len(), problems_while_down, "{page:#?}");
    server
        .expect_sessions(1, 0, "the page reconnected once")
        .await;

    // The page goes: the server ends its session and drops all the page held.
    browser.close().await;
    server
        .expect_sessions(1, 1, "closing the page ended its session")
        .await;
}
