//! Tower middleware: tower's own layers and Capstan's around inbound dispatch, and layered
//! stubs on the outbound side.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use rpc_core::{
    ErrorKind, RpcError, Session, SessionBuilder, TypedStub, Value,
    codec::Codec,
    deadline,
    middleware::{
        CallCounts, CallInfo, CallRequest, InboundService, MethodCounts, MetricsLayer,
        OutboundRequest, PolicyLayer, TraceLayer,
    },
};
use rpc_transports::memory;
use std::future::IntoFuture;
use tests::{
    CalculatorClient, CalculatorImpl, CalculatorServer, NumbersClient, NumbersImpl, NumbersServer,
    builder, codecs,
};

use tower::{Layer, Service};

/// `(calls, errors)` of a `Calculator` method.
fn tally(counts: &CallCounts, method: &str) -> (u64, u64) {
    let MethodCounts { calls, errors } = counts.get("Calculator", method);
    (calls, errors)
}

/// A calculator served with `configure` applied to the server's builder.
fn served(
    codec: &Arc<dyn Codec>,
    configure: impl FnOnce(SessionBuilder) -> SessionBuilder,
) -> (Session, Session, CalculatorClient) {
    let (a, b) = memory::pair();
    let server =
        configure(builder(codec).main(CalculatorServer::new(CalculatorImpl::default()))).start(a);
    let client = builder(codec).start(b);
    let calc = client.main_as();
    (server, client, calc)
}

#[tokio::test]
async fn tower_timeout_fails_a_slow_call_with_a_timeout_error() {
    for codec in codecs() {
        let (_server, _client, calc) = served(&codec, |b| {
            b.layer(tower::timeout::TimeoutLayer::new(Duration::from_millis(50)))
        });
        let err = calc.slow(5_000).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        assert_eq!(err.message(), "the call timed out");
        // Fast calls are untouched.
        assert_eq!(calc.add(2, 3).await.unwrap(), 5);
    }
}

/// A layer of the user's own: tracks how many calls run at once, and the peak.
#[derive(Clone, Default)]
struct Gauge {
    now: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct GaugeService {
    inner: InboundService,
    gauge: Gauge,
}

impl Layer<InboundService> for Gauge {
    type Service = GaugeService;

    fn layer(&self, inner: InboundService) -> GaugeService {
        GaugeService {
            inner,
            gauge: self.clone(),
        }
    }
}

impl Service<CallRequest> for GaugeService {
    type Response = Value;
    type Error = RpcError;
    type Future = Pin<Box<dyn Future<Output = Result<Value, RpcError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: CallRequest) -> Self::Future {
        let gauge = self.gauge.clone();
        let running = gauge.now.fetch_add(1, Ordering::SeqCst) + 1;
        gauge.peak.fetch_max(running, Ordering::SeqCst);
        let call = self.inner.call(request);
        Box::pin(async move {
            let result = call.await;
            gauge.now.fetch_sub(1, Ordering::SeqCst);
            result
        })
    }
}

#[tokio::test]
async fn tower_concurrency_limit_queues_calls_past_the_limit() {
    for codec in codecs() {
        let gauge = Gauge::default();
        let layer = gauge.clone();
        // The gauge sits inside the limit, so it sees only the calls the limit let through.
        let (_server, _client, calc) = served(&codec, |b| {
            b.layer(layer)
                .layer(tower::limit::ConcurrencyLimitLayer::new(2))
        });
        let calls: Vec<_> = (0..6).map(|_| calc.slow(30).into_future()).collect();
        for result in futures::future::join_all(calls).await {
            assert_eq!(result.unwrap(), 30);
        }
        assert_eq!(gauge.peak.load(Ordering::SeqCst), 2);
        assert_eq!(gauge.now.load(Ordering::SeqCst), 0);
    }
}

#[tokio::test]
async fn tower_load_shed_refuses_calls_past_the_limit_with_a_limit_error() {
    for codec in codecs() {
        let (_server, _client, calc) = served(&codec, |b| {
            b.layer(tower::limit::ConcurrencyLimitLayer::new(1))
                .layer(tower::load_shed::LoadShedLayer::new())
        });
        let busy = calc.slow(300);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let err = calc.add(1, 1).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
        assert!(err.message().contains("overloaded"), "{err}");
        assert_eq!(busy.await.unwrap(), 300);
        assert_eq!(calc.add(1, 1).await.unwrap(), 2);
    }
}

