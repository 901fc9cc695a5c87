//! `Server::max_connections` over real TCP on 127.0.0.1.

use rpc_core::{ErrorKind, Limits, Server};
use rpc_transports::FramingConfig;
use tests::{
    CalculatorClient, eventually,
    hostile::{PATIENCE, TestServer, Wire},
};

async fn add(client: &rpc_core::Session) -> Result<i64, rpc_core::RpcError> {
    let calc: CalculatorClient = client.main_as();
    tokio::time::timeout(PATIENCE, calc.add(1, 2))
        .await
        .expect("an answer or a failure in time")
}

#[tokio::test]
async fn a_connection_over_max_connections_is_closed_at_once() {
    let server = TestServer::tcp_with(
        Wire::Auto,
        Server::new().max_connections(2),
        Limits::default(),
        FramingConfig::default(),
    )
    .await;
    let first = server.client().await;
    let second = server.client().await;
    assert_eq!(add(&first).await.unwrap(), 3);
    assert_eq!(add(&second).await.unwrap(), 3);
    assert_eq!(server.server.connections(), 2);

    // The third is accepted by the kernel and closed by the server: its call fails.
    let third = server.client().await;
    let error = add(&third).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Disconnected, "{error}");
    assert_eq!(server.server.connections(), 2);

    // One leaves; a new connection is served again.
    first.close();
    let s = server.server.clone();
    eventually("the first connection to end", || s.connections() == 1).await;
    let fourth = server.client().await;
    assert_eq!(add(&fourth).await.unwrap(), 3);
    assert_eq!(add(&second).await.unwrap(), 3);
}
