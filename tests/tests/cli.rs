//! The `capstan` command-line client, run as a real child process: `describe`, `call` and the
//! REPL (its commands piped to stdin) against Capstan servers in this process, over WebSocket
//! with JSON, WebSocket with MessagePack, and TCP; and `call` against a capnweb server under
//! Node (`tests/interop/server.mjs`). Every server listens on 127.0.0.1, every process is
//! killed at its deadline.

use std::{path::PathBuf, time::Duration};

use rpc_core::{
    Session,
    codec::{Json, MsgPack},
};
use rpc_transports::{tcp, websocket};
use tests::{
    CalculatorClient, CalculatorImpl, CalculatorServer, CounterClient,
    example_programs::example_binary,
    interop::{ChildProcess, Finished, setup},
};
use tokio::{io::AsyncWriteExt, net::TcpListener, process::Command, task::JoinHandle};

/// How long one run of `capstan` may take.
const RUN_DEADLINE: Duration = Duration::from_secs(60);

/// A Capstan server serving a fresh `Calculator` to every connection; stops when dropped.
struct Server {
    url: String,
    accepting: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

/// The transports and codecs the Capstan tests run over.
#[derive(Debug, Clone, Copy)]
enum Wire {
    WebSocketJson,
    WebSocketMsgPack,
    Tcp,
}

const WIRES: [Wire; 3] = [Wire::WebSocketJson, Wire::WebSocketMsgPack, Wire::Tcp];

impl Wire {
    /// The codec options `capstan` needs for this wire (its defaults cover the others).
    fn options(self) -> &'static [&'static str] {
        match self {
            Wire::WebSocketMsgPack => &["--codec", "msgpack"],
            _ => &[],
        }
    }
}

/// Starts a server on `wire`. Its sessions speak exactly one codec (not `Auto`), so a client
/// in the wrong codec is not understood: a passing test shows `capstan` spoke the right one.
async fn serve(wire: Wire, reflection: bool) -> Server {
    let builder = move || {
        let builder = Session::builder()
            .main(CalculatorServer::new(CalculatorImpl::default()))
            .reflection(reflection);
        match wire {
            Wire::WebSocketJson => builder.codec(Json),
            Wire::WebSocketMsgPack | Wire::Tcp => builder.codec(MsgPack),
        }
    };
    match wire {
        Wire::Tcp => {
            let listener = tcp::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("tcp://{}", listener.local_addr().unwrap());
            let accepting = tokio::spawn(rpc_core::serve(listener.incoming(), builder));
            Server { url, accepting }
        }
        Wire::WebSocketJson | Wire::WebSocketMsgPack => {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("ws://{}/rpc", listener.local_addr().unwrap());
            let accepting = tokio::spawn(async move {
                while let Ok((tcp, _)) = listener.accept().await {
                    tokio::spawn(async move {
                        if let Ok(transport) = websocket::accept(tcp).await {
                            builder().start(transport);
                        }
                    });
                }
            });
            Server { url, accepting }
        }
    }
}

