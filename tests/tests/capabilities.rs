//! Capabilities: objects returned, passed back to their owner, and handed on to a third peer.

use std::sync::atomic::Ordering;

use rpc_core::TypedStub;
use tests::{
    CalculatorClient, CalculatorImpl, CalculatorServer, Counter, CounterClient, CounterImpl,
    INITIAL, Observed, calculator_pair, codecs, connect_with, wait_for_stats,
};

#[tokio::test]
async fn a_returned_object_is_used_then_released() {
    for codec in codecs() {
        let (server, client, imp) = calculator_pair(&codec);
        let calc: CalculatorClient = client.main_as();
        let counter = calc.make_counter(10).await.unwrap();
        assert_eq!(counter.increment(5).await.unwrap(), 15);
        assert_eq!(counter.increment(1).await.unwrap(), 16);
        assert_eq!(counter.value().await.unwrap(), 16);
        assert_eq!(imp.observed.live_counters.load(Ordering::SeqCst), 1);
        // The counter is the one import beyond main.
        wait_for_stats(
            &client,
            rpc_core::SessionStats {
                imports: 2,
                exports: 1,
            },
        )
        .await;
        drop(counter);
        wait_for_stats(&server, INITIAL).await;
        wait_for_stats(&client, INITIAL).await;
        assert_eq!(imp.observed.live_counters.load(Ordering::SeqCst), 0);
    }
}

#[tokio::test]
async fn an_object_passed_back_to_its_owner_is_its_own_object() {
    for codec in codecs() {
        let (server, client, _) = calculator_pair(&codec);
        let calc: CalculatorClient = client.main_as();
        let counter = calc.make_counter(1).await.unwrap();
        assert!(!counter.as_stub().is_local());
        // The server sees its own local counter, not a proxy of a proxy.
        assert!(calc.is_own_counter(counter.clone()).await.unwrap());
        assert_eq!(calc.increment_counter(counter.clone(), 5).await.unwrap(), 6);
        // A client-side counter is not the server's own.
        let mine = CounterClient::local(CounterImpl::new(0, Default::default()));
        assert!(!calc.is_own_counter(mine.clone()).await.unwrap());
        assert_eq!(calc.increment_counter(mine, 2).await.unwrap(), 2);
        drop((counter, calc));
        wait_for_stats(&server, INITIAL).await;
        wait_for_stats(&client, INITIAL).await;
    }
}

#[tokio::test]
async fn typed_stubs_and_local_objects_share_one_trait() {
    async fn bump(c: &impl Counter) -> i64 {
        c.increment(3).await.unwrap()
    }
    let (_server, client, _) = calculator_pair(&codecs()[0]);
    let calc: CalculatorClient = client.main_as();
    let remote = calc.make_counter(0).await.unwrap();
    let local = CounterImpl::new(0, Default::default());
    assert_eq!(bump(&remote).await, 3);
    assert_eq!(bump(&local).await, 3);
}

/// A serves a calculator; B is A's client and serves A's main onward to C. C's calls go C→B→A,
/// and C's own objects passed to A go A→B→C.
#[tokio::test]
async fn a_capability_travels_from_a_through_b_to_c() {
    for codec in codecs() {
        let a_impl = CalculatorImpl::default();
        let (ab_a, ab_b) = rpc_transports::memory::pair();
        let (a, b_to_a) = connect_with(&codec, CalculatorServer::new(a_impl.clone()), ab_a, ab_b);
        let a_main: CalculatorClient = b_to_a.main_as();

        let (bc_b, bc_c) = rpc_transports::memory::pair();
        let (b_for_c, c) = connect_with(&codec, a_main.clone(), bc_b, bc_c);
        let from_c: CalculatorClient = c.main_as();

        // C creates a counter at A and uses it.
        let counter = from_c.make_counter(100).await.unwrap();
        assert_eq!(counter.increment(1).await.unwrap(), 101);
        assert_eq!(a_impl.observed.live_counters.load(Ordering::SeqCst), 1);

        // C passes its own counter to A, through B; A's call reaches C.
        let c_observed = std::sync::Arc::new(Observed::default());
        let c_counter = CounterClient::local(CounterImpl::new(7, c_observed.clone()));
        assert_eq!(from_c.increment_counter(c_counter, 3).await.unwrap(), 10);

        // And A's counter, sent back from C through B, is still A's own object at A.
        assert!(from_c.is_own_counter(counter.clone()).await.unwrap());

        drop((counter, from_c, a_main));
        for s in [&a, &b_to_a, &b_for_c, &c] {
            wait_for_stats(s, INITIAL).await;
        }
        assert_eq!(a_impl.observed.live_counters.load(Ordering::SeqCst), 0);
        assert_eq!(c_observed.live_counters.load(Ordering::SeqCst), 0);
    }
}