/// What a layer saw of each call.
#[derive(Clone, Debug, PartialEq)]
struct Seen {
    interface: String,
    method: Option<String>,
    session: Option<u64>,
    has_deadline: bool,
    args: usize,
}

fn recorder() -> (Arc<Mutex<Vec<Seen>>>, PolicyLayer) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let layer = PolicyLayer::new(move |call: &dyn CallInfo| {
        log.lock().unwrap().push(Seen {
            interface: call.interface().to_owned(),
            method: call.method().map(str::to_owned),
            session: call.session().map(Session::id),
            has_deadline: call.deadline().is_some(),
            args: 0,
        });
        Ok(())
    });
    (seen, layer)
}

#[tokio::test]
async fn the_request_names_interface_method_session_and_deadline() {
    for codec in codecs() {
        let (seen, layer) = recorder();
        let (server, _client, calc) = served(&codec, |b| b.layer(layer));
        assert_eq!(calc.add(1, 2).await.unwrap(), 3);
        deadline::timeout(Duration::from_secs(10), async {
            calc.square(3).await.unwrap();
        })
        .await;
        let seen = seen.lock().unwrap().clone();
        let expect = |method: &str, has_deadline| Seen {
            interface: "Calculator".into(),
            method: Some(method.into()),
            session: Some(server.id()),
            has_deadline,
            args: 0,
        };
        // Only Capstan's MessagePack encoding carries deadlines (capnweb's JSON has no slot).
        let carried = codec.name() == "msgpack";
        assert_eq!(seen, vec![expect("add", false), expect("square", carried)]);
    }
}

#[tokio::test]
async fn every_route_to_a_local_object_passes_the_layers() {
    for codec in codecs() {
        let (seen, layer) = recorder();
        let (a, b) = memory::pair();
        let _server = builder(&codec)
            .main(NumbersServer::new(NumbersImpl))
            .layer(layer)
            .start(a);
        let client = builder(&codec).start(b);
        let numbers: NumbersClient = client.main_as();
        // A map replays its calls on the server: each `square` is the peer's call too.
        let squares = numbers.generate_fibonacci(4).map(|x| numbers.square(x));
        assert_eq!(squares.await.unwrap(), vec![0, 1, 1, 4]);
        // A pipelined call nested in another's arguments.
        assert_eq!(numbers.square(numbers.square(2)).await.unwrap(), 16);
        let methods: Vec<_> = seen
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.method.clone().unwrap())
            .collect();
        assert_eq!(
            methods,
            [
                "generateFibonacci",
                "square",
                "square",
                "square",
                "square",
                "square",
                "square"
            ]
        );
    }
}

/// Who the peer is, once it has authenticated: a session extension.
#[derive(Clone, Debug, PartialEq)]
struct Operator;

#[tokio::test]
async fn a_policy_denies_by_a_rule_that_reads_session_extensions() {
    for codec in codecs() {
        let policy = PolicyLayer::new(|call: &dyn CallInfo| {
            let operator = call
                .session()
                .and_then(|s| s.extensions().get::<Operator>())
                .is_some();
            if call.method() == Some("explode") && !operator {
                return Err(RpcError::with_kind(
                    ErrorKind::Application,
                    "PermissionDenied",
                    "explode needs an operator",
                ));
            }
            Ok(())
        });
        let (server, _client, calc) = served(&codec, |b| b.layer(policy));
        let err = calc.explode().await.unwrap_err();
        assert_eq!(
            (err.name(), err.message()),
            ("PermissionDenied", "explode needs an operator")
        );
        // Other methods pass.
        assert_eq!(calc.add(20, 22).await.unwrap(), 42);
        // Once the session is known to be an operator's, the call reaches the object (which
        // panics by design, and says so).
        server.extensions().insert(Operator);
        let err = calc.explode().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Panicked, "{err}");
    }
}

#[tokio::test]
async fn deny_methods_hides_methods_as_if_they_did_not_exist() {
    for codec in codecs() {
        let (_server, _client, calc) = served(&codec, |b| {
            b.layer(PolicyLayer::deny_methods(["fail", "slow"]))
        });
        let err = calc.slow(1).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnknownMethod, "{err}");
        assert_eq!(calc.square(5).await.unwrap(), 25);
    }
}

