#![cfg(feature = "http-batch")]

mod calc;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use calc::{CalcClient, calc_main, square_of, within_time};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::{Service, service_fn};
use hyper::{Method, Request, StatusCode, header};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rpc_core::codec::Json;
use rpc_core::{ErrorKind, Session};
use rpc_transports::http_batch::{self, HttpConfig};
use rpc_transports::websocket;
use tokio::net::TcpListener;

struct TestServer {
    addr: std::net::SocketAddr,
    /// POST requests seen, counted in front of the RPC service.
    posts: Arc<AtomicUsize>,
}

impl TestServer {
    fn url(&self) -> String {
        format!("http://{}/rpc", self.addr)
    }
}

/// A hyper server on 127.0.0.1 running `RpcService` behind a request counter.
async fn start_server(config: HttpConfig) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let posts = Arc::new(AtomicUsize::new(0));
    let service = http_batch::hyper_service_with(calc_main, config);
    let counter = posts.clone();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let service = service.clone();
            let counter = counter.clone();
            let counting = service_fn(move |request: Request<hyper::body::Incoming>| {
                if request.method() == Method::POST {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                service.call(request)
            });
            tokio::spawn(
                http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), counting)
                    .with_upgrades(),
            );
        }
    });
    TestServer { addr, posts }
}

struct RawResponse {
    status: StatusCode,
    allow_origin: Option<String>,
    body: String,
}

/// One request with a hand-written body, on a fresh connection.
async fn raw_request(url: &str, method: Method, body: impl Into<Bytes>) -> RawResponse {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = Request::builder()
        .method(method)
        .uri(url)
        .body(Full::new(body.into()))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status();
    let allow_origin = response
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    RawResponse {
        status,
        allow_origin,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

#[tokio::test]
async fn one_post_carries_a_whole_pipelined_batch() {
    whole_pipelined_batch_in_one_post(HttpConfig::default()).await;
}

// On a current-thread runtime, scheduler turns alone delimit the batch, as in capnweb; an
// explicit zero quiet period means the same everywhere.
#[tokio::test]
async fn scheduler_turns_alone_delimit_a_batch_on_one_thread() {
    let config = HttpConfig::default().with_batch_quiet(Duration::ZERO);
    whole_pipelined_batch_in_one_post(config).await;
}

// On worker threads the batch also waits for a quiet period. The default (5 ms) is for a
// normally loaded machine; tests run many runtimes at once on few cores, where a thread can be
// paused for longer, so this test gives the window room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_post_carries_a_whole_batch_on_worker_threads_too() {
    let config = HttpConfig::default().with_batch_quiet(Duration::from_millis(25));
    for _ in 0..10 {
        whole_pipelined_batch_in_one_post(config.clone()).await;
    }
}

async fn whole_pipelined_batch_in_one_post(client_config: HttpConfig) {
    within_time(async {
        let server = start_server(HttpConfig::default()).await;
        let session = http_batch::session_with(&server.url(), None, &client_config).unwrap();
        let calc: CalcClient = session.main_as();

        let plain = calc.add(1, 2);
        // Not awaited: the increment is pipelined on a capability that has not arrived.
        let counter = calc.make_counter(10);
        let incremented = counter.increment(5);
        // A promise as an argument.
        let squared = square_of(&calc, calc.add(1, 2));
        let (plain, incremented, squared) = tokio::join!(plain, incremented, squared);
        assert_eq!(plain.unwrap(), 3);
        assert_eq!(incremented.unwrap(), 15);
        assert_eq!(squared.unwrap(), 9);
        assert_eq!(server.posts.load(Ordering::SeqCst), 1);

        // The batch is over: the session is broken and its stubs are dead.
        let why = session.closed().await;
        assert_eq!(why.kind(), ErrorKind::Disconnected, "{why}");
        assert!(why.message().contains("Batch RPC request ended."), "{why}");
        let late = calc.add(1, 1).await.unwrap_err();
        assert_eq!(late.kind(), ErrorKind::Disconnected, "{late}");
        // The result never pulled in the batch is rejected too.
        assert!(counter.await.is_err());
        assert_eq!(server.posts.load(Ordering::SeqCst), 1);
    })
    .await;
}

#[tokio::test]
async fn errors_come_back_with_their_name_and_message() {
    within_time(async {
        let server = start_server(HttpConfig::default()).await;
        let session = http_batch::session(&server.url(), None).unwrap();
        let calc: CalcClient = session.main_as();
        let (error, sum) = tokio::join!(calc.throw_error("boom"), calc.add(2, 2));
        let error = error.unwrap_err();
        assert_eq!(error.name(), "RangeError");
        assert_eq!(error.message(), "boom");
        assert_eq!(sum.unwrap(), 4);
        assert_eq!(server.posts.load(Ordering::SeqCst), 1);
    })
    .await;
}

#[tokio::test]
async fn hand_written_bodies_get_capnweb_answers_byte_for_byte() {
    within_time(async {
        let server = start_server(HttpConfig::default()).await;
        let url = server.url();

        let body = "[\"push\",[\"pipeline\",0,[\"square\"],[7]]]\n[\"pull\",1]";
        let answer = raw_request(&url, Method::POST, body).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body, "[\"resolve\",1,49]");
        assert_eq!(answer.allow_origin.as_deref(), Some("*"));

        let body = "[\"push\",[\"pipeline\",0,[\"throwError\"],[\"boom\"]]]\n[\"pull\",1]";
        let answer = raw_request(&url, Method::POST, body).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(
            answer.body,
            "[\"reject\",1,[\"error\",\"RangeError\",\"boom\"]]"
        );

        // Only pulled results are answered; each on its own line, no trailing newline.
        let body = [
            "[\"push\",[\"pipeline\",0,[\"add\"],[1,2]]]",
            "[\"push\",[\"pipeline\",0,[\"square\"],[[\"pipeline\",1]]]]",
            "[\"push\",[\"pipeline\",0,[\"square\"],[4]]]",
            "[\"pull\",2]",
            "[\"pull\",3]",
        ]
        .join("\n");
        let answer = raw_request(&url, Method::POST, body).await;
        let mut lines: Vec<&str> = answer.body.split('\n').collect();
        lines.sort();
        assert_eq!(lines, ["[\"resolve\",2,9]", "[\"resolve\",3,16]"]);

        // An empty body is zero messages, and zero answers.
        let answer = raw_request(&url, Method::POST, "").await;
        assert_eq!((answer.status, answer.body.as_str()), (StatusCode::OK, ""));
    })
    .await;
}

