//! Inputs that look odd but are legal: the session must NOT abort, and the same connection
//! must keep working afterwards.

use tests::hostile::{RawConn, Step, TestServer, Wire};

/// Proves the connection still works: a new call on it is answered. `id` is the push ID the
/// call takes (one more than the pushes sent so far).
async fn still_works(raw: &mut RawConn, id: i64) {
    raw.send(r#"["push",["pipeline",0,["add"],[1,2]]]"#).await;
    raw.send(&format!(r#"["pull",{id}]"#)).await;
    raw.expect(&format!(r#"["resolve",{id},3]"#)).await;
}

#[tokio::test]
async fn a_late_resolve_of_a_released_promise_is_ignored() {
    for wire in [Wire::Json, Wire::Auto] {
        let server = TestServer::tcp(wire).await;
        let mut raw = server.raw().await;
        raw.run(&[
            // An argument that is a promise we export; the server awaits it.
            Step::send(r#"["push",["pipeline",0,["square"],[["promise",-1]]]]"#),
            Step::send(r#"["pull",1]"#),
            Step::send(r#"["resolve",-1,3]"#),
            // Resolved promises are released at once, then the call runs.
            Step::expect(r#"["release",-1,1]"#),
            Step::expect(r#"["resolve",1,9]"#),
            // Too late: the server no longer holds -1. capnweb drops such a resolution.
            Step::send(r#"["resolve",-1,4]"#),
            Step::send(r#"["reject",-1,["error","Error","late"]]"#),
        ])
        .await;
        still_works(&mut raw, 2).await;
        drop(raw);
        server
            .assert_healthy("late resolve of a released promise")
            .await;
    }
}

#[tokio::test]
async fn a_duplicate_resolve_of_a_callback_result_is_ignored() {
    let server = TestServer::tcp(Wire::Json).await;
    let mut raw = server.raw().await;
    raw.run(&[
        // callBack(cb, 5) with our function `-1`; the server calls it as its push 1.
        Step::send(r#"["push",["pipeline",0,["callBack"],[["export",-1],5]]]"#),
        Step::send(r#"["pull",1]"#),
        Step::expect(r#"["push",["pipeline",-1,[],[5]]]"#),
        Step::expect(r#"["pull",1]"#),
        Step::send(r#"["resolve",1,10]"#),
        Step::ExpectAll(vec![
            r#"["release",1,1]"#.into(),
            r#"["release",-1,1]"#.into(),
            r#"["resolve",1,10]"#.into(),
        ]),
        // The server released its import 1 already: a second resolve is late, not an attack.
        Step::send(r#"["resolve",1,11]"#),
    ])
    .await;
    still_works(&mut raw, 2).await;
    drop(raw);
    server
        .assert_healthy("duplicate resolve of a callback result")
        .await;
}

/// `Object.prototype` names are never methods: calling one is a rejected call, not an abort.
#[tokio::test]
async fn prototype_names_are_rejected_calls_not_aborts() {
    for wire in [Wire::Json, Wire::Auto] {
        let server = TestServer::tcp(wire).await;
        let mut raw = server.raw().await;
        let names = [
            "constructor",
            "__proto__",
            "toString",
            "valueOf",
            "hasOwnProperty",
            "toJSON",
        ];
        for (i, name) in names.iter().enumerate() {
            let id = i + 1;
            raw.send(&format!(r#"["push",["pipeline",0,["{name}"],[]]]"#))
                .await;
            raw.send(&format!(r#"["pull",{id}]"#)).await;
            raw.expect(&format!(
                r#"["reject",{id},["error","TypeError","'{name}' is not a function.",null,{{"code":"UNKNOWN_METHOD"}}]]"#
            ))
            .await;
            raw.send(&format!(r#"["release",{id},1]"#)).await;
        }
        // Reached through a path, they read as undefined.
        raw.send(r#"["push",["pipeline",0,["__proto__","constructor"]]]"#)
            .await;
        raw.send(r#"["pull",7]"#).await;
        raw.expect(r#"["resolve",7,["undefined"]]"#).await;
        still_works(&mut raw, 8).await;
        drop(raw);
        server.assert_healthy("prototype names").await;
    }
}

/// The peer's own abort ends its session quietly: the server does not answer it with an
/// abort of its own (capnweb does not either), and other connections are unaffected.
#[tokio::test]
async fn a_peer_abort_ends_only_its_session_without_a_reply() {
    for frame in [
        r#"["abort",["error","Error","bye"]]"#,
        r#"["abort","bye"]"#,
        r#"["abort",{"not":"an error"}]"#,
    ] {
        let server = TestServer::tcp(Wire::Json).await;
        let mut raw = server.raw().await;
        raw.send(r#"["push",["pipeline",0,["slow"],[60000]]]"#)
            .await;
        raw.send(frame).await;
        raw.expect_closed_without_abort().await;
        drop(raw);
        server.assert_healthy(frame).await;
    }
}
