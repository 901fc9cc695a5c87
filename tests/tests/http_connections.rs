//! The plain hyper entry point (`http_batch::serve_with`) bounds its connections too.

use std::time::Duration;

use rpc_core::{ErrorKind, Session, codec::Json};
use rpc_transports::{http_batch, websocket};
use tests::{CalculatorClient, CalculatorImpl, CalculatorServer};

async fn ws_client(port: u16) -> Option<Session> {
    let transport = websocket::connect(&format!("ws://127.0.0.1:{port}/rpc"))
        .await
        .ok()?;
    Some(Session::builder().codec(Json).start(transport))
}

async fn works(session: &Session) -> bool {
    let calc: CalculatorClient = session.main_as();
    matches!(
        tokio::time::timeout(Duration::from_secs(2), calc.add(1, 2)).await,
        Ok(Ok(3))
    )
}

#[tokio::test]
async fn a_connection_over_the_limit_is_closed_and_one_leaving_frees_a_place() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let config = http_batch::HttpConfig::default().with_max_connections(2);
        tokio::spawn(http_batch::serve_with(
            listener,
            || CalculatorServer::new(CalculatorImpl::default()),
            config,
        ));
        let first = ws_client(port).await.expect("first connects");
        let second = ws_client(port).await.expect("second connects");
        assert!(works(&first).await && works(&second).await);

        // The third is closed at once: its handshake or its first call fails.
        if let Some(third) = ws_client(port).await {
            assert!(!works(&third).await, "a third connection was served");
            assert_eq!(third.closed().await.kind(), ErrorKind::Disconnected);
        }

        first.close();
        first.closed().await;
        let mut replaced = false;
        for _ in 0..50 {
            if let Some(next) = ws_client(port).await
                && works(&next).await
            {
                replaced = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(replaced, "a place freed by a leaving client is taken again");
        assert!(works(&second).await);
    })
    .await
    .expect("within 20 s");
}
