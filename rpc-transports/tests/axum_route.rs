#![cfg(feature = "axum")]

mod calc;

use axum::Router;
use bytes::Bytes;
use calc::{CalcClient, calc_main, settles_to_initial_tables, square_of, within_time};
use futures::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rpc_core::codec::Json;
use rpc_core::{ErrorKind, Session};
use rpc_transports::axum_route::{rpc_route, rpc_route_with};
use rpc_transports::http_batch::{self, HttpConfig};
use rpc_transports::websocket::{self, tokio_tungstenite};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// An axum app with the RPC route on `/rpc`; returns `host:port`.
async fn start_app(app: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn status_of(url: &str, method: Method, body: &'static str) -> (StatusCode, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = Request::builder()
        .method(method)
        .uri(url)
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn one_path_serves_websocket_and_batch_and_refuses_the_rest() {
    within_time(async {
        let addr = start_app(Router::new().route("/rpc", rpc_route(calc_main))).await;

        // WebSocket.
        let transport = websocket::connect(&format!("ws://{addr}/rpc"))
            .await
            .unwrap();
        let ws = Session::builder().codec(Json).start(transport);
        let calc: CalcClient = ws.main_as();
        assert_eq!(calc.add(1, 2).await.unwrap(), 3);
        let counter = calc.make_counter(10).await.unwrap();
        assert_eq!(counter.increment(5).await.unwrap(), 15);
        let error = calc.throw_error("boom").await.unwrap_err();
        assert_eq!((error.name(), error.message()), ("RangeError", "boom"));
        drop(counter);
        settles_to_initial_tables(&ws).await;

        // Batch, on the same path, while the WebSocket session is still open.
        let batch = http_batch::session(&format!("http://{addr}/rpc"), None).unwrap();
        let bcalc: CalcClient = batch.main_as();
        let counter = bcalc.make_counter(10);
        let (inc, squared) = tokio::join!(counter.increment(5), square_of(&bcalc, bcalc.add(1, 2)));
        assert_eq!((inc.unwrap(), squared.unwrap()), (15, 9));
        assert_eq!(batch.closed().await.kind(), ErrorKind::Disconnected);

        let url = format!("http://{addr}/rpc");
        let body = "[\"push\",[\"pipeline\",0,[\"square\"],[7]]]\n[\"pull\",1]";
        assert_eq!(
            status_of(&url, Method::POST, body).await,
            (StatusCode::OK, "[\"resolve\",1,49]".to_owned())
        );
        for method in [Method::PUT, Method::GET, Method::DELETE] {
            let (status, _) = status_of(&url, method.clone(), "").await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        }
        let (status, _) = status_of(&url, Method::POST, "[\"pull\",1]\n").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);

        // The WebSocket session outlived all of that.
        assert_eq!(calc.square(5).await.unwrap(), 25);
        ws.close();
    })
    .await;
}

#[tokio::test]
async fn axum_sockets_close_with_code_3000_and_the_reason() {
    within_time(async {
        let addr = start_app(Router::new().route("/rpc", rpc_route(calc_main))).await;
        let (mut raw, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/rpc"))
            .await
            .unwrap();
        raw.send(Message::text("[\"bogus\",1]")).await.unwrap();
        let abort = raw.next().await.unwrap().unwrap();
        assert!(
            abort.to_text().unwrap().starts_with("[\"abort\""),
            "{abort:?}"
        );
        match raw.next().await.unwrap().unwrap() {
            Message::Close(Some(close)) => {
                assert_eq!(u16::from(close.code), 3000);
                assert!(
                    close.reason.starts_with("bad RPC message"),
                    "{}",
                    close.reason
                );
            }
            other => panic!("expected a close frame, got {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn a_client_close_completes_the_handshake_with_the_axum_session() {
    within_time(async {
        let addr = start_app(Router::new().route("/rpc", rpc_route(calc_main))).await;
        let (mut raw, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/rpc"))
            .await
            .unwrap();
        raw.send(Message::text("[\"push\",[\"pipeline\",0,[\"add\"],[2,3]]]"))
            .await
            .unwrap();
        raw.send(Message::text("[\"pull\",1]")).await.unwrap();
        assert_eq!(
            raw.next().await.unwrap().unwrap(),
            Message::text("[\"resolve\",1,5]")
        );
        // The server session answers a peer close by completing the close handshake.
        raw.close(None).await.unwrap();
        assert_eq!(raw.next().await.unwrap().unwrap(), Message::Close(None));
        assert!(raw.next().await.is_none());
    })
    .await;
}

#[tokio::test]
async fn the_route_enforces_its_own_limits() {
    within_time(async {
        let config = HttpConfig::default().with_max_body_bytes(32);
        let addr = start_app(Router::new().route("/rpc", rpc_route_with(calc_main, config))).await;
        let url = format!("http://{addr}/rpc");
        let body = "[\"push\",[\"pipeline\",0,[\"square\"],[7]]]\n[\"pull\",1]";
        let (status, _) = status_of(&url, Method::POST, body).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        let (status, body) = status_of(&url, Method::POST, "").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    })
    .await;
}
