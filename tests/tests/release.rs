//! Release: dropping stubs and promises frees the peer's table entries and objects.

use std::sync::atomic::Ordering;

use rpc_core::{Callback, SessionStats, Value};
use tests::{CalculatorClient, INITIAL, calculator_pair, codecs, wait_for_stats};

#[tokio::test]
async fn a_fresh_session_reports_its_main_objects() {
    let (server, client, _) = calculator_pair(&codecs()[0]);
    assert_eq!(server.stats(), INITIAL);
    assert_eq!(client.stats(), INITIAL);
}

#[tokio::test]
async fn held_capabilities_show_in_the_tables_and_leave_when_dropped() {
    for codec in codecs() {
        let (server, client, imp) = calculator_pair(&codec);
        let calc: CalculatorClient = client.main_as();
        let one = calc.make_counter(1).await.unwrap();
        let two = calc.make_counter(2).await.unwrap();
        let both = SessionStats {
            imports: 3,
            exports: 1,
        };
        wait_for_stats(&client, both).await;
        wait_for_stats(
            &server,
            SessionStats {
                imports: 1,
                exports: 3,
            },
        )
        .await;
        drop(one);
        wait_for_stats(
            &server,
            SessionStats {
                imports: 1,
                exports: 2,
            },
        )
        .await;
        assert_eq!(imp.observed.live_counters.load(Ordering::SeqCst), 1);
        drop(two);
        wait_for_stats(&server, INITIAL).await;
        wait_for_stats(&client, INITIAL).await;
        assert_eq!(imp.observed.live_counters.load(Ordering::SeqCst), 0);
    }
}

#[tokio::test]
async fn dropping_an_unawaited_promise_releases_it_and_cancels_the_call() {
    for codec in codecs() {
        let (server, client, _) = calculator_pair(&codec);
        let calc: CalculatorClient = client.main_as();
        let pending = calc.slow(60_000);
        wait_for_stats(
            &server,
            SessionStats {
                imports: 1,
                exports: 2,
            },
        )
        .await;
        drop(pending);
        wait_for_stats(&server, INITIAL).await;
        wait_for_stats(&client, INITIAL).await;
        // The session is still healthy.
        assert_eq!(calc.add(1, 2).await.unwrap(), 3);
    }
}

#[tokio::test]
async fn a_mixed_workload_leaves_both_tables_as_they_started() {
    for codec in codecs() {
        let (server, client, imp) = calculator_pair(&codec);
        let calc: CalculatorClient = client.main_as();
        for i in 0..20 {
            assert_eq!(calc.add(i, 1).await.unwrap(), i + 1);
            let counter = calc.make_counter(i).await.unwrap();
            assert_eq!(
                calc.increment_counter(counter.clone(), 1).await.unwrap(),
                i + 1
            );
            assert_eq!(calc.make_counter(i).increment(2).await.unwrap(), i + 2);
            let cb = Callback::new(|x: i64| async move { Ok(x + 1) });
            assert_eq!(calc.call_back(cb, i).await.unwrap(), i + 1);
            let _ = calc.explode().await;
            let _ = client
                .main()
                .call("getUser", vec![Value::from(i)])
                .get("name")
                .await;
            let unawaited = calc.slow(1);
            drop(unawaited);
        }
        drop(calc);
        wait_for_stats(&client, INITIAL).await;
        wait_for_stats(&server, INITIAL).await;
        assert_eq!(imp.observed.live_counters.load(Ordering::SeqCst), 0);
    }
}
