//! Callbacks: functions passed by reference and called back by the peer.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use rpc_core::{Callback, ErrorKind, RpcError};
use tests::{CalculatorClient, INITIAL, calculator_pair, codecs, eventually, wait_for_stats};

#[tokio::test]
async fn a_callback_is_called_during_the_call() {
    for codec in codecs() {
        let (server, client, _) = calculator_pair(&codec);
        let calc: CalculatorClient = client.main_as();
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let cb = Callback::new(move |x: i64| {
            seen.fetch_add(1, Ordering::SeqCst);
            async move { Ok(x * 10) }
        });
        assert_eq!(calc.call_back(cb.clone(), 4).await.unwrap(), 40);
        assert_eq!(calc.call_back(cb, 5).await.unwrap(), 50);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        drop(calc);
        wait_for_stats(&client, INITIAL).await;
        wait_for_stats(&server, INITIAL).await;
    }
}

#[tokio::test]
async fn a_failing_callback_propagates_its_error_to_the_original_caller() {
    let (_server, client, _) = calculator_pair(&codecs()[0]);
    let calc: CalculatorClient = client.main_as();
    let cb = Callback::new(|_: i64| async move {
        Err::<i64, _>(RpcError::type_error("bad callback").with_prop("code", "E_CB"))
    });
    let err = calc.call_back(cb, 1).await.unwrap_err();
    assert_eq!(err.name(), "TypeError");
    assert_eq!(err.message(), "bad callback");
    assert_eq!(err.kind(), ErrorKind::Application);
}

#[tokio::test]
async fn the_server_pushes_after_the_call_returned_many_times_then_releases() {
    for codec in codecs() {
        let (server, client, imp) = calculator_pair(&codec);
        let calc: CalculatorClient = client.main_as();
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        let cb = Callback::new(move |i: i64| {
            sink.lock().unwrap().push(i);
            async { Ok(()) }
        });
        // `subscribe` returns before any callback runs.
        assert_eq!(calc.subscribe(cb, 200).await.unwrap(), 200);
        eventually("200 callbacks", || got.lock().unwrap().len() == 200).await;
        assert_eq!(*got.lock().unwrap(), (0..200).collect::<Vec<i64>>());
        eventually("deliveries counted", || {
            imp.observed.delivered.load(Ordering::SeqCst) == 200
        })
        .await;
        // The server dropped its reference: the callback's export is released.
        drop(calc);
        wait_for_stats(&client, INITIAL).await;
        wait_for_stats(&server, INITIAL).await;
    }
}
