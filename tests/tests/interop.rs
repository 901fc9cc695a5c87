//! Capstan against the real `capnweb` npm package (0.12, under Node), in the four directions
//! of the interop plan, on 127.0.0.1 only. Needs Node 20 and npm; `npm ci` runs once in
//! `tests/interop` if its packages are missing. Every external program is killed when its test
//! ends, and every wait has a deadline.
//!
//! 1. capnweb client, Rust server: `battery.mjs ws://…/rpc` against `conformance serve`.
//! 2. The same over HTTP batch: `battery.mjs http://…/rpc --batch`.
//! 3. Rust client, capnweb server (`server.mjs`): the Rust battery of `interop/`, in process,
//!    over WebSocket and over HTTP batch.
//! 4. capnweb server calling into a Rust client: `reverse.mjs` with `conformance connect`.

mod interop {
    pub mod calls;
    pub mod capabilities;
    pub mod echo_values;
    pub mod fetch;
    pub mod rust_battery;
    pub mod streams;
}

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use interop::rust_battery::{self, Scenario};
use tests::interop::{ChildProcess, JsReport, setup};
use tokio::process::Command;

/// How long a program may take to print `LISTENING <port>`.
const START_DEADLINE: Duration = Duration::from_secs(30);
/// How long a whole battery may take.
const BATTERY_DEADLINE: Duration = Duration::from_secs(120);
/// Fewer checks than this means a battery silently ran less than it should.
const MIN_JS_CHECKS: usize = 95;
const MIN_RUST_WS_CHECKS: usize = 117;
const MIN_RUST_BATCH_CHECKS: usize = 94;

/// Installs the Node packages and builds `conformance` (each once per test binary).
async fn prepare() -> PathBuf {
    tokio::task::spawn_blocking(|| {
        setup::node_packages();
        setup::conformance_binary()
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// `node SCRIPT ARGS…` in `tests/interop`.
fn node_script(script: &str, args: &[&str]) -> Command {
    let mut command = Command::new("node");
    command
        .arg(script)
        .args(args)
        .current_dir(setup::interop_dir());
    command
}

/// A JS battery (`battery.mjs` or `reverse.mjs`), streams included.
fn js_battery(script: &str, args: &[&str]) -> Command {
    node_script(script, args)
}

fn conformance(binary: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(binary);
    command.args(args);
    command
}

/// `conformance serve 127.0.0.1:0`, and its port.
async fn rust_server(binary: &Path) -> (ChildProcess, u16) {
    let mut server = ChildProcess::spawn(
        "conformance serve",
        conformance(binary, &["serve", "127.0.0.1:0"]),
    );
    let port = server.listening_port(START_DEADLINE).await;
    (server, port)
}

#[tokio::test]
async fn direction_1_capnweb_client_calls_rust_server_over_websocket() {
    let binary = prepare().await;
    let (_server, port) = rust_server(&binary).await;
    let url = format!("ws://127.0.0.1:{port}/rpc");
    let battery = ChildProcess::spawn(
        "battery.mjs (WebSocket)",
        js_battery("battery.mjs", &[&url]),
    );
    let run = battery.finish(BATTERY_DEADLINE).await;
    let report = JsReport::assert_all_passed(&run, MIN_JS_CHECKS);
    println!("direction 1: {} checks passed", report.passed);
}

#[tokio::test]
async fn direction_2_capnweb_client_calls_rust_server_over_http_batch() {
    let binary = prepare().await;
    let (_server, port) = rust_server(&binary).await;
    let url = format!("http://127.0.0.1:{port}/rpc");
    let battery = ChildProcess::spawn(
        "battery.mjs (HTTP batch)",
        js_battery("battery.mjs", &[&url, "--batch"]),
    );
    let run = battery.finish(BATTERY_DEADLINE).await;
    let report = JsReport::assert_all_passed(&run, MIN_JS_CHECKS);
    println!("direction 2: {} checks passed", report.passed);
}

/// `node server.mjs 0` (capnweb's Conformance), and its port.
async fn capnweb_server() -> (ChildProcess, u16) {
    prepare().await;
    let mut server = ChildProcess::spawn("server.mjs", node_script("server.mjs", &["0"]));
    let port = server.listening_port(START_DEADLINE).await;
    (server, port)
}

fn rust_scenarios() -> Vec<Scenario> {
    let mut all = interop::calls::scenarios();
    all.extend(interop::echo_values::scenarios());
    all.extend(interop::capabilities::scenarios());
    all.extend(interop::streams::scenarios());
    all.extend(interop::fetch::scenarios());
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direction_3_rust_client_calls_capnweb_server_over_websocket() {
    let (server, port) = capnweb_server().await;
    let url = format!("ws://127.0.0.1:{port}/rpc");
    let scenarios = rust_scenarios();
    let outcomes = tokio::time::timeout(
        BATTERY_DEADLINE,
        rust_battery::run_over_websocket(&url, &scenarios),
    )
    .await
    .unwrap_or_else(|_| panic!("overran {BATTERY_DEADLINE:?}\n{}", server.output_so_far()));
    rust_battery::assert_all_passed("rust-ws", &outcomes, MIN_RUST_WS_CHECKS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direction_3_rust_client_calls_capnweb_server_over_http_batch() {
    let (server, port) = capnweb_server().await;
    let url = format!("http://127.0.0.1:{port}/rpc");
    let scenarios = rust_scenarios();
    let outcomes = tokio::time::timeout(
        BATTERY_DEADLINE,
        rust_battery::run_over_batch(&url, &scenarios),
    )
    .await
    .unwrap_or_else(|_| panic!("overran {BATTERY_DEADLINE:?}\n{}", server.output_so_far()));
    rust_battery::assert_all_passed("rust-batch", &outcomes, MIN_RUST_BATCH_CHECKS);
}

#[tokio::test]
async fn direction_4_capnweb_server_calls_rust_client() {
    let binary = prepare().await;
    let mut reverse = ChildProcess::spawn("reverse.mjs", js_battery("reverse.mjs", &["0"]));
    let port = reverse.listening_port(START_DEADLINE).await;
    let url = format!("ws://127.0.0.1:{port}/rpc");
    let client = ChildProcess::spawn(
        "conformance connect",
        conformance(&binary, &["connect", &url]),
    );
    // The client stays until reverse.mjs has run its battery and closed the connection.
    let client = client.finish(BATTERY_DEADLINE).await;
    let run = reverse.finish(Duration::from_secs(10)).await;
    let report = JsReport::assert_all_passed(&run, MIN_JS_CHECKS);
    assert!(client.succeeded(), "{}", client.describe());
    println!("direction 4: {} checks passed", report.passed);
}
