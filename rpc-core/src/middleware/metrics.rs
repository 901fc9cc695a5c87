//! `MetricsLayer`: counts calls and errors per method.

use std::{
    collections::BTreeMap,
    fmt,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use tokio::time::Instant;
use tower::{Layer, Service};

use super::{CallInfo, error::poll_inner, into_rpc_error};
use crate::{CallFuture, ErrorKind, RpcError, Value};

/// Which way a call goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// A peer called one of this side's objects.
    Inbound,
    /// This side called through a stub.
    Outbound,
}

impl Direction {
    /// `"inbound"` or `"outbound"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

/// One finished call, as [`MetricsLayer`] reports it.
#[derive(Clone, Debug)]
pub struct CallRecord {
    /// The interface.
    pub interface: String,
    /// The method; `()` for a function call.
    pub method: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// `None` for success, else the error's kind.
    pub error: Option<ErrorKind>,
    /// From the call entering the layer to its result.
    pub duration: Duration,
}

/// Calls and errors of one method.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MethodCounts {
    /// Calls finished, successful or not.
    pub calls: u64,
    /// Calls that failed.
    pub errors: u64,
}

/// The counts a [`MetricsLayer`] keeps, per `(interface, method)`. Cheap to clone; every clone
/// reads the same counts.
#[derive(Clone, Debug, Default)]
pub struct CallCounts(Arc<Mutex<BTreeMap<(String, String), MethodCounts>>>);

impl CallCounts {
    /// The counts of one method (zero if it was never called).
    pub fn get(&self, interface: &str, method: &str) -> MethodCounts {
        let table = self.0.lock().unwrap_or_else(|p| p.into_inner());
        table
            .get(&(interface.to_owned(), method.to_owned()))
            .copied()
            .unwrap_or_default()
    }

    /// Every method seen, in order, with its counts.
    pub fn snapshot(&self) -> Vec<((String, String), MethodCounts)> {
        let table = self.0.lock().unwrap_or_else(|p| p.into_inner());
        table.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }

    fn add(&self, record: &CallRecord) {
        let mut table = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let counts = table
            .entry((record.interface.clone(), record.method.clone()))
            .or_default();
        counts.calls += 1;
        counts.errors += u64::from(record.error.is_some());
    }
}

type Report = dyn Fn(&CallRecord) + Send + Sync;

/// Counts calls and errors per method into [`CallCounts`], and hands each finished call to an
/// optional callback: the place to feed the `metrics` crate, Prometheus or a log.
///
/// ```
/// use rpc_core::{Session, Stub, Value, RpcError, testing::memory_pair};
/// use rpc_core::middleware::{MetricsLayer, MethodCounts};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let metrics = MetricsLayer::new().on_call(|record| {
///     // e.g. metrics::counter!("rpc_calls", "method" => record.method.clone()).increment(1);
///     assert_eq!(record.method, "()");
/// });
/// let counts = metrics.counts();
/// let (a, b) = memory_pair();
/// let main = Stub::from_fn(|_| async { Ok::<_, RpcError>(Value::Null) });
/// let _server = Session::builder().main(main).layer(metrics).start(a);
/// let client = Session::builder().start(b);
/// client.main().call_function(vec![]).await.unwrap();
/// assert_eq!(counts.get("Function", "()"), MethodCounts { calls: 1, errors: 0 });
/// # });
/// ```
#[derive(Clone, Default)]
pub struct MetricsLayer {
    counts: CallCounts,
    report: Option<Arc<Report>>,
}

impl MetricsLayer {
    /// A layer counting into a fresh [`CallCounts`].
    pub fn new() -> Self {
        MetricsLayer::default()
    }

    /// Counts into `counts` instead, to share one table between sessions.
    pub fn with_counts(mut self, counts: CallCounts) -> Self {
        self.counts = counts;
        self
    }

    /// Also calls `report` with each finished call.
    pub fn on_call(mut self, report: impl Fn(&CallRecord) + Send + Sync + 'static) -> Self {
        self.report = Some(Arc::new(report));
        self
    }

    /// The counts this layer (and every service it makes) adds to.
    pub fn counts(&self) -> CallCounts {
        self.counts.clone()
    }
}

impl fmt::Debug for MetricsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsLayer")
            .field("counts", &self.counts)
            .finish()
    }
}

impl<S> Layer<S> for MetricsLayer {
    type Service = Metrics<S>;

    fn layer(&self, inner: S) -> Metrics<S> {
        Metrics {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`MetricsLayer`] makes.
#[derive(Clone, Debug)]
pub struct Metrics<S> {
    inner: S,
    layer: MetricsLayer,
}

impl<S, R> Service<R> for Metrics<S>
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
        let mut record = CallRecord {
            interface: request.interface().to_owned(),
            method: request.method().unwrap_or("()").to_owned(),
            direction: request.direction(),
            error: None,
            duration: Duration::ZERO,
        };
        let layer = self.layer.clone();
        let started = Instant::now();
        let call = self.inner.call(request);
        Box::pin(async move {
            let result = call.await.map_err(|e| into_rpc_error(e.into()));
            record.duration = started.elapsed();
            record.error = result.as_ref().err().map(RpcError::kind);
            layer.counts.add(&record);
            if let Some(report) = &layer.report {
                report(&record);
            }
            result
        })
    }
}
