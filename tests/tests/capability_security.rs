//! Capability security: a peer reaches only what it was given. Forged, released and foreign
//! IDs abort the session without touching any object; and on an object it was given, only
//! the interface's methods are callable.

use std::sync::atomic::Ordering;

use rpc_core::{Session, codec::Json};
use tests::{
    CalculatorImpl, CalculatorServer,
    hostile::{RawConn, Step, TestServer, Wire, serve_raw},
};

fn calculator() -> (RawConn, CalculatorImpl) {
    let imp = CalculatorImpl::default();
    let builder = Session::builder()
        .codec(Json)
        .main(CalculatorServer::new(imp.clone()));
    (serve_raw(builder).1, imp)
}

/// `makeCounter(5)` as push 1, pulled: the server exports the counter as `-1`.
fn make_counter() -> Vec<Step> {
    vec![
        Step::send(r#"["push",["pipeline",0,["makeCounter"],[5]]]"#),
        Step::send(r#"["pull",1]"#),
        Step::expect(r#"["resolve",1,["export",-1]]"#),
    ]
}

#[tokio::test]
async fn forged_ids_abort() {
    let forgeries = [
        (
            r#"["push",["pipeline",-7,["increment"],[1]]]"#,
            "no such export ID -7",
        ),
        (
            r#"["push",["import",-7,["increment"],[1]]]"#,
            "no such export ID -7",
        ),
        // A positive ID the peer has not pushed yet.
        (
            r#"["push",["pipeline",5,["increment"],[1]]]"#,
            "no such export ID 5",
        ),
        // A forged reference passed as an argument.
        (
            r#"["push",["pipeline",0,["incrementCounter"],[["import",-7],1]]]"#,
            "no such export ID -7",
        ),
        (r#"["pull",-7]"#, "pull of unknown export ID -7"),
    ];
    for (frame, needle) in forgeries {
        let (mut raw, imp) = calculator();
        raw.run(&make_counter()).await;
        raw.send(frame).await;
        raw.expect_abort(needle).await;
        // The abort disposed of every export: the real counter is gone, never incremented.
        tests::eventually("the counter to be dropped", || {
            imp.observed.live_counters.load(Ordering::SeqCst) == 0
        })
        .await;
    }
}

#[tokio::test]
async fn released_ids_abort() {
    let (mut raw, imp) = calculator();
    raw.run(&make_counter()).await;
    raw.send(r#"["release",1,1]"#).await;
    raw.send(r#"["release",-1,1]"#).await;
    // The counter itself is gone once its last reference is released.
    tests::eventually("the counter to be dropped", || {
        imp.observed.live_counters.load(Ordering::SeqCst) == 0
    })
    .await;
    raw.send(r#"["push",["pipeline",-1,["increment"],[1]]]"#)
        .await;
    raw.expect_abort("no such export ID -1").await;
}

/// Export IDs are per connection: `-1` on connection A means nothing on connection B.
#[tokio::test]
async fn ids_from_another_session_abort_and_never_reach_its_objects() {
    let server = TestServer::tcp(Wire::Json).await;
    let mut a = server.raw().await;
    a.run(&make_counter()).await;

    for attack in [
        r#"["push",["pipeline",-1,["increment"],[100]]]"#,
        r#"["push",["pipeline",0,["incrementCounter"],[["import",-1],100]]]"#,
        r#"["release",-1,1]"#,
    ] {
        let mut b = server.raw().await;
        b.send(attack).await;
        b.expect_abort("export ID -1").await;
    }

    // A's counter is untouched, and A's session is unharmed.
    a.run(&[
        Step::send(r#"["push",["pipeline",-1,["value"],[]]]"#),
        Step::send(r#"["pull",2]"#),
        Step::expect(r#"["resolve",2,5]"#),
    ])
    .await;
    drop(a);
    server.assert_healthy("foreign IDs").await;
}

/// The generated `…Server` dispatch answers the interface's wire names and nothing else: not
/// the Rust names of its methods, not the helpers of the generated types, not trait plumbing.
#[tokio::test]
async fn only_interface_methods_are_callable() {
    let (mut raw, _) = calculator();
    raw.run(&make_counter()).await;
    let not_methods = [
        "local",
        "from_stub",
        "as_stub",
        "into_stub",
        "clone",
        "drop",
        "new",
        "from_arc",
        "get_ref",
        "call",
        "call_as_function",
        "get",
        "interfaceName",
        "interface_name",
        "INTERFACE",
        "DESCRIPTION",
        "description",
        "describe",
        "observed",
        "make_counter",
        "MakeCounter",
        "makecounter",
        "makeCounter ",
        "",
    ];
    let mut id = 1;
    for target in [0, -1] {
        for name in not_methods {
            id += 1;
            raw.send(&format!(r#"["push",["pipeline",{target},["{name}"],[]]]"#))
                .await;
            raw.send(&format!(r#"["pull",{id}]"#)).await;
            raw.expect(&format!(
                r#"["reject",{id},["error","TypeError","'{name}' is not a function.",null,{{"code":"UNKNOWN_METHOD"}}]]"#
            ))
            .await;
            raw.send(&format!(r#"["release",{id},1]"#)).await;
        }
    }
    // Calling the object itself is no way in either.
    id += 1;
    raw.send(r#"["push",["pipeline",0,[],[]]]"#).await;
    raw.send(&format!(r#"["pull",{id}]"#)).await;
    raw.expect(&format!(
        r#"["reject",{id},["error","TypeError","the target is not a function."]]"#
    ))
    .await;
}

/// Reading a property that is not a method gives `undefined`, never a field or a helper.
#[tokio::test]
async fn property_reads_of_non_methods_are_undefined() {
    let (mut raw, _) = calculator();
    raw.run(&make_counter()).await;
    let mut id = 1;
    for (target, name) in [
        (0, "observed"),
        (0, "0"),
        (0, "length"),
        (0, "get_ref"),
        (0, "__proto__"),
        (0, "constructor"),
        (-1, "value_"),
        (-1, "observed"),
    ] {
        id += 1;
        raw.send(&format!(r#"["push",["pipeline",{target},["{name}"]]]"#))
            .await;
        raw.send(&format!(r#"["pull",{id}]"#)).await;
        raw.expect(&format!(r#"["resolve",{id},["undefined"]]"#))
            .await;
    }
}
