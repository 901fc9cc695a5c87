//! `.map()` received from a peer: capnweb's `remap` frames, replayed byte for byte.

use tests::{INITIAL, NumbersImpl, NumbersServer, RawPeer, wait_for_stats};

async fn exchange(frames: &[&str], expect: &str) {
    let (session, mut peer) = RawPeer::serve(NumbersServer::new(NumbersImpl));
    for f in frames {
        peer.send(f).await;
    }
    assert_eq!(peer.recv().await, expect);
    peer.send(r#"["release",2,1]"#).await;
    peer.send(r#"["release",1,1]"#).await;
    wait_for_stats(&session, INITIAL).await;
}

#[tokio::test]
async fn a_map_over_an_array_calls_back_into_the_main_object() {
    // Sample 6 of the capnweb recordings: `api.generateFibonacci(5).map(x => api.square(x))`.
    exchange(
        &[
            r#"["push",["pipeline",0,["generateFibonacci"],[5]]]"#,
            r#"["push",["remap",1,[],[["import",0]],[["pipeline",-1,["square"],[["pipeline",0]]],["pipeline",1]]]]"#,
            r#"["pull",2]"#,
        ],
        r#"["resolve",2,[[0,1,1,4,9]]]"#,
    )
    .await;
}

#[tokio::test]
async fn a_map_over_a_single_value_applies_once() {
    // `api.getUser(2).map(u => u.name)`
    exchange(
        &[
            r#"["push",["pipeline",0,["getUser"],[2]]]"#,
            r#"["push",["remap",1,[],[],[["pipeline",0,["name"]]]]]"#,
            r#"["pull",2]"#,
        ],
        r#"["resolve",2,"User 2"]"#,
    )
    .await;
}

#[tokio::test]
async fn a_map_over_null_passes_null_through() {
    exchange(
        &[
            r#"["push",["pipeline",0,["echo"],[null]]]"#,
            r#"["push",["remap",1,[],[["import",0]],[["pipeline",-1,["square"],[["pipeline",0]]],["pipeline",1]]]]"#,
            r#"["pull",2]"#,
        ],
        r#"["resolve",2,null]"#,
    )
    .await;
}

#[tokio::test]
async fn a_map_builds_objects_and_calls_a_captured_callback_of_the_peer() {
    let (session, mut peer) = RawPeer::serve(NumbersServer::new(NumbersImpl));
    peer.send(r#"["push",["pipeline",0,["generateFibonacci"],[3]]]"#)
        .await;
    // x => ({n: x, sq: cb(x)}) where cb is the peer's own function, exported as -1.
    peer.send(
        r#"["push",["remap",1,[],[["export",-1]],[["pipeline",-1,[],[["pipeline",0]]],{"n":["pipeline",0],"sq":["pipeline",1]}]]]"#,
    )
    .await;
    peer.send(r#"["pull",2]"#).await;
    // The server calls the callback once per element; answer each.
    for id in 1..=3 {
        let call = peer.recv().await;
        assert!(call.starts_with(r#"["push",["pipeline",-1,[],["#), "{call}");
        assert_eq!(peer.recv().await, format!(r#"["pull",{id}]"#));
        let x: i64 = call
            .trim_start_matches(r#"["push",["pipeline",-1,[],["#)
            .trim_end_matches("]]]")
            .parse()
            .unwrap();
        peer.send(&format!(r#"["resolve",{id},{}]"#, x * 100)).await;
    }
    // Then, in some order: the map's result, and the server releasing its three pushes and the
    // captured callback.
    let mut expected = vec![
        r#"["resolve",2,[[{"n":0,"sq":0},{"n":1,"sq":100},{"n":1,"sq":100}]]]"#.to_string(),
        r#"["release",1,1]"#.to_string(),
        r#"["release",2,1]"#.to_string(),
        r#"["release",3,1]"#.to_string(),
        r#"["release",-1,1]"#.to_string(),
    ];
    while !expected.is_empty() {
        let frame = peer.recv().await;
        let at = expected.iter().position(|e| *e == frame);
        assert!(
            at.is_some(),
            "unexpected {frame}; still waiting for {expected:?}"
        );
        expected.remove(at.unwrap());
    }
    peer.send(r#"["release",2,1]"#).await;
    peer.send(r#"["release",1,1]"#).await;
    wait_for_stats(&session, INITIAL).await;
}

#[tokio::test]
async fn a_nested_map_captures_the_outer_variables() {
    // api.generateFibonacci(3).map(x => api.generateFibonacci(x).map(y => api.square(y)))
    exchange(
        &[
            r#"["push",["pipeline",0,["generateFibonacci"],[4]]]"#,
            r#"["push",["remap",1,[],[["import",0]],[["pipeline",-1,["generateFibonacci"],[["pipeline",0]]],["remap",1,[],[["import",-1]],[["pipeline",-1,["square"],[["pipeline",0]]],["pipeline",1]]],["pipeline",2]]]]"#,
            r#"["pull",2]"#,
        ],
        r#"["resolve",2,[[[[]],[[0]],[[0]],[[0,1]]]]]"#,
    )
    .await;
}

#[tokio::test]
async fn a_mapper_may_not_refer_to_exports() {
    let (session, mut peer) = RawPeer::serve(NumbersServer::new(NumbersImpl));
    peer.send(r#"["push",["pipeline",0,["generateFibonacci"],[2]]]"#)
        .await;
    peer.send(r#"["push",["remap",1,[],[],[["export",-5]]]]"#)
        .await;
    peer.send(r#"["pull",2]"#).await;
    let reply = peer.recv().await;
    assert!(
        reply.starts_with(
            r#"["reject",2,["error","Error","A mapper function cannot refer to exports.""#
        ),
        "{reply}"
    );
    assert!(session.broken_error().is_none());
}