#[tokio::test]
async fn metrics_count_calls_and_errors_per_method() {
    for codec in codecs() {
        let records = Arc::new(Mutex::new(Vec::new()));
        let sink = records.clone();
        let metrics = MetricsLayer::new().on_call(move |record| {
            sink.lock()
                .unwrap()
                .push((record.method.clone(), record.error));
        });
        let counts = metrics.counts();
        let (_server, _client, calc) = served(&codec, |b| b.layer(metrics));
        calc.add(1, 2).await.unwrap();
        calc.add(3, 4).await.unwrap();
        calc.fail("no").await.unwrap_err();
        assert_eq!(tally(&counts, "add"), (2, 0));
        assert_eq!(tally(&counts, "fail"), (1, 1));
        assert_eq!(tally(&counts, "square"), (0, 0));
        assert_eq!(
            *records.lock().unwrap(),
            vec![
                ("add".to_string(), None),
                ("add".to_string(), None),
                ("fail".to_string(), Some(ErrorKind::Application)),
            ]
        );
    }
}

#[tokio::test]
async fn a_layered_client_counts_and_traces_its_own_calls() {
    let codec = &codecs()[0];
    let (_server, _client, calc) = served(codec, |b| b);
    let metrics = MetricsLayer::new();
    let counted: CalculatorClient = calc.layer(metrics.clone()).layer(TraceLayer::new());
    assert_eq!(counted.add(2, 2).await.unwrap(), 4);
    assert_eq!(counted.square(counted.add(1, 1)).await.unwrap(), 4);
    counted.fail("x").await.unwrap_err();
    let counts = metrics.counts();
    assert_eq!(tally(&counts, "add"), (2, 0));
    assert_eq!(tally(&counts, "square"), (1, 0));
    assert_eq!(tally(&counts, "fail"), (1, 1));
}

/// Retries a call once when it fails with a `Transient` error: for idempotent methods only.
#[derive(Clone)]
struct RetryTransient {
    left: usize,
}

impl tower::retry::Policy<OutboundRequest, Value, RpcError> for RetryTransient {
    type Future = std::future::Ready<()>;

    fn retry(
        &mut self,
        _: &mut OutboundRequest,
        result: &mut Result<Value, RpcError>,
    ) -> Option<Self::Future> {
        match result {
            Err(e) if e.name() == "Transient" && self.left > 0 => {
                self.left -= 1;
                Some(std::future::ready(()))
            }
            _ => None,
        }
    }

    fn clone_request(&mut self, request: &OutboundRequest) -> Option<OutboundRequest> {
        Some(request.clone())
    }
}

#[tokio::test]
async fn an_outbound_retry_layer_sends_an_idempotent_call_again() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let seen = attempts.clone();
    let flaky = rpc_core::Stub::from_fn(move |_| {
        let attempt = seen.fetch_add(1, Ordering::SeqCst);
        async move {
            if attempt == 0 {
                Err(RpcError::new("Transient", "try again"))
            } else {
                Ok(Value::from("done"))
            }
        }
    });
    let (a, b) = memory::pair();
    let _server = Session::builder().main(flaky).start(a);
    let client = Session::builder().start(b);
    let retrying = client
        .main()
        .layer(tower::retry::RetryLayer::new(RetryTransient { left: 1 }));
    assert_eq!(
        retrying.call_function(vec![]).await.unwrap(),
        Value::from("done")
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
    // With no retries left the error comes through as it was.
    let once = client
        .main()
        .layer(tower::retry::RetryLayer::new(RetryTransient { left: 0 }));
    attempts.store(0, Ordering::SeqCst);
    let err = once.call_function(vec![]).await.unwrap_err();
    assert_eq!((err.name(), err.message()), ("Transient", "try again"));
}

/// Collects the fields of every `rpc.call` span once it closes.
#[derive(Clone, Default)]
struct SpanLog(Arc<Mutex<Vec<std::collections::BTreeMap<String, String>>>>);

#[derive(Default)]
struct Fields(std::collections::BTreeMap<String, String>);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").replace('"', ""),
        );
    }
}

