//! A call awaited by its only holder before the session task has sent it goes to a Capstan
//! peer as a `stream` call: answered unprompted and forgotten once answered, so no `pull` and
//! no `release` follow it. A result that anything else names, or that someone else holds, is
//! pushed, pulled and released as before; and a caller that gives up still cancels the call.

use std::time::Duration;

use rpc_core::{Session, codec::MsgPack, protocol::Message};
use tests::{
    CalculatorClient, CalculatorImpl, CalculatorServer, CounterClient, INITIAL,
    tap::{Sent, called, tapped_pair},
    wait_for_stats,
};

fn calculator() -> (Session, Session, Sent) {
    let (a, b, sent) = tapped_pair();
    let server = Session::builder()
        .codec(MsgPack)
        .main(CalculatorServer::new(CalculatorImpl::default()))
        .start(a);
    let client = Session::builder().codec(MsgPack).start(b);
    (server, client, sent)
}

fn pushed(sent: &Sent) -> Vec<String> {
    called(&sent.lock().unwrap(), |m| match m {
        Message::Push(e) => Some(e),
        _ => None,
    })
}

fn streamed(sent: &Sent) -> Vec<String> {
    called(&sent.lock().unwrap(), |m| match m {
        Message::Stream(e) => Some(e),
        _ => None,
    })
}

fn pulls_and_releases(sent: &Sent) -> usize {
    let sent = sent.lock().unwrap();
    sent.iter()
        .filter(|m| matches!(m, Message::Pull(_) | Message::Release(..)))
        .count()
}

// The current-thread runtime of `#[tokio::test]` runs the session tasks only when the test
// awaits, so an awaited call is surely still queued when it is awaited.

#[tokio::test]
async fn an_awaited_call_is_one_stream_message() {
    let (server, client, sent) = calculator();
    let calc: CalculatorClient = client.main_as();
    for i in 0..3 {
        assert_eq!(calc.add(i, 1).await.unwrap(), i + 1);
    }
    wait_for_stats(&server, INITIAL).await;
    wait_for_stats(&client, INITIAL).await;
    assert_eq!(streamed(&sent), ["add", "add", "add"]);
    assert!(pushed(&sent).is_empty(), "{:?}", sent.lock().unwrap());
    assert_eq!(pulls_and_releases(&sent), 0, "{:?}", sent.lock().unwrap());
}

#[tokio::test]
async fn a_result_a_pipelined_call_names_is_pushed_pulled_and_released() {
    let (server, client, sent) = calculator();
    let calc: CalculatorClient = client.main_as();
    let counter = calc.make_counter(5);
    // A call on the counter before it exists: it names the result, which must stay.
    let bumped = counter.increment(2);
    assert_eq!(bumped.await.unwrap(), 7);
    let counter: CounterClient = counter.await.unwrap();
    assert_eq!(counter.value().await.unwrap(), 7);
    drop(counter);
    wait_for_stats(&server, INITIAL).await;
    wait_for_stats(&client, INITIAL).await;
    assert_eq!(pushed(&sent), ["makeCounter"]);
    let sent_now = sent.lock().unwrap().clone();
    assert!(sent_now.contains(&Message::Pull(1)), "{sent_now:?}");
    assert!(
        sent_now.iter().any(|m| matches!(m, Message::Release(1, 1))),
        "{sent_now:?}"
    );
    // The pipelined call and the last one, each awaited by its only holder, were streamed.
    assert_eq!(streamed(&sent), ["increment", "value"]);
}

#[tokio::test]
async fn a_result_named_in_another_calls_arguments_is_pulled() {
    use rpc_core::Value;
    let (server, client, sent) = calculator();
    let counter = client.main().call("makeCounter", vec![Value::from(5)]);
    // The argument names the result as `["pipeline", 1]`; the clone is gone once it is sent.
    let bumped = client.main().call(
        "incrementCounter",
        vec![Value::Promise(counter.clone()), Value::from(2)],
    );
    // Both still queued: were the first a `stream` call, the peer could forget its result
    // before the second names it.
    let counter = counter.await.unwrap();
    assert_eq!(bumped.await.unwrap(), Value::from(7));
    drop(counter);
    wait_for_stats(&server, INITIAL).await;
    // (The second went out while the first was awaited, so it was pushed and pulled too.)
    assert_eq!(pushed(&sent), ["makeCounter", "incrementCounter"]);
}

#[tokio::test]
async fn a_result_held_twice_is_pulled() {
    let (_server, client, sent) = calculator();
    let calc: CalculatorClient = client.main_as();
    let sum = calc.add(2, 3);
    let other = sum.clone();
    assert_eq!(sum.await.unwrap(), 5);
    assert_eq!(other.await.unwrap(), 5);
    assert_eq!(pushed(&sent), ["add"]);
    assert!(sent.lock().unwrap().contains(&Message::Pull(1)));
}

#[tokio::test]
async fn giving_up_on_a_streamed_call_still_cancels_it() {
    let (server, client, sent) = calculator();
    let calc: CalculatorClient = client.main_as();
    let outcome = tokio::time::timeout(Duration::from_millis(50), calc.slow(60_000)).await;
    assert!(outcome.is_err(), "the call should still be running");
    // The dropped call sent a release, and the server dropped the running call with it.
    wait_for_stats(&server, INITIAL).await;
    wait_for_stats(&client, INITIAL).await;
    assert_eq!(streamed(&sent), ["slow"]);
    let released = (sent.lock().unwrap().iter()).any(|m| matches!(m, Message::Release(1, 1)));
    assert!(released, "{:?}", sent.lock().unwrap());
    // The session goes on.
    assert_eq!(calc.add(1, 1).await.unwrap(), 2);
}

#[tokio::test]
async fn a_capnweb_peer_gets_push_pull_and_release() {
    // JSON is capnweb's encoding: calls keep exactly the shape capnweb sends.
    use futures::{SinkExt, StreamExt};
    use rpc_core::{Frame, Value};
    let (ours, mut peer) = rpc_core::testing::memory_pair();
    let client = Session::builder().codec(rpc_core::codec::Json).start(ours);
    let call = tokio::spawn(async move {
        let sum = client
            .main()
            .call("add", vec![Value::from(1), Value::from(2)]);
        let value = sum.await.unwrap();
        (client, value)
    });
    async fn next(peer: &mut rpc_core::testing::MemoryEnd) -> String {
        match peer.next().await {
            Some(Ok(Frame::Text(text))) => text,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
    assert_eq!(
        next(&mut peer).await,
        r#"["push",["pipeline",0,["add"],[1,2]]]"#
    );
    assert_eq!(next(&mut peer).await, r#"["pull",1]"#);
    peer.send(Frame::Text(r#"["resolve",1,3]"#.into()))
        .await
        .unwrap();
    assert_eq!(next(&mut peer).await, r#"["release",1,1]"#);
    let (_client, value) = call.await.unwrap();
    assert_eq!(value, Value::from(3));
}
