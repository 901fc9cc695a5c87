//! `.map()` sent from Rust: the closure is recorded once and replayed by the array's owner.

use std::{sync::Arc, time::Duration};

use rpc_core::{Callback, RpcPromise, Value};
use rpc_transports::testing::Latency;
use tests::{INITIAL, NumbersClient, NumbersImpl, NumbersServer, RawPeer, codecs, wait_for_stats};
use tokio::time::Instant;

#[tokio::test]
async fn a_rust_map_sends_exactly_the_frame_capnweb_sends() {
    let (client, mut server) = RawPeer::client();
    let numbers: NumbersClient = client.main_as();
    let squares = numbers.generate_fibonacci(5).map(|x| numbers.square(x));
    // Sample 6 of the capnweb recordings, byte for byte.
    assert_eq!(
        server.recv().await,
        r#"["push",["pipeline",0,["generateFibonacci"],[5]]]"#
    );
    assert_eq!(
        server.recv().await,
        r#"["push",["remap",1,[],[["import",0]],[["pipeline",-1,["square"],[["pipeline",0]]],["pipeline",1]]]]"#
    );
    let result = tokio::spawn(async move { squares.await });
    // The array itself is released as soon as the client's promise of it is dropped (the map
    // on the server already depends on it); capnweb holds it longer.
    assert_eq!(server.recv().await, r#"["release",1,1]"#);
    assert_eq!(server.recv().await, r#"["pull",2]"#);
    server.send(r#"["resolve",2,[[0,1,1,4,9]]]"#).await;
    assert_eq!(result.await.unwrap().unwrap(), vec![0, 1, 1, 4, 9]);
    assert_eq!(server.recv().await, r#"["release",2,1]"#);
    wait_for_stats(&client, INITIAL).await;
}

#[tokio::test]
async fn a_rust_map_accepts_per_element_promises_as_capnweb_answers() {
    let (client, mut server) = RawPeer::client();
    let numbers: NumbersClient = client.main_as();
    let squares = numbers.generate_fibonacci(3).map(|x| numbers.square(x));
    let result = tokio::spawn(async move { squares.await });
    for _ in 0..3 {
        server.recv().await;
    }
    // capnweb answers with promises, resolved one by one.
    server
        .send(r#"["resolve",2,[[["promise",-1],["promise",-2],["promise",-3]]]]"#)
        .await;
    server.send(r#"["resolve",-1,0]"#).await;
    server.send(r#"["resolve",-2,1]"#).await;
    server.send(r#"["resolve",-3,1]"#).await;
    assert_eq!(result.await.unwrap().unwrap(), vec![0, 1, 1]);
    wait_for_stats(&client, INITIAL).await;
}

#[tokio::test(start_paused = true)]
async fn mapping_over_a_remote_array_costs_one_round_trip() {
    for codec in codecs() {
        let (a, b) = rpc_transports::memory::pair();
        let server = tests::builder(&codec)
            .main(NumbersServer::new(NumbersImpl))
            .start(Latency::new(a, Duration::from_millis(100)));
        let client = tests::builder(&codec).start(Latency::new(b, Duration::from_millis(100)));
        let numbers: NumbersClient = client.main_as();
        let start = Instant::now();
        let squares = numbers
            .generate_fibonacci(10)
            .map(|x| numbers.square(x))
            .await
            .unwrap();
        assert_eq!(squares, vec![0, 1, 1, 4, 9, 25, 64, 169, 441, 1156]);
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_millis(200) && elapsed < Duration::from_millis(400),
            "{elapsed:?}"
        );
        drop(numbers);
        wait_for_stats(&client, INITIAL).await;
        wait_for_stats(&server, INITIAL).await;
    }
}

#[tokio::test]
async fn maps_nest_and_pass_options_and_objects_through() {
    for codec in codecs() {
        let (a, b) = rpc_transports::memory::pair();
        let server = tests::builder(&codec)
            .main(NumbersServer::new(NumbersImpl))
            .start(a);
        let client = tests::builder(&codec).start(b);
        let numbers: NumbersClient = client.main_as();

        let nested: Vec<Vec<i64>> = numbers
            .generate_fibonacci(5)
            .map(|n| numbers.generate_fibonacci(n).map(|m| numbers.square(m)))
            .await
            .unwrap();
        assert_eq!(
            nested,
            vec![vec![], vec![0], vec![0], vec![0, 1], vec![0, 1, 1]]
        );

        let some: Option<i64> = numbers.even(4).map(|x| numbers.square(x)).await.unwrap();
        assert_eq!(some, Some(16));
        let none: Option<i64> = numbers.even(3).map(|x| numbers.square(x)).await.unwrap();
        assert_eq!(none, None);

        // An untyped map building a record per element, reading a property of each result.
        let users = client
            .main()
            .call("generateFibonacci", vec![Value::from(3)])
            .map_values(|id| {
                let user = numbers.get_user(id.clone().typed::<i64>()).untyped();
                Value::from(vec![Value::Promise(id), Value::Promise(user.get("name"))])
            })
            .await
            .unwrap();
        assert_eq!(
            users,
            Value::from(vec![
                Value::from(vec![Value::from(0), Value::from("User 0")]),
                Value::from(vec![Value::from(1), Value::from("User 1")]),
                Value::from(vec![Value::from(1), Value::from("User 1")]),
            ])
        );
        drop(numbers);
        wait_for_stats(&client, INITIAL).await;
        wait_for_stats(&server, INITIAL).await;
    }
}

#[tokio::test]
async fn a_map_may_call_the_callers_own_callback() {
    for codec in codecs() {
        let (a, b) = rpc_transports::memory::pair();
        let server = tests::builder(&codec)
            .main(NumbersServer::new(NumbersImpl))
            .start(a);
        let client = tests::builder(&codec).start(b);
        let numbers: NumbersClient = client.main_as();
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = calls.clone();
        let label: Callback<i64, String> = Callback::new(move |x: i64| {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move { Ok(format!("#{x}")) }
        });
        let labels: Vec<String> = numbers
            .generate_fibonacci(4)
            .map(|x| label.call(x))
            .await
            .unwrap();
        assert_eq!(labels, ["#0", "#1", "#1", "#2"]);
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 4);
        drop((numbers, label));
        wait_for_stats(&client, INITIAL).await;
        wait_for_stats(&server, INITIAL).await;
    }
}

#[tokio::test]
async fn a_map_over_a_local_result_runs_locally() {
    let list: RpcPromise<Vec<i64>> =
        RpcPromise::resolved(Value::from(vec![Value::from(1), Value::from(2)])).typed();
    let doubled = Callback::new(|x: i64| async move { Ok(x * 2) });
    let out: Vec<i64> = list.map(|x| doubled.call(x)).await.unwrap();
    assert_eq!(out, [2, 4]);
}