#[tokio::test]
async fn bad_requests_get_their_statuses_and_the_server_keeps_serving() {
    within_time(async {
        let config = HttpConfig::default().with_max_body_bytes(1024);
        let server = start_server(config).await;
        let url = server.url();
        let good = "[\"push\",[\"pipeline\",0,[\"square\"],[3]]]\n[\"pull\",1]";

        for method in [Method::GET, Method::PUT, Method::DELETE] {
            let answer = raw_request(&url, method.clone(), "").await;
            assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        }

        // A trailing newline makes an empty last message: the session aborts, 500 (as Node).
        let answer = raw_request(&url, Method::POST, format!("{good}\n")).await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(answer.body.contains("bad RPC message"), "{}", answer.body);

        let answer = raw_request(&url, Method::POST, "[\"bogus\",1]").await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);

        let oversize = format!("[\"push\",\"{}\"]", "x".repeat(2000));
        let answer = raw_request(&url, Method::POST, oversize).await;
        assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);

        let answer = raw_request(&url, Method::POST, &b"[\"pull\",\xff]"[..]).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);

        let answer = raw_request(&url, Method::POST, good).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (StatusCode::OK, "[\"resolve\",1,9]")
        );
    })
    .await;
}

#[tokio::test]
async fn a_failed_post_breaks_the_client_session_with_the_status() {
    within_time(async {
        let server = start_server(HttpConfig::default().with_max_body_bytes(64)).await;
        let session = http_batch::session(&server.url(), None).unwrap();
        let calc: CalcClient = session.main_as();
        let error = calc.throw_error("x".repeat(100)).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Disconnected, "{error}");
        assert!(
            error.message().contains("RPC request failed: 413"),
            "{error}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_session_that_sends_nothing_posts_nothing() {
    within_time(async {
        let server = start_server(HttpConfig::default()).await;
        let session = http_batch::session(&server.url(), None).unwrap();
        session.close();
        session.closed().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(server.posts.load(Ordering::SeqCst), 0);
    })
    .await;
}

#[tokio::test]
async fn the_same_service_upgrades_websockets() {
    within_time(async {
        let server = start_server(HttpConfig::default()).await;
        let transport = websocket::connect(&format!("ws://{}/rpc", server.addr))
            .await
            .unwrap();
        let session = Session::builder().codec(Json).start(transport);
        let calc: CalcClient = session.main_as();
        assert_eq!(calc.add(20, 22).await.unwrap(), 42);
        let counter = calc.make_counter(1).await.unwrap();
        assert_eq!(counter.increment(1).await.unwrap(), 2);
        assert_eq!(server.posts.load(Ordering::SeqCst), 0);
        session.close();
    })
    .await;
}

#[test]
fn only_http_urls_are_accepted() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _guard = runtime.enter();
    assert!(http_batch::batch_transport("https://example.invalid/").is_err());
    assert!(http_batch::batch_transport("not a url").is_err());
}

#[tokio::test]
async fn answers_come_in_completion_order() {
    within_time(async {
        // Sleeps for its argument (in milliseconds), then returns it.
        let main = || {
            rpc_core::Stub::from_fn(|args| async move {
                let ms = args[0].as_i64().unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(ms as u64)).await;
                Ok::<_, rpc_core::RpcError>(rpc_core::Value::from(ms))
            })
        };
        let body = [
            "[\"push\",[\"pipeline\",0,[],[60]]]",
            "[\"push\",[\"pipeline\",0,[],[0]]]",
            "[\"pull\",1]",
            "[\"pull\",2]",
        ]
        .join("\n");
        let answer = http_batch::serve_batch(body.as_bytes(), main(), &HttpConfig::default())
            .await
            .unwrap();
        assert_eq!(answer, "[\"resolve\",2,0]\n[\"resolve\",1,60]");
    })
    .await;
}

