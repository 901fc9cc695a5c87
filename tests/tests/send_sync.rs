//! Every handle the session gives out can move between threads and be shared.

use rpc_core::{Callback, RpcError, RpcPromise, Session, SessionBuilder, Stub, Value};
use tests::{CalculatorClient, CalculatorImpl, CalculatorServer, CounterClient};

fn send_sync<T: Send + Sync + 'static>() {}
fn send<T: Send + 'static>() {}

#[test]
fn public_handles_are_send_and_sync() {
    send_sync::<Session>();
    send_sync::<Stub>();
    send_sync::<RpcPromise>();
    send_sync::<RpcPromise<i64>>();
    send_sync::<RpcPromise<CounterClient>>();
    send_sync::<Callback<i64, i64>>();
    send_sync::<Callback>();
    send_sync::<CalculatorClient>();
    send_sync::<CalculatorServer<CalculatorImpl>>();
    send_sync::<RpcError>();
    send_sync::<Value>();
    send::<SessionBuilder>();
}

#[test]
fn middleware_types_are_send_and_sync() {
    use rpc_core::middleware::*;
    send_sync::<CallRequest>();
    send_sync::<OutboundRequest>();
    send_sync::<InboundService>();
    send_sync::<OutboundService>();
    send_sync::<TraceLayer>();
    send_sync::<Trace<InboundService>>();
    send_sync::<PolicyLayer>();
    send_sync::<Policy<InboundService>>();
    send_sync::<MetricsLayer>();
    send_sync::<Metrics<InboundService>>();
    send_sync::<CallCounts>();
    send_sync::<rpc_core::Extensions>();
}

#[test]
fn awaiting_a_promise_is_a_send_future() {
    fn send_future<F: std::future::IntoFuture<IntoFuture: Send>>(_: F) {}
    let p: RpcPromise<i64> = RpcPromise::resolved(Value::Int(1)).typed();
    send_future(p);
}
