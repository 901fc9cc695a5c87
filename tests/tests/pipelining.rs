//! Promise pipelining, proved by round trips: each direction of the link adds a fixed latency
//! on a paused clock, so elapsed virtual time counts round trips exactly.

use std::{sync::Arc, time::Duration};

use rpc_core::{Session, Value, codec::Codec};
use rpc_transports::testing::{FrameCounter, FrameCounts, Latency};
use tests::{CalculatorClient, CalculatorImpl, CalculatorServer, codecs};
use tokio::time::Instant;

const ONE_WAY: Duration = Duration::from_millis(100);
const RTT: Duration = Duration::from_millis(200);

/// A calculator server and a client over a link with `ONE_WAY` latency in each direction.
fn slow_link(codec: &Arc<dyn Codec>) -> (Session, Session, FrameCounts) {
    let (a, b) = rpc_transports::memory::pair();
    let client_side = FrameCounter::new(Latency::new(b, ONE_WAY));
    let counts = client_side.counts();
    let server = tests::builder(codec)
        .main(CalculatorServer::new(CalculatorImpl::default()))
        .start(Latency::new(a, ONE_WAY));
    let client = tests::builder(codec).start(client_side);
    (server, client, counts)
}

/// How many round trips `elapsed` is.
fn round_trips(elapsed: Duration) -> u32 {
    assert!(elapsed >= RTT, "faster than one round trip: {elapsed:?}");
    (elapsed.as_millis() / RTT.as_millis()) as u32
}

#[tokio::test(start_paused = true)]
async fn a_call_on_a_returned_capability_costs_one_round_trip() {
    for codec in codecs() {
        let (_server, client, counts) = slow_link(&codec);
        let calc: CalculatorClient = client.main_as();

        let start = Instant::now();
        let value = calc.make_counter(5).increment(1).await.unwrap();
        assert_eq!(value, 6);
        assert_eq!(round_trips(start.elapsed()), 1, "{}", codec.name());
        // The client needed exactly one frame back: the increment's result.
        assert_eq!(counts.received(), 1);

        // Control: awaiting the capability first costs two.
        let start = Instant::now();
        let counter = calc.make_counter(5).await.unwrap();
        assert_eq!(counter.increment(1).await.unwrap(), 6);
        assert_eq!(round_trips(start.elapsed()), 2);
    }
}

#[tokio::test(start_paused = true)]
async fn a_pending_result_passed_as_an_argument_costs_one_round_trip() {
    for codec in codecs() {
        let (_server, client, counts) = slow_link(&codec);
        let calc: CalculatorClient = client.main_as();
        let start = Instant::now();
        // `add` is sent and `square` names its result before `add` has resolved.
        assert_eq!(calc.square(calc.add(1, 2)).await.unwrap(), 9);
        assert_eq!(round_trips(start.elapsed()), 1);
        assert_eq!(counts.received(), 1, "only square's result came back");
    }
}

#[tokio::test(start_paused = true)]
async fn a_property_path_on_a_pending_plain_result_costs_one_round_trip() {
    for codec in codecs() {
        let (_server, client, _) = slow_link(&codec);
        let start = Instant::now();
        let bio = client
            .main()
            .call("getUser", vec![Value::from(1)])
            .get("profile")
            .get("bio")
            .await
            .unwrap();
        assert_eq!(bio, Value::from("Bio of user 1"));
        assert_eq!(round_trips(start.elapsed()), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn a_chain_of_five_dependent_calls_costs_one_round_trip() {
    let (_server, client, _) = slow_link(&codecs()[0]);
    let calc: CalculatorClient = client.main_as();
    let start = Instant::now();
    let a = calc.add(1, 1);
    let b = calc.add(a, 1);
    let c = calc.square(b);
    let d = calc.add(c, 1);
    let e = calc.square(d);
    assert_eq!(e.await.unwrap(), 100);
    assert_eq!(round_trips(start.elapsed()), 1);
}

#[tokio::test(start_paused = true)]
async fn a_pipelined_call_on_a_failed_result_fails_with_that_error() {
    let (_server, client, _) = slow_link(&codecs()[0]);
    let calc: CalculatorClient = client.main_as();
    let start = Instant::now();
    let err = client
        .main()
        .call("fail", vec![Value::from("no")])
        .call("anything", vec![])
        .await
        .unwrap_err();
    assert_eq!(err.name(), "RangeError");
    assert_eq!(err.message(), "no");
    assert_eq!(round_trips(start.elapsed()), 1);
    drop(calc);
}
