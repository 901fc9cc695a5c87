//! Inputs aimed at the server process itself (its stack, its CPU and memory), sent to a server
//! running in its own process (`hostile-server`), so a crash fails the test instead of
//! killing the test binary.

use tests::hostile::{ChildServer, PATIENCE, Received, nested_arrays};

const SERVER: &str = env!("CARGO_BIN_EXE_hostile-server");

/// The harness itself: a hostile input the server handles fine leaves the process serving.
#[tokio::test]
async fn the_server_process_survives_a_rejected_deep_value() {
    let mut server = ChildServer::spawn(SERVER).await;
    let mut raw = server.raw().await;
    raw.send(&format!(
        r#"["push",["pipeline",0,["square"],[{}]]]"#,
        nested_arrays(300)
    ))
    .await;
    raw.expect_abort("max_depth").await;
    server.assert_healthy("300 nested arrays").await;
}

/// Reads until the answer to push `id` (or the connection's end), however it comes.
async fn settle(raw: &mut tests::hostile::RawConn, id: usize) -> Received {
    let answer = [
        format!(r#"["resolve",{id},"#),
        format!(r#"["reject",{id},"#),
    ];
    let wait = async {
        loop {
            match raw.recv().await {
                Received::Message(m) if answer.iter().any(|a| m.starts_with(a.as_str())) => {
                    return Received::Message(m);
                }
                Received::Message(_) => continue,
                end => return end,
            }
        }
    };
    tokio::time::timeout(PATIENCE, wait)
        .await
        .unwrap_or_else(|_| panic!("no answer to push {id} within {PATIENCE:?}"))
}

/// `max_depth` bounds what a frame holds, but a value can also be deepened by the session:
/// each push below maps the previous result into 200 nested arrays (a `remap` whose
/// instruction is the array around its capture), so 100 frames of ~1 KiB build a value 20,000
/// levels deep unless the engine checks the depth of values it assembles.
#[tokio::test]
async fn values_deepened_by_pipelining_do_not_crash_the_server_process() {
    let mut server = ChildServer::spawn(SERVER).await;
    let mut raw = server.raw().await;
    raw.send(r#"["push",["remap",0,[],[],[1]]]"#).await;
    let per = 200;
    let wrapped = format!(r#"{}["pipeline",-1]{}"#, "[[".repeat(per), "]]".repeat(per));
    let last = 100;
    for k in 2..=last {
        raw.send(&format!(
            r#"["push",["remap",0,[],[["import",{}]],[{wrapped}]]]"#,
            k - 1
        ))
        .await;
    }
    raw.send(&format!(r#"["pull",{last}]"#)).await;
    // The session refuses to build a value deeper than max_depth: the result is rejected.
    match settle(&mut raw, last).await {
        Received::Message(m) => assert!(
            m.starts_with(&format!(r#"["reject",{last},"#)) && m.contains("max_depth"),
            "expected a reject naming max_depth, got {m}"
        ),
        other => panic!("expected a reject naming max_depth, got {other:?}"),
    }
    server
        .assert_healthy("a value deepened by pipelining")
        .await;
}

/// A map whose instructions build a 10-element array and map over it, nested 7 deep: a
/// 338-byte frame asks for 10^7 results (measured in a debug build: 5 levels take 0.3 s and
/// answer 244 KB, 6 levels 4.4 s and 2.4 MB; each level multiplies both by ten).
#[tokio::test]
async fn nested_maps_cannot_multiply_work_without_bound() {
    let mut server = ChildServer::spawn(SERVER).await;
    let mut raw = server.raw().await;
    let ten = format!("[[{}]]", ["0"; 10].join(","));
    let mut instructions = "[1]".to_owned();
    for _ in 0..7 {
        instructions = format!(r#"[{ten},["remap",1,[],[],{instructions}]]"#);
    }
    raw.send(&format!(r#"["push",["remap",0,[],[],{instructions}]]"#))
        .await;
    raw.send(r#"["pull",1]"#).await;
    // An abort-and-close is a refusal too; an answer must be a reject, not the whole map.
    if let Received::Message(m) = settle(&mut raw, 1).await {
        assert!(
            m.starts_with(r#"["reject",1,"#),
            "the server computed the whole map ({} bytes)",
            m.len()
        );
    }
    server.assert_healthy("nested maps").await;
}
