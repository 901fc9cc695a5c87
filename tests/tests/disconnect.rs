//! Disconnect: when the transport goes, everything pending fails at once and stubs break.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use rpc_core::{ErrorKind, RpcError};
use tests::{CalculatorClient, calculator_pair, codecs, eventually};

#[tokio::test]
async fn pending_calls_fail_at_once_and_stubs_report_broken() {
    for codec in codecs() {
        let (server, client, _) = calculator_pair(&codec);
        let calc: CalculatorClient = client.main_as();
        let counter = calc.make_counter(1).await.unwrap();
        let fired = Arc::new(AtomicUsize::new(0));
        let (f1, f2) = (fired.clone(), fired.clone());
        client.on_broken(move |e| {
            assert_eq!(e.kind(), ErrorKind::Disconnected);
            f1.fetch_add(1, Ordering::SeqCst);
        });
        rpc_core::TypedStub::as_stub(&counter).on_broken(move |_| {
            f2.fetch_add(1, Ordering::SeqCst);
        });

        let slow = tokio::spawn({
            let calc = calc.clone();
            async move { calc.slow(60_000).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        // The connection drops.
        server.close();

        let err = tokio::time::timeout(Duration::from_secs(2), slow)
            .await
            .expect("failed at once, not after the call's 60 s")
            .unwrap()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Disconnected, "{err}");
        eventually("on_broken callbacks", || fired.load(Ordering::SeqCst) == 2).await;

        let stub = rpc_core::TypedStub::as_stub(&counter);
        assert!(stub.is_broken());
        assert_eq!(stub.broken_error().unwrap().kind(), ErrorKind::Disconnected);
        let err = counter.increment(1).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Disconnected);
        assert!(client.broken_error().is_some());
        assert_eq!(client.closed().await.kind(), ErrorKind::Disconnected);
        // A handler registered after the break runs at once.
        let late = Arc::new(AtomicUsize::new(0));
        let l = late.clone();
        client.on_broken(move |_| {
            l.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(late.load(Ordering::SeqCst), 1);
    }
}

#[tokio::test]
async fn an_abort_reaches_the_peer_with_its_reason() {
    for codec in codecs() {
        let (server, client, _) = calculator_pair(&codec);
        let calc: CalculatorClient = client.main_as();
        let pending = calc.slow(60_000);
        tokio::time::sleep(Duration::from_millis(20)).await;
        server.abort(RpcError::error("shutting down for maintenance"));
        let err = pending.await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Aborted);
        assert_eq!(err.message(), "shutting down for maintenance");
        assert_eq!(server.closed().await.kind(), ErrorKind::Aborted);
    }
}