#[tokio::test]
async fn an_unreachable_server_breaks_the_client_session() {
    within_time(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/rpc", listener.local_addr().unwrap());
        drop(listener);
        let session = http_batch::session(&url, None).unwrap();
        let calc: CalcClient = session.main_as();
        let error = calc.add(1, 2).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Disconnected, "{error}");
        assert!(error.message().contains("the connection failed"), "{error}");
    })
    .await;
}

// Handlers that finish on worker threads settle while the batch is draining; every pulled
// result must still be in the answer (settled means its resolution is queued).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_settling_on_worker_threads_are_all_answered() {
    within_time(async {
        let main = || {
            rpc_core::Stub::from_fn(|args| async move {
                tokio::task::yield_now().await;
                Ok::<_, rpc_core::RpcError>(args.into_iter().next().unwrap_or_default())
            })
        };
        let body = [
            "[\"push\",[\"pipeline\",0,[],[1]]]",
            "[\"push\",[\"pipeline\",0,[],[2]]]",
            "[\"push\",[\"pipeline\",0,[],[3]]]",
            "[\"pull\",1]",
            "[\"pull\",2]",
            "[\"pull\",3]",
        ]
        .join("\n");
        for _ in 0..500 {
            let answer = http_batch::serve_batch(body.as_bytes(), main(), &HttpConfig::default())
                .await
                .unwrap();
            let mut lines: Vec<&str> = answer.split('\n').collect();
            lines.sort();
            assert_eq!(
                lines,
                [
                    "[\"resolve\",1,1]",
                    "[\"resolve\",2,2]",
                    "[\"resolve\",3,3]"
                ]
            );
        }
    })
    .await;
}
