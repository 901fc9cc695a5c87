#![cfg(feature = "websocket")]

mod calc;

use calc::{CalcClient, calc_main, settles_to_initial_tables, square_of, within_time};
use futures::{SinkExt, StreamExt};
use rpc_core::codec::Json;
use rpc_core::{ErrorKind, Frame, RpcError, Session};
use rpc_transports::FramingConfig;
use rpc_transports::websocket::{self, tokio_tungstenite};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// Serves one WebSocket connection with a `Calc` session; returns its URL and the session.
async fn calc_server() -> (String, oneshot::Receiver<Session>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/rpc", listener.local_addr().unwrap());
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let transport = websocket::accept(tcp).await.unwrap();
        let session = Session::builder()
            .codec(Json)
            .main(calc_main())
            .start(transport);
        let _ = tx.send(session);
    });
    (url, rx)
}

async fn calc_client(url: &str) -> Session {
    let transport = websocket::connect(url).await.unwrap();
    Session::builder().codec(Json).start(transport)
}

#[tokio::test]
async fn calls_capabilities_and_errors_then_a_clean_close() {
    within_time(async {
        let (url, server) = calc_server().await;
        let client = calc_client(&url).await;
        let server = server.await.unwrap();
        let calc: CalcClient = client.main_as();

        assert_eq!(calc.add(1, 2).await.unwrap(), 3);
        assert_eq!(square_of(&calc, calc.add(2, 3)).await.unwrap(), 25);

        let counter = calc.make_counter(10).await.unwrap();
        assert_eq!(counter.increment(5).await.unwrap(), 15);
        assert_eq!(counter.increment(1).await.unwrap(), 16);
        // Pipelined: a call on a capability that has not arrived yet.
        assert_eq!(calc.make_counter(1).increment(2).await.unwrap(), 3);

        let error = calc.throw_error("boom").await.unwrap_err();
        assert_eq!(error.name(), "RangeError");
        assert_eq!(error.message(), "boom");

        drop(counter);
        settles_to_initial_tables(&client).await;
        settles_to_initial_tables(&server).await;

        client.close();
        let why = server.closed().await;
        assert_eq!(why.kind(), ErrorKind::Disconnected, "{why}");
        assert!(why.message().contains("3000"), "{why}");
        assert!(why.message().contains("the session was closed"), "{why}");
        client.closed().await;
        let after = calc.add(1, 1).await.unwrap_err();
        assert_eq!(after.kind(), ErrorKind::Disconnected, "{after}");
    })
    .await;
}

#[tokio::test]
async fn an_abort_reaches_the_peer_with_its_reason() {
    within_time(async {
        let (url, server) = calc_server().await;
        let client = calc_client(&url).await;
        let server = server.await.unwrap();
        let calc: CalcClient = client.main_as();
        assert_eq!(calc.square(4).await.unwrap(), 16);

        client.abort(RpcError::error("bye"));
        let why = server.closed().await;
        assert!(why.message().contains("bye"), "{why}");
        let ours = client.closed().await;
        assert!(ours.message().contains("bye"), "{ours}");
    })
    .await;
}

#[tokio::test]
async fn the_server_aborting_breaks_the_client_too() {
    within_time(async {
        let (url, server) = calc_server().await;
        let client = calc_client(&url).await;
        let server = server.await.unwrap();

        server.abort(RpcError::error("server going away"));
        let why = client.closed().await;
        assert!(why.message().contains("server going away"), "{why}");
        let calc: CalcClient = client.main_as();
        assert!(calc.add(1, 1).await.is_err());
    })
    .await;
}

