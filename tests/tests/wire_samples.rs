//! The Rust server answers capnweb's recorded client frames (`shared/docs/capnweb-wire-samples.txt`)
//! with the frames capnweb's own server sent. Where only timing decides the order (releases
//! against resolves), the frames are compared as a set.

use examples::conformance::{ConformanceImpl, ConformanceServer};
use tests::{INITIAL, RawPeer, wait_for_stats};

/// Sends `client` frames in order, then expects exactly `server` frames (in any order).
async fn scenario(client: &[&str], server: &[&str]) {
    let (session, mut peer) = RawPeer::serve(ConformanceServer::new(ConformanceImpl));
    for frame in client {
        peer.send(frame).await;
    }
    let mut expected: Vec<String> = server.iter().map(|s| s.to_string()).collect();
    while !expected.is_empty() {
        let frame = peer.recv().await;
        let at = expected.iter().position(|e| *e == frame);
        assert!(
            at.is_some(),
            "unexpected {frame}; still expecting {expected:?}"
        );
        expected.remove(at.unwrap());
    }
    wait_for_stats(&session, INITIAL).await;
}

#[tokio::test]
async fn sample_1_simple_call() {
    scenario(
        &[
            r#"["push",["pipeline",0,["square"],[7]]]"#,
            r#"["pull",1]"#,
            r#"["release",1,1]"#,
        ],
        &[r#"["resolve",1,49]"#],
    )
    .await;
}

#[tokio::test]
async fn sample_2_echo_of_every_value() {
    let value = r#"{"n":1.5,"s":"str","t":true,"z":null,"u":["undefined"],"big":["bigint","-99"],"when":["date",1000000000000],"bytes":["bytes","aGk"],"i32":["bytes","/////w","Int32Array"],"inf":["inf"],"ninf":["-inf"],"nan":["nan"],"list":[[[[1,"a"]],{"x":[[]]}]],"err":["error","RangeError","inside"]}"#;
    scenario(
        &[
            &format!(r#"["push",["pipeline",0,["echo"],[{value}]]]"#),
            r#"["pull",1]"#,
            r#"["release",1,1]"#,
        ],
        &[&format!(r#"["resolve",1,{value}]"#)],
    )
    .await;
}

#[tokio::test]
async fn sample_3_pipelining_on_an_unresolved_capability() {
    scenario(
        &[
            r#"["push",["pipeline",0,["makeCounter"],[10]]]"#,
            r#"["push",["pipeline",1,["increment"],[5]]]"#,
            r#"["push",["pipeline",1,["value"],[]]]"#,
            r#"["pull",2]"#,
            r#"["pull",3]"#,
            r#"["release",2,1]"#,
            r#"["release",3,1]"#,
            r#"["release",1,1]"#,
        ],
        &[r#"["resolve",2,15]"#, r#"["resolve",3,15]"#],
    )
    .await;
}

#[tokio::test]
async fn sample_4_property_path() {
    scenario(
        &[
            r#"["push",["pipeline",0,["getUser"],[1]]]"#,
            r#"["push",["pipeline",1,["profile","bio"]]]"#,
            r#"["pull",2]"#,
            r#"["release",2,1]"#,
            r#"["release",1,1]"#,
        ],
        &[r#"["resolve",2,"Bio of user 1"]"#],
    )
    .await;
}

#[tokio::test]
async fn sample_5_promise_as_argument() {
    scenario(
        &[
            r#"["push",["pipeline",0,["add"],[1,2]]]"#,
            r#"["push",["pipeline",0,["square"],[["pipeline",1]]]]"#,
            r#"["pull",2]"#,
            r#"["release",2,1]"#,
            r#"["release",1,1]"#,
        ],
        &[r#"["resolve",2,9]"#],
    )
    .await;
}

#[tokio::test]
async fn sample_7_and_8_errors() {
    scenario(
        &[
            r#"["push",["pipeline",0,["throwError"],["boom"]]]"#,
            r#"["pull",1]"#,
            r#"["release",1,1]"#,
            r#"["push",["pipeline",0,["authenticate"],["wrong"]]]"#,
            r#"["push",["pipeline",2,["whoami"],[]]]"#,
            r#"["pull",3]"#,
            r#"["release",3,1]"#,
            r#"["release",2,1]"#,
        ],
        &[
            r#"["reject",1,["error","RangeError","boom"]]"#,
            r#"["reject",3,["error","Error","invalid token"]]"#,
        ],
    )
    .await;
}

#[tokio::test]
async fn sample_9_capability_returned_used_and_released() {
    let (session, mut peer) = RawPeer::serve(ConformanceServer::new(ConformanceImpl));
    peer.send(r#"["push",["pipeline",0,["authenticate"],["secret"]]]"#)
        .await;
    peer.send(r#"["pull",1]"#).await;
    assert_eq!(peer.recv().await, r#"["resolve",1,["export",-1]]"#);
    peer.send(r#"["release",1,1]"#).await;
    peer.send(r#"["push",["pipeline",-1,["whoami"],[]]]"#).await;
    peer.send(r#"["pull",2]"#).await;
    assert_eq!(peer.recv().await, r#"["resolve",2,"alice"]"#);
    peer.send(r#"["release",2,1]"#).await;
    peer.send(r#"["release",-1,1]"#).await;
    wait_for_stats(&session, INITIAL).await;
}

#[tokio::test]
async fn sample_10_the_server_calls_the_clients_function() {
    let (session, mut peer) = RawPeer::serve(ConformanceServer::new(ConformanceImpl));
    peer.send(r#"["push",["pipeline",0,["callFunction"],[["export",-1],4]]]"#)
        .await;
    peer.send(r#"["pull",1]"#).await;
    assert_eq!(peer.recv().await, r#"["push",["pipeline",-1,[],[4]]]"#);
    assert_eq!(peer.recv().await, r#"["pull",1]"#);
    peer.send(r#"["resolve",1,40]"#).await;
    let mut rest = vec![peer.recv().await, peer.recv().await, peer.recv().await];
    rest.sort();
    assert_eq!(
        rest,
        [
            r#"["release",-1,1]"#,
            r#"["release",1,1]"#,
            r#"["resolve",1,{"result":40}]"#
        ]
    );
    peer.send(r#"["release",1,1]"#).await;
    wait_for_stats(&session, INITIAL).await;
}

#[tokio::test]
async fn sample_13_a_stub_passed_back_to_its_owner() {
    let (session, mut peer) = RawPeer::serve(ConformanceServer::new(ConformanceImpl));
    peer.send(r#"["push",["pipeline",0,["makeCounter"],[1]]]"#)
        .await;
    peer.send(r#"["pull",1]"#).await;
    assert_eq!(peer.recv().await, r#"["resolve",1,["export",-1]]"#);
    peer.send(r#"["release",1,1]"#).await;
    peer.send(r#"["push",["pipeline",0,["incrementCounter"],[["import",-1],5]]]"#)
        .await;
    peer.send(r#"["pull",2]"#).await;
    assert_eq!(peer.recv().await, r#"["resolve",2,6]"#);
    peer.send(r#"["release",2,1]"#).await;
    peer.send(r#"["release",-1,1]"#).await;
    wait_for_stats(&session, INITIAL).await;
}

#[tokio::test]
async fn sample_14_release_of_a_running_call() {
    scenario(
        &[
            r#"["push",["pipeline",0,["slow"],[50]]]"#,
            r#"["release",1,1]"#,
            r#"["push",["pipeline",0,["square"],[2]]]"#,
            r#"["pull",2]"#,
            r#"["release",2,1]"#,
        ],
        &[r#"["resolve",2,4]"#],
    )
    .await;
}

#[tokio::test]
async fn sample_16_unknown_method() {
    scenario(
        &[
            r#"["push",["pipeline",0,["noSuchMethod"],[1]]]"#,
            r#"["pull",1]"#,
            r#"["release",1,1]"#,
        ],
        &[
            r#"["reject",1,["error","TypeError","'noSuchMethod' is not a function.",null,{"code":"UNKNOWN_METHOD"}]]"#,
        ],
    )
    .await;
}

#[tokio::test]
async fn sample_17_a_protocol_error_aborts_with_capnwebs_message() {
    let (session, mut peer) = RawPeer::serve(ConformanceServer::new(ConformanceImpl));
    peer.send(r#"["bogus",1]"#).await;
    assert_eq!(
        peer.recv().await,
        r#"["abort",["error","Error","bad RPC message: [\"bogus\",1]"]]"#
    );
    assert_eq!(peer.recv().await, r#"close: bad RPC message: ["bogus",1]"#);
    assert!(session.broken_error().is_some());
}
