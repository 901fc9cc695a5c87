//! Session-wide limits: one over the boundary aborts the session, naming the limit.

use rpc_core::{Limits, SessionBuilder, codec::Json};
use tests::{
    CalculatorImpl, CalculatorServer,
    hostile::{RawConn, bigint, nested_arrays, push_of_len, serve_raw},
};

/// A JSON calculator session with `limits`, and a raw peer.
fn calculator(limits: Limits) -> RawConn {
    let builder = SessionBuilder::default()
        .codec(Json)
        .limits(limits)
        .main(CalculatorServer::new(CalculatorImpl::default()));
    serve_raw(builder).1
}

/// `add(1, 2, extra)`: `add` ignores its third argument, so `extra` is only parsed.
fn add_with(extra: &str) -> String {
    format!(r#"["push",["pipeline",0,["add"],[1,2,{extra}]]]"#)
}

/// Sends `push` as the first push and expects it answered: the value was accepted.
async fn accepted(limits: &Limits, push: &str) {
    let mut raw = calculator(limits.clone());
    raw.send(push).await;
    raw.send(r#"["pull",1]"#).await;
    raw.expect_skipping_releases(r#"["resolve",1,3]"#).await;
}

/// Sends `push` and expects the session to abort naming `limit`.
async fn refused(limits: &Limits, push: &str, limit: &str) {
    let mut raw = calculator(limits.clone());
    raw.send(push).await;
    raw.expect_abort(&format!("{limit} limit exceeded")).await;
}

#[tokio::test]
async fn max_frame_bytes_counts_every_byte_of_the_frame() {
    let limits = Limits {
        max_frame_bytes: 200,
        ..Limits::default()
    };
    accepted(&limits, &push_of_len(200)).await;
    refused(&limits, &push_of_len(201), "max_frame_bytes").await;
}

/// How depth counts, found by probing: the top-level expression of a message is at depth 0 and
/// every container around a value adds one (a call's argument list, each escaped array `[[…]]`,
/// each object). Every value, scalars included, must sit at a depth below `max_depth`. So an
/// argument may hold `max_depth - 2` nested arrays around a scalar (the argument list is one
/// level), or `max_depth - 1` around an empty array (which has no value inside to check).
#[tokio::test]
async fn max_depth_boundary_in_call_arguments() {
    let max_depth = 16;
    let limits = Limits {
        max_depth,
        ..Limits::default()
    };
    accepted(&limits, &add_with(&nested_arrays(max_depth - 2))).await;
    refused(
        &limits,
        &add_with(&nested_arrays(max_depth - 1)),
        "max_depth",
    )
    .await;

    let empty = |n: usize| format!("{}{}", "[[".repeat(n), "]]".repeat(n));
    accepted(&limits, &add_with(&empty(max_depth - 1))).await;
    refused(&limits, &add_with(&empty(max_depth)), "max_depth").await;

    // Objects count the same way as arrays.
    let objects = |n: usize| format!("{}1{}", r#"{"a":"#.repeat(n), "}".repeat(n));
    accepted(&limits, &add_with(&objects(max_depth - 2))).await;
    refused(&limits, &add_with(&objects(max_depth - 1)), "max_depth").await;
}

#[tokio::test]
async fn max_bigint_digits_counts_digits_not_the_sign() {
    let limits = Limits {
        max_bigint_digits: 10,
        ..Limits::default()
    };
    accepted(&limits, &add_with(&bigint(10))).await;
    accepted(&limits, &add_with(r#"["bigint","-1234567890"]"#)).await;
    refused(&limits, &add_with(&bigint(11)), "max_bigint_digits").await;
    refused(
        &limits,
        &add_with(r#"["bigint","-12345678901"]"#),
        "max_bigint_digits",
    )
    .await;
}

/// `n` distinct exports (`-1` … `-n`) as extra arguments.
fn exports(n: i64) -> String {
    (1..=n)
        .map(|i| format!(r#"["export",-{i}]"#))
        .collect::<Vec<_>>()
        .join(",")
}

/// The import table holds the main import too: with `max_imports = 8` the peer may have 7 of
/// its objects (or promises) in it at once.
#[tokio::test]
async fn max_imports_bounds_what_the_peer_exports_to_us() {
    let limits = Limits {
        max_imports: 8,
        ..Limits::default()
    };
    accepted(&limits, &add_with(&exports(7))).await;
    refused(&limits, &add_with(&exports(8)), "max_imports").await;
    // Promises take import entries too.
    let promises = (1..=8)
        .map(|i| format!(r#"["promise",-{i}]"#))
        .collect::<Vec<_>>()
        .join(",");
    refused(&limits, &add_with(&promises), "max_imports").await;
}

/// The export table holds the main object too: with `max_exports = 8` the peer may leave 7
/// pushes unreleased; the 8th aborts.
#[tokio::test]
async fn max_exports_bounds_unreleased_pushes() {
    let limits = Limits {
        max_exports: 8,
        ..Limits::default()
    };
    let mut raw = calculator(limits);
    for _ in 0..7 {
        raw.send(r#"["push",["pipeline",0,["square"],[3]]]"#).await;
    }
    raw.send(r#"["pull",7]"#).await;
    raw.expect(r#"["resolve",7,9]"#).await;
    raw.send(r#"["push",["pipeline",0,["square"],[3]]]"#).await;
    raw.expect_abort("max_exports limit exceeded").await;
}

/// Each `["pull",0]` answers with a fresh export of the main object, so a peer that pulls it
/// again and again grows the export table, one entry per 10-byte frame.
#[tokio::test]
async fn max_exports_bounds_exports_made_by_pulling_main() {
    let limits = Limits {
        max_exports: 8,
        ..Limits::default()
    };
    let mut raw = calculator(limits);
    for _ in 0..20 {
        raw.send(r#"["pull",0]"#).await;
    }
    raw.expect_abort("max_exports limit exceeded").await;
}