#[tokio::test]
async fn wire_level_frames_match_capnweb() {
    within_time(async {
        let (url, _server) = calc_server().await;
        let (mut raw, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .unwrap();

        raw.send(Message::text(r#"["push",["pipeline",0,["square"],[7]]]"#))
            .await
            .unwrap();
        raw.send(Message::text(r#"["pull",1]"#)).await.unwrap();
        assert_eq!(
            raw.next().await.unwrap().unwrap(),
            Message::text(r#"["resolve",1,49]"#)
        );

        // A ping is answered by the transport and never reaches the session.
        raw.send(Message::Ping("are you there".into()))
            .await
            .unwrap();
        assert_eq!(
            raw.next().await.unwrap().unwrap(),
            Message::Pong("are you there".into())
        );

        // A protocol error: the server sends an abort message, then closes with 3000 and the
        // message cut to 123 bytes.
        let junk = format!(r#"["bogus","{}"]"#, "é".repeat(100));
        raw.send(Message::text(junk)).await.unwrap();
        let abort = raw.next().await.unwrap().unwrap();
        let abort = abort.to_text().unwrap();
        assert!(
            abort.starts_with(r#"["abort",["error","Error","bad RPC message"#),
            "{abort}"
        );
        match raw.next().await.unwrap().unwrap() {
            Message::Close(Some(close)) => {
                assert_eq!(u16::from(close.code), 3000);
                assert!(
                    close.reason.starts_with("bad RPC message"),
                    "{}",
                    close.reason
                );
                assert!(close.reason.len() <= 123 && close.reason.len() > 118);
            }
            other => panic!("expected a close frame, got {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn peer_close_frames_are_yielded_with_code_and_reason() {
    within_time(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut conn = websocket::accept(tcp).await.unwrap();
            let mut seen = Vec::new();
            while let Some(frame) = conn.next().await {
                seen.push(frame.unwrap());
            }
            seen
        });

        let mut client = websocket::connect(&url).await.unwrap();
        client.send(Frame::Text("text".into())).await.unwrap();
        client
            .send(Frame::Binary(vec![0u8, 159, 146, 150].into()))
            .await
            .unwrap();
        // Closing the sink without a Close frame says "normal closure".
        client.close().await.unwrap();
        assert_eq!(
            server.await.unwrap(),
            vec![
                Frame::Text("text".into()),
                Frame::Binary(vec![0u8, 159, 146, 150].into()),
                Frame::Close("1000 ".into()),
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn close_frames_carry_code_3000_and_only_the_first_counts() {
    within_time(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut conn = websocket::accept(tcp).await.unwrap();
            conn.send(Frame::Close("x".repeat(300))).await.unwrap();
            // A second close (a session closing its sink afterwards) sends nothing more.
            conn.send(Frame::Close("again".into())).await.unwrap();
            conn.close().await.unwrap();
        });
        let mut client = websocket::connect(&url).await.unwrap();
        let close = client.next().await.unwrap().unwrap();
        assert_eq!(close, Frame::Close(format!("3000 {}", "x".repeat(123))));
        assert!(client.next().await.is_none());
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn messages_over_the_frame_limit_fail_the_stream() {
    within_time(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let config = FramingConfig::default().with_max_frame_bytes(1024);
            let mut conn = websocket::accept_with(tcp, config).await.unwrap();
            let small = conn.next().await.unwrap().unwrap();
            let big = conn.next().await.unwrap().unwrap_err();
            (small, big)
        });
        let mut client = websocket::connect(&url).await.unwrap();
        client.send(Frame::Text("a".repeat(1024))).await.unwrap();
        // The server may drop the connection while the big message is still going out.
        let _ = client.send(Frame::Text("a".repeat(1025))).await;
        let (small, big) = server.await.unwrap();
        assert_eq!(small, Frame::Text("a".repeat(1024)));
        assert_eq!(big.kind(), std::io::ErrorKind::InvalidData, "{big}");
    })
    .await;
}

#[tokio::test]
async fn a_peer_close_completes_the_close_handshake() {
    within_time(async {
        let (url, server) = calc_server().await;
        let (mut raw, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .unwrap();
        let server = server.await.unwrap();
        raw.close(Some(CloseFrame {
            code: CloseCode::from(3000),
            reason: "bye".into(),
        }))
        .await
        .unwrap();
        let why = server.closed().await;
        assert_eq!(why.message(), "the peer closed the connection: 3000 bye");
        // The server echoes the close (RFC 6455) rather than dropping the connection.
        match raw.next().await.unwrap().unwrap() {
            Message::Close(Some(close)) => assert_eq!(u16::from(close.code), 3000),
            other => panic!("expected the close echo, got {other:?}"),
        }
        assert!(raw.next().await.is_none());
    })
    .await;
}
