//! Sessions over real transports: TCP on 127.0.0.1, a Unix socket, and a child's stdio.

use std::time::Duration;

use rpc_core::{Session, TypedStub};
use rpc_transports::{stdio, tcp, unix};
use tests::{CalculatorClient, CalculatorImpl, CalculatorServer, INITIAL, wait_for_stats};

async fn exercise(client: &Session) {
    let calc: CalculatorClient = client.main_as();
    assert_eq!(calc.add(20, 22).await.unwrap(), 42);
    assert_eq!(calc.make_counter(1).increment(2).await.unwrap(), 3);
    let cb = rpc_core::Callback::new(|x: i64| async move { Ok(x * 2) });
    assert_eq!(calc.call_back(cb, 21).await.unwrap(), 42);
    drop(calc);
    wait_for_stats(client, INITIAL).await;
}

#[tokio::test]
async fn each_tcp_connection_gets_its_own_session() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let listener = tcp::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let imp = CalculatorImpl::default();
        let served = imp.clone();
        tokio::spawn(rpc_core::serve(listener.incoming(), move || {
            Session::builder().main(CalculatorServer::new(served.clone()))
        }));
        let mut clients = Vec::new();
        for _ in 0..3 {
            let transport = tcp::connect(addr).await.unwrap();
            clients.push(Session::builder().start(transport));
        }
        for client in &clients {
            exercise(client).await;
        }
        // Each connection has its own tables: a counter held on one is not on another.
        let held = clients[0]
            .main_as::<CalculatorClient>()
            .make_counter(5)
            .await
            .unwrap();
        wait_for_stats(&clients[1], INITIAL).await;
        wait_for_stats(
            &clients[0],
            rpc_core::SessionStats {
                imports: 2,
                exports: 1,
            },
        )
        .await;
        drop(held);
        wait_for_stats(&clients[0], INITIAL).await;
    })
    .await
    .expect("within 20 s");
}

#[tokio::test]
async fn a_session_runs_over_a_unix_socket() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let path = std::env::temp_dir().join(format!("capstan-test-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let listener = unix::UnixListener::bind(&path).unwrap();
        tokio::spawn(rpc_core::serve(listener.incoming(), || {
            Session::builder().main(CalculatorServer::new(CalculatorImpl::default()))
        }));
        let client = Session::builder().start(unix::connect(&path).await.unwrap());
        exercise(&client).await;
        let _ = std::fs::remove_file(&path);
    })
    .await
    .expect("within 20 s");
}

#[tokio::test]
async fn a_parent_talks_to_a_child_over_its_stdin_and_stdout() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_stdio-calculator"));
        let (mut child, transport) = stdio::spawn_child(cmd).unwrap();
        let client = Session::builder().start(transport);
        exercise(&client).await;
        assert!(!client.main_as::<CalculatorClient>().as_stub().is_local());
        // Closing our side ends the child's session, and the child exits cleanly.
        client.close();
        let status = child.wait().await.unwrap();
        assert!(status.success(), "child exited with {status}");
    })
    .await
    .expect("within 20 s");
}
