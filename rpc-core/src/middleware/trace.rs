//! `TraceLayer`: a `tracing` span per call.

use std::task::{Context, Poll};

use tokio::time::Instant;
use tower::{Layer, Service};
use tracing::{Instrument, field};

use super::{CallInfo, error::poll_inner, into_rpc_error};
use crate::{CallFuture, RpcError, Value};

/// Wraps each call in a `tracing` span named `rpc.call`.
///
/// The span carries `interface`, `method` (`()` for a function call), `session` (the session
/// id, inbound calls only) and `direction` from the start, and `outcome` (`ok` or the error's
/// name), `error` (its message) and `duration_us` when the call finishes; an `INFO` event
/// `call finished` inside the span marks the end. Handlers' own events nest under it.
///
/// ```
/// use rpc_core::{Session, Stub, Value, RpcError, testing::memory_pair};
/// use rpc_core::middleware::TraceLayer;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let (a, b) = memory_pair();
/// let main = Stub::from_fn(|_| async { Ok::<_, RpcError>(Value::from(1)) });
/// let _server = Session::builder().main(main).layer(TraceLayer::new()).start(a);
/// let client = Session::builder().start(b);
/// // Client side: trace the calls made through this stub.
/// let traced = client.main().layer(TraceLayer::new());
/// assert_eq!(traced.call_function(vec![]).await.unwrap(), Value::from(1));
/// # });
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceLayer {
    _private: (),
}

impl TraceLayer {
    /// A layer tracing every call.
    pub fn new() -> Self {
        TraceLayer::default()
    }
}

impl<S> Layer<S> for TraceLayer {
    type Service = Trace<S>;

    fn layer(&self, inner: S) -> Trace<S> {
        Trace { inner }
    }
}

/// The service [`TraceLayer`] makes.
#[derive(Clone, Debug)]
pub struct Trace<S> {
    inner: S,
}

impl<S, R> Service<R> for Trace<S>
where
    R: CallInfo,
    S: Service<R, Response = Value>,
    S::Error: Into<tower::BoxError>,
    S::Future: Send + 'static,
{
    type Response = Value;
    type Error = RpcError;
    type Future = CallFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        poll_inner(&mut self.inner, cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let span = tracing::info_span!(
            "rpc.call",
            interface = request.interface(),
            method = request.method().unwrap_or("()"),
            session = field::Empty,
            direction = request.direction().as_str(),
            outcome = field::Empty,
            error = field::Empty,
            duration_us = field::Empty,
        );
        if let Some(session) = request.session() {
            span.record("session", session.id());
        }
        let started = Instant::now();
        let call = span.in_scope(|| self.inner.call(request));
        let finish = span.clone();
        Box::pin(
            async move {
                let result = call.await.map_err(|e| into_rpc_error(e.into()));
                let duration_us = started.elapsed().as_micros() as u64;
                finish.record("duration_us", duration_us);
                match &result {
                    Ok(_) => {
                        finish.record("outcome", "ok");
                        tracing::info!(outcome = "ok", duration_us, "call finished");
                    }
                    Err(e) => {
                        finish.record("outcome", e.name());
                        finish.record("error", e.message());
                        tracing::info!(
                            outcome = e.name(),
                            error = e.message(),
                            duration_us,
                            "call finished"
                        );
                    }
                }
                result
            }
            .instrument(span),
        )
    }
}
