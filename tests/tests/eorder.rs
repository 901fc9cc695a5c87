//! Ordering and concurrency: calls on one target begin in arrival order, and run concurrently.

use std::time::{Duration, Instant};

use tests::{CalculatorClient, calculator_pair, codecs};

#[tokio::test]
async fn calls_on_one_target_are_delivered_in_arrival_order() {
    for codec in codecs() {
        let (_server, client, imp) = calculator_pair(&codec);
        let calc: CalculatorClient = client.main_as();
        let calls: Vec<_> = (0..200).map(|i| calc.log(format!("{i}"))).collect();
        for call in calls {
            call.await.unwrap();
        }
        let log = imp.observed.log.lock().unwrap().clone();
        assert_eq!(log, (0..200).map(|i| i.to_string()).collect::<Vec<_>>());
    }
}

#[tokio::test]
async fn calls_queued_on_an_unresolved_capability_keep_their_order() {
    for codec in codecs() {
        let (_server, client, _) = calculator_pair(&codec);
        let calc: CalculatorClient = client.main_as();
        let counter = calc.make_counter(0);
        let increments: Vec<_> = (1..=50).map(|i| counter.increment(i)).collect();
        let mut expected = 0;
        for (i, inc) in (1..=50).zip(increments) {
            expected += i;
            assert_eq!(inc.await.unwrap(), expected);
        }
    }
}

#[tokio::test]
async fn a_slow_call_does_not_hold_up_a_fast_one() {
    for codec in codecs() {
        let (_server, client, _) = calculator_pair(&codec);
        let calc: CalculatorClient = client.main_as();
        let slow = calc.slow(3_000);
        let start = Instant::now();
        assert_eq!(calc.add(1, 2).await.unwrap(), 3);
        assert!(start.elapsed() < Duration::from_millis(1_500));
        // Many slow calls run at the same time, not one after another.
        let start = Instant::now();
        let many: Vec<_> = (0..20).map(|_| calc.slow(200)).collect();
        for call in many {
            assert_eq!(call.await.unwrap(), 200);
        }
        assert!(start.elapsed() < Duration::from_millis(2_000));
        drop(slow);
    }
}
