//! A tiny typed interface served over the WebSocket, HTTP batch and axum tests.
// Each test file uses only some of these items.
#![allow(dead_code)]

use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use rpc_core::{RpcError, RpcPromise, Session, SessionStats, Stub, Value, rpc_interface};

#[rpc_interface]
pub trait Calc {
    async fn add(&self, a: i64, b: i64) -> Result<i64, RpcError>;
    async fn square(&self, x: i64) -> Result<i64, RpcError>;
    async fn make_counter(&self, start: i64) -> Result<CounterClient, RpcError>;
    async fn throw_error(&self, message: String) -> Result<i64, RpcError>;
}

#[rpc_interface]
pub trait Counter {
    async fn increment(&self, by: i64) -> Result<i64, RpcError>;
}

pub struct MyCalc;

struct MyCounter(AtomicI64);

impl Calc for MyCalc {
    async fn add(&self, a: i64, b: i64) -> Result<i64, RpcError> {
        Ok(a + b)
    }
    async fn square(&self, x: i64) -> Result<i64, RpcError> {
        Ok(x * x)
    }
    async fn make_counter(&self, start: i64) -> Result<CounterClient, RpcError> {
        Ok(CounterClient::local(MyCounter(AtomicI64::new(start))))
    }
    async fn throw_error(&self, message: String) -> Result<i64, RpcError> {
        Err(RpcError::range_error(message))
    }
}

impl Counter for MyCounter {
    async fn increment(&self, by: i64) -> Result<i64, RpcError> {
        Ok(self.0.fetch_add(by, Ordering::SeqCst) + by)
    }
}

/// A fresh main object, as a server's factory makes one per session.
pub fn calc_main() -> CalcServer<MyCalc> {
    CalcServer::new(MyCalc)
}

/// `calc.square(x)` where `x` is a promise, sent without awaiting it (the typed method takes an
/// `i64`, so the promise goes through the untyped stub).
pub fn square_of(calc: &CalcClient, x: RpcPromise<i64>) -> RpcPromise<i64> {
    let stub: &Stub = rpc_core::TypedStub::as_stub(calc);
    stub.call("square", vec![Value::Promise(x.untyped())])
        .typed()
}

/// Fails the test if `future` takes longer than ten seconds, instead of hanging CI.
pub async fn within_time<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("test took longer than 10 s")
}

/// Waits (up to two seconds) for a session's tables to return to just the main objects.
pub async fn settles_to_initial_tables(session: &Session) {
    let clean = SessionStats {
        imports: 1,
        exports: 1,
    };
    let waited = tokio::time::timeout(Duration::from_secs(2), async {
        while session.stats() != clean {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "tables never settled: {:?}",
        session.stats()
    );
}