impl<S> tracing_subscriber::Layer<S> for SpanLog
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        ctx.span(id).unwrap().extensions_mut().insert(fields);
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let span = ctx.span(id).unwrap();
        let mut ext = span.extensions_mut();
        values.record(ext.get_mut::<Fields>().unwrap());
    }

    fn on_close(&self, id: tracing::span::Id, ctx: tracing_subscriber::layer::Context<'_, S>) {
        let span = ctx.span(&id).unwrap();
        if span.name() == "rpc.call" {
            let mut fields = span.extensions().get::<Fields>().unwrap().0.clone();
            // Durations vary; that one was recorded is what matters.
            let timed = fields.remove("duration_us").is_some();
            fields.insert("timed".into(), timed.to_string());
            self.0.lock().unwrap().push(fields);
        }
    }
}

#[tokio::test]
async fn trace_layer_records_a_span_per_call_with_its_outcome() {
    use tracing_subscriber::layer::SubscriberExt;
    let log = SpanLog::default();
    // A current-thread runtime: every task runs here, under this subscriber.
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(log.clone()));
    let codec = &codecs()[0];
    let (server, _client, calc) = served(codec, |b| b.layer(TraceLayer::new()));
    assert_eq!(calc.add(1, 2).await.unwrap(), 3);
    calc.fail("bad input").await.unwrap_err();
    let span = |method: &str, outcome: &str, error: Option<&str>| {
        let mut fields: std::collections::BTreeMap<String, String> = [
            ("interface", "Calculator"),
            ("method", method),
            ("direction", "inbound"),
            ("outcome", outcome),
            ("timed", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        fields.insert("session".into(), server.id().to_string());
        if let Some(error) = error {
            fields.insert("error".into(), error.into());
        }
        fields
    };
    tests::eventually("both spans closed", || log.0.lock().unwrap().len() == 2).await;
    assert_eq!(
        *log.0.lock().unwrap(),
        vec![
            span("add", "ok", None),
            span("fail", "RangeError", Some("bad input"))
        ]
    );
    // The client side: a traced stub's span has no session (it is not an incoming call).
    log.0.lock().unwrap().clear();
    let traced = calc.layer(TraceLayer::new());
    assert_eq!(traced.square(4).await.unwrap(), 16);
    tests::eventually("both spans closed", || log.0.lock().unwrap().len() == 2).await;
    let mut outbound = span("square", "ok", None);
    outbound.remove("session");
    outbound.insert("direction".into(), "outbound".into());
    let spans = log.0.lock().unwrap().clone();
    assert_eq!(spans, vec![span("square", "ok", None), outbound]);
}

#[tokio::test]
async fn http_servers_apply_the_session_setup_to_batch_and_websocket_sessions() {
    use rpc_transports::{http_batch, websocket};
    let metrics = MetricsLayer::new();
    let counts = metrics.counts();
    let config = http_batch::HttpConfig::default().with_session_setup(move |builder| {
        builder
            .layer(metrics.clone())
            .layer(PolicyLayer::deny_methods(["explode"]))
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(http_batch::serve_with(
        listener,
        || CalculatorServer::new(CalculatorImpl::default()),
        config,
    ));

    // One HTTP batch: the call, and a denied one.
    let batch = http_batch::session(&format!("http://{addr}/"), None).unwrap();
    let calc: CalculatorClient = batch.main_as();
    let (sum, denied) = tokio::join!(calc.add(1, 2).into_future(), calc.explode().into_future());
    assert_eq!(sum.unwrap(), 3);
    assert_eq!(denied.unwrap_err().kind(), ErrorKind::UnknownMethod);

    // A WebSocket session on the same server.
    let socket = websocket::connect(&format!("ws://{addr}/")).await.unwrap();
    let session = Session::builder()
        .codec(rpc_core::codec::Json)
        .start(socket);
    let calc: CalculatorClient = session.main_as();
    assert_eq!(calc.square(9).await.unwrap(), 81);

    // Denied calls never reach the metrics layer inside the policy.
    assert_eq!(tally(&counts, "add"), (1, 0));
    assert_eq!(tally(&counts, "square"), (1, 0));
    assert_eq!(tally(&counts, "explode"), (0, 0));
}