async fn capstan_binary() -> PathBuf {
    tokio::task::spawn_blocking(|| example_binary("capstan"))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// Runs `capstan ARGS…` with `stdin` as its input, to the end.
async fn capstan(args: &[&str], stdin: &str) -> Finished {
    let mut command = Command::new(capstan_binary().await);
    command.args(args).env("NO_COLOR", "1");
    let name = format!("capstan {}", args.join(" "));
    let (process, mut input) = ChildProcess::spawn_with_stdin(&name, command);
    input.write_all(stdin.as_bytes()).await.unwrap();
    // Closing stdin is the end of the script (a REPL with no `quit` ends there too).
    drop(input);
    process.finish(RUN_DEADLINE).await
}

/// `capstan [wire options] ARGS…`, to the end.
async fn capstan_on(wire: Wire, args: &[&str]) -> Finished {
    let mut all: Vec<&str> = wire.options().to_vec();
    all.extend_from_slice(args);
    capstan(&all, "").await
}

fn assert_succeeded(run: &Finished) {
    assert!(run.succeeded(), "{}", run.describe());
}

fn assert_failed_with(run: &Finished, stderr: &str) {
    assert_eq!(
        run.status.and_then(|s| s.code()),
        Some(1),
        "{}",
        run.describe()
    );
    assert!(
        run.stderr.contains(stderr),
        "no `{stderr}` in\n{}",
        run.describe()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_prints_the_interface_with_signatures_and_docs() {
    for wire in WIRES {
        let server = serve(wire, true).await;
        let run = capstan_on(wire, &["describe", &server.url]).await;
        assert_succeeded(&run);
        let out = &run.stdout;
        assert!(
            out.starts_with(
                "interface Calculator\n  The interface most integration tests exercise.\n\nmethods:\n"
            ),
            "{wire:?}: {out}"
        );
        assert!(
            out.contains("  add(a: i64, b: i64) -> i64\n      `a + b`.\n"),
            "{out}"
        );
        assert!(
            out.contains(
                "  makeCounter(start: i64) -> CounterClient\n      A new counter capability.\n"
            ),
            "{out}"
        );
        assert!(
            out.contains("  callBack(cb: Callback<i64, i64>, x: i64) -> i64\n"),
            "{out}"
        );
        // Every method, once.
        for method in CalculatorClient::DESCRIPTION.methods {
            assert_eq!(
                out.matches(&format!("  {}(", method.name)).count(),
                1,
                "{out}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_json_prints_the_description_the_server_sent() {
    for wire in WIRES {
        let server = serve(wire, true).await;
        let run = capstan_on(wire, &["describe", "--json", &server.url]).await;
        assert_succeeded(&run);
        let printed: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let expected = serde_json::to_value(CalculatorClient::DESCRIPTION).unwrap();
        assert_eq!(printed, expected, "{wire:?}");
        assert_eq!(printed["methods"][0]["params"][1]["type"], "i64");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_prints_the_result_as_json() {
    for wire in WIRES {
        let server = serve(wire, true).await;
        let run = capstan_on(wire, &["call", &server.url, "add", "2", "-3"]).await;
        assert_succeeded(&run);
        assert_eq!(run.stdout, "-1\n", "{wire:?}");

        let run = capstan_on(wire, &["call", &server.url, "getUser", "7"]).await;
        assert_succeeded(&run);
        let user: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(
            user,
            serde_json::json!({"id": 7, "name": "User 7", "profile": {"bio": "Bio of user 7"}})
        );

        if let Wire::WebSocketMsgPack = wire {
            // Without `--codec msgpack` it speaks JSON, which this server does not read.
            let run = capstan(
                &["--timeout", "5", "call", &server.url, "add", "2", "-3"],
                "",
            )
            .await;
            assert_eq!(
                run.status.and_then(|s| s.code()),
                Some(1),
                "{}",
                run.describe()
            );
            assert_eq!(run.stdout, "");
        }

        // A capability in the result prints as a placeholder.
        let run = capstan_on(wire, &["call", &server.url, "makeCounter", "1"]).await;
        assert_succeeded(&run);
        assert_eq!(run.stdout, "{\"$capability\":\"$1\"}\n");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_call_prints_the_error_and_exits_non_zero() {
    for wire in WIRES {
        let server = serve(wire, true).await;
        let run = capstan_on(wire, &["call", &server.url, "fail", "\"out of range\""]).await;
        assert_failed_with(&run, "error: RangeError: out of range {\"code\":42}\n");
        assert_eq!(run.stdout, "");

        let run = capstan_on(wire, &["call", &server.url, "noSuchMethod"]).await;
        assert_failed_with(
            &run,
            "error: TypeError: 'noSuchMethod' is not a function.\n",
        );

        let run = capstan_on(wire, &["call", &server.url, "add", "one", "2"]).await;
        assert_failed_with(&run, "error: argument 1 (`one`) is not JSON");

        let run = capstan_on(wire, &["call", &server.url, "square", "\"x\""]).await;
        assert_failed_with(&run, "error: TypeError: square: argument `x`");
    }
    // `--timeout` bounds the wait for an answer.
    let server = serve(Wire::Tcp, true).await;
    let run = capstan(
        &["--timeout", "0.3", "call", &server.url, "slow", "5000"],
        "",
    )
    .await;
    assert_failed_with(&run, "error: no answer within 300ms (see --timeout)\n");

    // Nobody listens on a port whose listener has been closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("tcp://{}", closed.local_addr().unwrap());
    drop(closed);
    let run = capstan(&["call", &url, "add", "1", "2"], "").await;
    assert_failed_with(&run, &format!("error: cannot connect to {url}: "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_repl_calls_methods_on_returned_capabilities() {
    let script = "\
add 1 2
makeCounter 10
$1.increment 5
$1.value
incrementCounter $1 2
describe $1
fail \"nope\"
$7.value
$0.square 9
quit
add 100 100
";
    for wire in WIRES {
        let server = serve(wire, true).await;
        let mut args: Vec<&str> = wire.options().to_vec();
        args.extend(["--repl", &server.url]);
        let run = capstan(&args, script).await;
        assert_succeeded(&run);
        let counter = CounterClient::DESCRIPTION;
        let expected = format!(
            "3\n{{\"$capability\":\"$1\"}}\n15\n15\n17\ninterface Counter\n  A counter capability.\n\n\
             methods:\n  increment(by: i64) -> i64\n      {}\n  value() -> i64\n      {}\n81\n",
            counter.methods[0].docs, counter.methods[1].docs
        );
        // Nothing after `quit` runs; errors go to stderr and the session goes on.
        assert_eq!(run.stdout, expected, "{wire:?}\n{}", run.describe());
        assert_eq!(
            run.stderr,
            "error: RangeError: nope {\"code\":42}\n\
             error: no capability is named $7 (results name them $1, $2, ...)\n",
            "{wire:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_repl_subcommand_ends_at_end_of_input() {
    let server = serve(Wire::Tcp, true).await;
    let run = capstan(&["repl", &server.url], "makeCounter 3\n$1.increment 4\n").await;
    assert_succeeded(&run);
    assert_eq!(run.stdout, "{\"$capability\":\"$1\"}\n7\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_fails_like_an_unknown_method_when_reflection_is_off() {
    let server = serve(Wire::WebSocketJson, false).await;
    let run = capstan(&["describe", &server.url], "").await;
    assert_failed_with(&run, "offers no description");
    assert!(
        run.stderr
            .contains("The server answered TypeError: '__describe__' is not a function.\n"),
        "{}",
        run.describe()
    );
    // Calls are not affected.
    let run = capstan(&["call", &server.url, "square", "12"], "").await;
    assert_succeeded(&run);
    assert_eq!(run.stdout, "144\n");
}

/// `node server.mjs 0` (capnweb's Conformance), and its port.
async fn capnweb_server() -> (ChildProcess, u16) {
    tokio::task::spawn_blocking(setup::node_packages)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    let mut command = Command::new("node");
    command
        .arg("server.mjs")
        .arg("0")
        .current_dir(setup::interop_dir());
    let mut server = ChildProcess::spawn("server.mjs", command);
    let port = server.listening_port(Duration::from_secs(30)).await;
    (server, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_works_against_a_capnweb_server() {
    let (_server, port) = capnweb_server().await;
    let ws = format!("ws://127.0.0.1:{port}/rpc");
    let run = capstan(&["call", &ws, "add", "2", "3"], "").await;
    assert_succeeded(&run);
    assert_eq!(run.stdout, "5\n");

    let run = capstan(&["call", &ws, "generateFibonacci", "8"], "").await;
    assert_succeeded(&run);
    assert_eq!(run.stdout, "[0,1,1,2,3,5,8,13]\n");

    let run = capstan(&["call", &ws, "throwError", "\"bad input\""], "").await;
    assert_failed_with(&run, "error: RangeError: bad input\n");

    // One HTTP batch does as well.
    let http = format!("http://127.0.0.1:{port}/rpc");
    let run = capstan(&["call", &http, "square", "7"], "").await;
    assert_succeeded(&run);
    assert_eq!(run.stdout, "49\n");

    // The REPL calls into capnweb's capabilities.
    let run = capstan(
        &["--repl", &ws],
        "makeCounter 5\n$1.increment 2\n$1.value\n",
    )
    .await;
    assert_succeeded(&run);
    assert_eq!(run.stdout, "{\"$capability\":\"$1\"}\n7\n7\n");

    // capnweb has no description to give.
    let run = capstan(&["describe", &ws], "").await;
    assert_failed_with(
        &run,
        &format!("error: the server at {ws} offers no description"),
    );
    assert!(
        run.stderr.contains("capnweb servers have no description"),
        "{}",
        run.describe()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capnweb_client_reads_the_description_as_an_ordinary_call() {
    tokio::task::spawn_blocking(setup::node_packages)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    for (reflection, expected) in [
        (
            true,
            serde_json::to_string(&CalculatorClient::DESCRIPTION).unwrap(),
        ),
        (
            false,
            "ERROR TypeError: '__describe__' is not a function.".to_owned(),
        ),
    ] {
        let server = serve(Wire::WebSocketJson, reflection).await;
        let mut command = Command::new("node");
        command
            .arg("describe.mjs")
            .arg(&server.url)
            .current_dir(setup::interop_dir());
        let run = ChildProcess::spawn("describe.mjs", command)
            .finish(RUN_DEADLINE)
            .await;
        assert_succeeded(&run);
        let printed = run.stdout.trim_end();
        if reflection {
            // Compared as JSON: capnweb's key order is its own.
            let printed: serde_json::Value = serde_json::from_str(printed).unwrap();
            let expected: serde_json::Value = serde_json::from_str(&expected).unwrap();
            assert_eq!(printed, expected);
        } else {
            assert_eq!(printed, expected);
        }
    }
}
