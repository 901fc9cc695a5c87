//! Fixtures for the hardening tests (`hostile`, `limits`, `capability_security`,
//! `cancellation`): servers on 127.0.0.1 that serve many connections, a raw client that writes
//! frames straight onto a connection, the check that a fresh well-behaved client still works,
//! and a watch on panics.
//!
//! Every wait here is bounded, so a server that hangs fails the test instead of stalling it.

mod child;
pub mod panics;
mod raw;
mod server;

pub use child::ChildServer;
pub use raw::{RawConn, Received, Step, serve_raw};
pub use server::{TestServer, Wire};

use std::time::Duration;

/// How long any single wait in the hardening tests may take before it counts as a hang.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// `n` escaped arrays nested around `1`, as an argument expression: `[[[[1]]]]` for `n = 2`.
/// In capnweb JSON `[[x]]` is a one-element array holding `x`.
pub fn nested_arrays(n: usize) -> String {
    format!("{}1{}", "[[".repeat(n), "]]".repeat(n))
}

/// A bigint literal expression of `digits` decimal digits.
pub fn bigint(digits: usize) -> String {
    format!(r#"["bigint","{}"]"#, "7".repeat(digits))
}

/// A push of `add(1, 2)` whose frame is exactly `len` bytes of JSON, padded by a third
/// argument that `add` ignores.
pub fn push_of_len(len: usize) -> String {
    let bare = r#"["push",["pipeline",0,["add"],[1,2,""]]]"#;
    let pad = len.checked_sub(bare.len()).expect("long enough for a push");
    format!(
        r#"["push",["pipeline",0,["add"],[1,2,"{}"]]]"#,
        "x".repeat(pad)
    )
}
