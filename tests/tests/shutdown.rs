//! Graceful shutdown: the server stops accepting connections and calls, lets the calls in flight
//! finish and sends their results, then closes; what outlives the grace period is aborted.

use std::time::Duration;

use rpc_core::{ErrorKind, Server, Session};
use rpc_transports::tcp;
use tests::{CalculatorClient, CalculatorImpl, CalculatorServer};

async fn start_server() -> (Server, std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tcp::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Server::new();
    let serving = tokio::spawn({
        let server = server.clone();
        async move {
            server
                .serve(listener.incoming(), || {
                    Session::builder().main(CalculatorServer::new(CalculatorImpl::default()))
                })
                .await
        }
    });
    (server, addr, serving)
}

#[tokio::test]
async fn no_accepted_call_loses_its_result() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let (server, addr, serving) = start_server().await;
        let mut clients = Vec::new();
        for _ in 0..3 {
            clients.push(Session::builder().start(tcp::connect(addr).await.unwrap()));
        }
        // 60 calls in flight, half of them not yet awaited (so not yet pulled).
        let mut calls = Vec::new();
        for client in &clients {
            let calc: CalculatorClient = client.main_as();
            for i in 0..20 {
                calls.push(calc.slow(200 + i));
            }
        }
        let awaited: Vec<_> = calls
            .drain(..30)
            .map(|c| tokio::spawn(async move { c.await }))
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(server.connections(), 3);

        let shutdown = tokio::spawn({
            let server = server.clone();
            async move { server.shutdown(Duration::from_secs(10)).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        // A call arriving during the shutdown is refused, clearly.
        let late = clients[0].main_as::<CalculatorClient>().add(1, 2).await;
        assert!(late.is_err(), "a call during shutdown must not run");

        for (i, call) in awaited.into_iter().enumerate() {
            let ms = call.await.unwrap().unwrap();
            assert_eq!(ms, 200 + (i % 20) as u64);
        }
        for (i, call) in calls.into_iter().enumerate() {
            assert_eq!(call.await.unwrap(), 200 + ((i + 30) % 20) as u64);
        }
        shutdown.await.unwrap();
        serving.await.unwrap();
        assert_eq!(server.connections(), 0);
        for client in &clients {
            assert_eq!(client.closed().await.kind(), ErrorKind::Disconnected);
        }
    })
    .await
    .expect("within 20 s");
}

#[tokio::test]
async fn calls_outliving_the_grace_period_are_aborted() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let (server, addr, _serving) = start_server().await;
        let client = Session::builder().start(tcp::connect(addr).await.unwrap());
        let calc: CalculatorClient = client.main_as();
        let long = calc.slow(60_000);
        tokio::time::sleep(Duration::from_millis(50)).await;
        server.shutdown(Duration::from_millis(200)).await;
        let err = long.await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Aborted, "{err}");
        assert!(err.message().contains("grace period"), "{err}");
    })
    .await
    .expect("within 20 s");
}

#[tokio::test]
async fn a_shut_down_server_accepts_no_new_connections() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let (server, addr, serving) = start_server().await;
        server.shutdown(Duration::from_secs(1)).await;
        serving.await.unwrap();
        // The listener is gone with the serve loop: connecting fails, or the connection
        // is never served.
        if let Ok(transport) = tcp::connect(addr).await {
            let client = Session::builder().start(transport);
            let calc: CalculatorClient = client.main_as();
            let res = tokio::time::timeout(Duration::from_millis(500), calc.add(1, 2)).await;
            assert!(!matches!(res, Ok(Ok(_))), "a new connection was served");
        }
    })
    .await
    .expect("within 20 s");
}
