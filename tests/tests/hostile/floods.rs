//! Volume attacks: results pushed by the ten thousand and never pulled, and frames larger
//! than the server accepts.

use rpc_core::{Frame, Limits, Server};
use rpc_transports::FramingConfig;
use tests::hostile::{Received, TestServer, Wire, push_of_len};

#[tokio::test]
async fn twenty_thousand_unpulled_pushes_abort_naming_max_exports() {
    for wire in [Wire::Json, Wire::Auto] {
        let server = TestServer::tcp(wire).await;
        let mut raw = server.raw().await;
        let push = Frame::Text(r#"["push",["pipeline",0,["square"],[1]]]"#.into());
        let mut sent = 0;
        for _ in 0..20_000 {
            // The server aborts at the 16,384th entry (main included) and closes: later writes
            // may fail, which is fine.
            if raw.send_frame(push.clone()).await.is_err() {
                break;
            }
            sent += 1;
        }
        assert!(
            sent >= Limits::default().max_exports - 1,
            "sent only {sent}"
        );
        raw.expect_abort("max_exports limit exceeded").await;
        drop(raw);
        server.assert_healthy("20,000 unpulled pushes").await;
    }
}

/// The TCP framing and the session both allow 64 KiB: the transport refuses the oversize
/// frame before the session sees it, and the connection just ends.
#[tokio::test]
async fn an_oversize_frame_is_refused_by_the_tcp_framing() {
    let limit = 64 * 1024;
    let limits = Limits {
        max_frame_bytes: limit,
        ..Limits::default()
    };
    let framing = FramingConfig::from_limits(&limits);
    let server = TestServer::tcp_with(Wire::Json, Server::new(), limits, framing).await;
    let mut raw = server.raw().await;
    // The server may close before it has read the whole frame; a failed send is fine.
    let _ = raw
        .send_frame(Frame::Text(push_of_len(limit + 36 * 1024)))
        .await;
    let seen = raw.expect_closed_without_abort().await;
    assert!(matches!(
        seen.last(),
        Some(Received::End | Received::Failed(_))
    ));
    drop(raw);
    server.assert_healthy("oversize frame, TCP framing").await;
}

/// The framing allows more than the session: the session refuses the frame, naming its limit.
#[tokio::test]
async fn an_oversize_frame_aborts_naming_max_frame_bytes() {
    let limit = 64 * 1024;
    let limits = Limits {
        max_frame_bytes: limit,
        ..Limits::default()
    };
    let framing = FramingConfig::default().with_max_frame_bytes(2 * limit);
    for wire in [Wire::Json, Wire::Auto] {
        let server = TestServer::tcp_with(wire, Server::new(), limits.clone(), framing).await;
        let mut raw = server.raw().await;
        raw.send(&push_of_len(limit + 1)).await;
        raw.expect_abort("max_frame_bytes limit exceeded").await;
        drop(raw);
        server.assert_healthy("oversize frame, session limit").await;
    }
}

/// Over WebSocket the message limit is tungstenite's: the connection is closed with a close
/// frame (code 3000, as capnweb), and no abort can be sent on a socket that failed.
#[tokio::test]
async fn an_oversize_websocket_message_closes_the_connection() {
    let limit = 64 * 1024;
    let limits = Limits {
        max_frame_bytes: limit,
        ..Limits::default()
    };
    let framing = FramingConfig::from_limits(&limits);
    let server = TestServer::websocket_with(Wire::Json, limits, framing).await;
    let mut raw = server.raw().await;
    let _ = raw
        .send_frame(Frame::Text(push_of_len(limit + 36 * 1024)))
        .await;
    let seen = raw.expect_closed_without_abort().await;
    assert!(!seen.is_empty());
    drop(raw);
    server.assert_healthy("oversize WebSocket message").await;
}
