//! Keepalive: a peer that goes silent is detected within the configured interval, and every
//! pending call then fails with the disconnect error; a healthy idle connection stays up.

use std::time::{Duration, Instant};

use rpc_core::{ErrorKind, Session};
use rpc_transports::tcp;
use tests::{CalculatorClient, CalculatorImpl, CalculatorServer};

#[tokio::test]
async fn a_silent_peer_is_detected_and_pending_calls_fail() {
    tokio::time::timeout(Duration::from_secs(10), async {
        // A "server" that accepts and then never reads or answers: a dead peer.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hold = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(socket);
        });
        let client = Session::builder()
            .keepalive(Some(Duration::from_millis(200)))
            .start(tcp::connect(addr).await.unwrap());
        let calc: CalculatorClient = client.main_as();
        let start = Instant::now();
        let err = calc.add(1, 2).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Disconnected, "{err}");
        assert!(err.message().contains("keepalive"), "{err}");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(client.closed().await.kind(), ErrorKind::Disconnected);
        hold.abort();
    })
    .await
    .expect("within 10 s");
}

#[tokio::test]
async fn an_idle_healthy_connection_stays_up() {
    tokio::time::timeout(Duration::from_secs(10), async {
        let listener = tcp::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(rpc_core::serve(listener.incoming(), || {
            Session::builder()
                .keepalive(Some(Duration::from_millis(100)))
                .main(CalculatorServer::new(CalculatorImpl::default()))
        }));
        let client = Session::builder()
            .keepalive(Some(Duration::from_millis(100)))
            .start(tcp::connect(addr).await.unwrap());
        let calc: CalculatorClient = client.main_as();
        assert_eq!(calc.add(1, 2).await.unwrap(), 3);
        // Ten keepalive intervals of silence from the application.
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(client.broken_error().is_none());
        assert_eq!(calc.add(2, 3).await.unwrap(), 5);
        tests::wait_for_stats(&client, tests::INITIAL).await;
    })
    .await
    .expect("within 10 s");
}
