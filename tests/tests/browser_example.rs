//! The browser example (`examples::browser`), served in process on 127.0.0.1: its page and
//! scripts, `/rpc` from a Rust client over WebSocket (JSON, as a browser speaks, and
//! MessagePack) and over raw HTTP batch, and, when Node is installed, the page's own
//! JavaScript with the real capnweb (`tests/interop/browser-example.mjs`).

use std::{
    future::Future,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use examples::browser::{self, Contents, GreeterClient};
use rpc_core::{Callback, Session, codec::Json};
use rpc_transports::websocket;
use tests::{
    INITIAL,
    interop::{ChildProcess, setup},
    wait_for_stats,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    process::Command,
    task::JoinHandle,
};

/// Stands in for capnweb where the tests only need to see it served.
const FAKE_CAPNWEB: &str = "export const fake = 'capnweb';\n";

/// The bound on every test.
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs `test` within [`DEADLINE`].
async fn within_deadline(test: impl Future<Output = ()>) {
    tokio::time::timeout(DEADLINE, test)
        .await
        .expect("the test finished within its deadline");
}

/// The example app on 127.0.0.1:0, stopped when dropped.
struct Server {
    addr: SocketAddr,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(capnweb_js: &str) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = browser::app(capnweb_js.to_owned());
        let task = tokio::spawn(async move { axum::serve(listener, app).await });
        Server { addr, task }
    }

    /// A WebSocket session on `/rpc`, started by `builder`.
    async fn connect(&self, builder: rpc_core::SessionBuilder) -> Session {
        let url = format!("ws://{}/rpc", self.addr);
        builder.start(websocket::connect(&url).await.unwrap())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An HTTP response, read whole.
struct Response {
    status: u16,
    /// Header lines, names lower-cased.
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        let found = self.headers.iter().find(|(n, _)| n == name);
        found.map(|(_, value)| value.as_str())
    }
}

/// Sends one HTTP/1.1 request as a browser would put it on the wire, and reads the answer to
/// the end (`Connection: close`). The example's answers all carry a `Content-Length`, so the
/// body needs no chunked decoding.
async fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> Response {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(body.as_bytes()).await.unwrap();
    let mut raw = String::new();
    tcp.read_to_string(&mut raw).await.unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a header block");
    let mut lines = head.lines();
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Response {
        status,
        headers,
        body: body.to_owned(),
    }
}

#[tokio::test]
async fn the_page_imports_capnweb_and_the_page_logic() {
    within_deadline(async {
        let server = Server::start(FAKE_CAPNWEB).await;
        let page = request(server.addr, "GET", "/", "").await;
        assert_eq!(page.status, 200);
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
        assert!(
            page.body
                .contains(r#"import * as capnweb from "/capnweb.js";"#)
        );
        assert!(page.body.contains(r#"from "/app.js""#));
        assert!(
            page.body
                .contains(r#"newWebSocketRpcSession(scheme + location.host + "/rpc")"#)
        );

        let app = request(server.addr, "GET", "/app.js", "").await;
        assert_eq!(app.status, 200);
        assert!(
            app.header("content-type")
                .unwrap()
                .starts_with("text/javascript")
        );
        assert_eq!(app.body, browser::APP_JS);
        assert!(app.body.contains("newHttpBatchRpcSession(url)"));
    })
    .await;
}

#[tokio::test]
async fn capnweb_is_served_as_given_with_a_javascript_type() {
    within_deadline(async {
        let server = Server::start(FAKE_CAPNWEB).await;
        let js = request(server.addr, "GET", "/capnweb.js", "").await;
        assert_eq!(js.status, 200);
        assert_eq!(
            js.header("content-type"),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(js.body, FAKE_CAPNWEB);
    })
    .await;
}

/// What the page does, from Rust: a plain call, a returned capability (pipelined), a callback.
async fn tour(session: &Session) {
    let greeter: GreeterClient = session.main_as();
    assert_eq!(greeter.greet("Ada").await.unwrap(), "Hello, Ada!");
    assert_eq!(greeter.greet("  ").await.unwrap(), "Hello, stranger!");

    let notebook = greeter.open_notebook("Visitors").await.unwrap();
    assert_eq!(notebook.add("Ada was here").await.unwrap(), 1);
    // Pipelined: `add` names a notebook that has not arrived yet.
    assert_eq!(greeter.open_notebook("Other").add("x").await.unwrap(), 1);
    assert_eq!(notebook.add("and back").await.unwrap(), 2);
    assert_eq!(
        notebook.read().await.unwrap(),
        Contents {
            title: "Visitors".into(),
            notes: vec!["Ada was here".into(), "and back".into()],
        }
    );

    let ticks = Arc::new(Mutex::new(Vec::new()));
    let seen = ticks.clone();
    let tick = Callback::new(move |n: u32| {
        seen.lock().unwrap().push(n);
        async { Ok(()) }
    });
    assert_eq!(greeter.countdown(3, tick).await.unwrap(), "Liftoff!");
    assert_eq!(*ticks.lock().unwrap(), [3, 2, 1]);

    // Everything the tour held is released on the server's side, too.
    drop((notebook, greeter));
    wait_for_stats(session, INITIAL).await;
}

#[tokio::test]
async fn a_json_websocket_client_calls_the_greeter() {
    within_deadline(async {
        let server = Server::start(FAKE_CAPNWEB).await;
        // JSON text frames: what a browser's capnweb sends.
        let session = server.connect(Session::builder().codec(Json)).await;
        tour(&session).await;
        session.close();
    })
    .await;
}

#[tokio::test]
async fn a_messagepack_client_is_answered_in_kind_on_the_same_route() {
    within_deadline(async {
        let server = Server::start(FAKE_CAPNWEB).await;
        // The default codec, MessagePack in binary frames.
        let session = server.connect(Session::builder()).await;
        tour(&session).await;
        session.close();
    })
    .await;
}

#[tokio::test]
async fn a_raw_http_batch_post_gets_the_resolve_line() {
    within_deadline(async {
        let server = Server::start(FAKE_CAPNWEB).await;
        // What `newHttpBatchRpcSession("/rpc")` posts for `await api.greet("Ada")`.
        let body = "[\"push\",[\"pipeline\",0,[\"greet\"],[\"Ada\"]]]\n[\"pull\",1]";
        let answer = request(server.addr, "POST", "/rpc", body).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, r#"["resolve",1,"Hello, Ada!"]"#);
        assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
    })
    .await;
}

#[tokio::test]
async fn other_methods_on_rpc_get_405() {
    within_deadline(async {
        let server = Server::start(FAKE_CAPNWEB).await;
        for method in ["PUT", "GET"] {
            let answer = request(server.addr, method, "/rpc", "").await;
            assert_eq!(answer.status, 405, "{method} /rpc");
            assert_eq!(answer.header("allow"), Some("POST"));
        }
    })
    .await;
}

/// True when `node --version` runs.
fn node_available() -> bool {
    std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

#[tokio::test]
async fn the_page_logic_works_with_the_real_capnweb_under_node() {
    if !node_available() {
        eprintln!("skipped: Node is not installed, so the page's JavaScript cannot run");
        return;
    }
    within_deadline(async {
        // `npm ci` in tests/interop if capnweb is missing (blocking, hence its own thread).
        tokio::task::spawn_blocking(setup::node_packages).await.unwrap();
        let capnweb_js = browser::read_capnweb(&browser::default_capnweb_path()).unwrap();
        let server = Server::start(&capnweb_js).await;

        let mut node = Command::new("node");
        node.arg("browser-example.mjs")
            .arg(format!("http://{}", server.addr))
            .current_dir(setup::interop_dir());
        let run = ChildProcess::spawn("browser-example.mjs", node)
            .finish(Duration::from_secs(40))
            .await;
        assert!(run.succeeded(), "{}", run.describe());

        let lines: Vec<&str> = run.stdout.lines().collect();
        let expected = [
            // app.js called directly, over WebSocket, then over HTTP batch.
            r#"{"label":"greet","value":"Hello, Node!"}"#,
            r#"{"label":"notes","value":2}"#,
            r#"{"label":"notebook","value":{"title":"Visitors","notes":["Node was here","pipelining saves round trips"]}}"#,
            r#"{"label":"tick","value":3}"#,
            r#"{"label":"tick","value":2}"#,
            r#"{"label":"tick","value":1}"#,
            r#"{"label":"countdown","value":"Liftoff!"}"#,
            r#"{"label":"batch","value":{"greeting":"Hello, Node!","notes":1}}"#,
            // The page's own script clicking both buttons, as its log shows it.
            r#"{"page":"greet: Hello, Ada!"}"#,
            r#"{"page":"notes: 2"}"#,
            r#"{"page":"notebook: {\"title\":\"Visitors\",\"notes\":[\"Ada was here\",\"pipelining saves round trips\"]}"}"#,
            r#"{"page":"tick: 3"}"#,
            r#"{"page":"tick: 2"}"#,
            r#"{"page":"tick: 1"}"#,
            r#"{"page":"countdown: Liftoff!"}"#,
            r#"{"page":"batch: {\"greeting\":\"Hello, Ada!\",\"notes\":1}"}"#,
            "done",
        ];
        assert_eq!(lines, expected, "{}", run.describe());
    })
    .await;
}
