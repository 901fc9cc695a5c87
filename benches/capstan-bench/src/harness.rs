//! What every subject shares: workloads, parameters, the closed-loop call driver, statistics
//! and the JSON fields they produce.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde_json::{Map, Value, json};

/// Errors inside a subject: any error, as text in the report.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// A subject's result.
pub type Res<T> = Result<T, BoxError>;

/// What a run reports.
pub enum Outcome {
    /// Measured: the JSON fields.
    Ok(Map<String, Value>),
    /// The subject cannot express the workload.
    Unsupported(String),
    /// It failed.
    Error(String),
}

/// The workloads; each has one definition for every subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    Latency,
    Throughput,
    Payload,
    Stream,
    StreamBidi,
    Pipeline,
    Callback,
    Connections,
}

impl Workload {
    pub const ALL: [Workload; 8] = [
        Workload::Latency,
        Workload::Throughput,
        Workload::Payload,
        Workload::Stream,
        Workload::StreamBidi,
        Workload::Pipeline,
        Workload::Callback,
        Workload::Connections,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Workload::Latency => "latency",
            Workload::Throughput => "throughput",
            Workload::Payload => "payload",
            Workload::Stream => "stream",
            Workload::StreamBidi => "stream_bidi",
            Workload::Pipeline => "pipeline",
            Workload::Callback => "callback",
            Workload::Connections => "connections",
        }
    }

    pub fn parse(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }
}

/// Command-line parameters, defaulted per workload.
#[derive(Clone, Debug)]
pub struct Params {
    /// Calls, items, chains or connections.
    pub n: u64,
    /// Calls in flight.
    pub conc: usize,
    /// Payload bytes.
    pub size: usize,
    /// Proxy delay each way (pipeline).
    pub delay_ms: u64,
    /// Calls per chain (pipeline).
    pub depth: usize,
}

impl Params {
    pub fn defaults(workload: Workload) -> Params {
        let (n, conc) = match workload {
            Workload::Latency => (20_000, 1),
            Workload::Throughput => (200_000, 128),
            Workload::Payload => (5_000, 8),
            Workload::Stream | Workload::StreamBidi => (1_000_000, 1),
            Workload::Pipeline => (50, 1),
            Workload::Callback => (20_000, 1),
            Workload::Connections => (1_000, 1),
        };
        Params {
            n,
            conc,
            size: 64 * 1024,
            delay_ms: 2,
            depth: 5,
        }
    }

    /// Calls made before measuring, on the same connection.
    pub fn warmup(&self) -> u64 {
        (self.n / 10).clamp(1, 2_000)
    }
}

/// The elapsed time of a closed loop and the latency of each call.
pub struct Timing {
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
}

/// Makes `n` calls, `conc` in flight at a time (a new one starts when one ends), all polled
/// from the calling task. `call(i)` makes call number `i`.
pub async fn closed_loop<F, Fut>(n: u64, conc: usize, mut call: F) -> Res<Timing>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Res<()>>,
{
    let mut latencies = Vec::with_capacity(n as usize);
    let mut in_flight = FuturesUnordered::new();
    let timed = |fut: Fut| async move {
        let start = Instant::now();
        fut.await.map(|()| start.elapsed())
    };
    let start = Instant::now();
    let mut issued = 0;
    while issued < n && in_flight.len() < conc {
        in_flight.push(timed(call(issued)));
        issued += 1;
    }
    while let Some(done) = in_flight.next().await {
        latencies.push(done?);
        if issued < n {
            in_flight.push(timed(call(issued)));
            issued += 1;
        }
    }
    Ok(Timing {
        elapsed: start.elapsed(),
        latencies,
    })
}

/// The `q` quantile (0..=1) of `latencies`, in microseconds.
pub fn quantile_us(latencies: &mut [Duration], q: f64) -> f64 {
    if latencies.is_empty() {
        return 0.0;
    }
    latencies.sort_unstable();
    let i = ((latencies.len() - 1) as f64 * q).round() as usize;
    latencies[i].as_secs_f64() * 1e6
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// Fields of a call workload (latency, throughput, callback).
pub fn call_fields(n: u64, mut timing: Timing) -> Map<String, Value> {
    let secs = timing.elapsed.as_secs_f64();
    let mut m = Map::new();
    m.insert("n".into(), json!(n));
    m.insert("secs".into(), json!(round(secs, 4)));
    m.insert("per_sec".into(), json!(round(n as f64 / secs, 0)));
    m.insert(
        "p50_us".into(),
        json!(round(quantile_us(&mut timing.latencies, 0.5), 1)),
    );
    m.insert(
        "p99_us".into(),
        json!(round(quantile_us(&mut timing.latencies, 0.99), 1)),
    );
    m
}

/// Fields of the payload workload: `size` bytes each way per call.
pub fn payload_fields(n: u64, size: usize, timing: Timing) -> Map<String, Value> {
    let secs = timing.elapsed.as_secs_f64();
    let mut m = call_fields(n, timing);
    m.insert(
        "mb_per_s_each_way".into(),
        json!(round(n as f64 * size as f64 / secs / 1e6, 1)),
    );
    m.insert("size".into(), json!(size));
    m
}

/// Fields of a stream workload: `n` items in `elapsed`.
pub fn stream_fields(n: u64, elapsed: Duration) -> Map<String, Value> {
    let secs = elapsed.as_secs_f64();
    let mut m = Map::new();
    m.insert("n".into(), json!(n));
    m.insert("secs".into(), json!(round(secs, 4)));
    m.insert("per_sec".into(), json!(round(n as f64 / secs, 0)));
    m
}

/// Fields of the pipeline workload: `chains` chains in `elapsed`, and the proxy's own round trip.
pub fn pipeline_fields(
    chains: u64,
    depth: usize,
    elapsed: Duration,
    proxy_rtt: Duration,
    note: &str,
) -> Map<String, Value> {
    let ms_per_chain = elapsed.as_secs_f64() * 1e3 / chains as f64;
    let rtt_ms = proxy_rtt.as_secs_f64() * 1e3;
    let mut m = Map::new();
    m.insert("n".into(), json!(chains));
    m.insert("depth".into(), json!(depth));
    m.insert("secs".into(), json!(round(elapsed.as_secs_f64(), 4)));
    m.insert("ms_per_chain".into(), json!(round(ms_per_chain, 3)));
    m.insert("proxy_rtt_ms".into(), json!(round(rtt_ms, 3)));
    m.insert(
        "round_trips_per_chain".into(),
        json!(round(ms_per_chain / rtt_ms, 2)),
    );
    m.insert("note".into(), json!(note));
    m
}

/// Runs one warm-up chain, then times `chains` more, and reports them as pipeline fields: the
/// pipeline workload of every subject, which differ only in how a chain is made.
pub async fn time_chains<F, Fut>(
    chains: u64,
    depth: usize,
    proxy_rtt: Duration,
    note: &str,
    mut chain: F,
) -> Res<Map<String, Value>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Res<()>>,
{
    chain().await?;
    let start = Instant::now();
    for _ in 0..chains {
        chain().await?;
    }
    Ok(pipeline_fields(
        chains,
        depth,
        start.elapsed(),
        proxy_rtt,
        note,
    ))
}

/// Fields of the connections workload: `n` connections grew RSS from `before_kb` to `after_kb`.
pub fn connection_fields(n: u64, before_kb: u64, after_kb: u64, note: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("n".into(), json!(n));
    m.insert("rss_before_kb".into(), json!(before_kb));
    m.insert("rss_after_kb".into(), json!(after_kb));
    m.insert(
        "kib_per_conn".into(),
        json!(round(
            after_kb.saturating_sub(before_kb) as f64 / n as f64,
            2
        )),
    );
    m.insert("note".into(), json!(note));
    m
}

fn status_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resident memory now, in KiB (Linux).
pub fn rss_kb() -> Option<u64> {
    status_kb("VmRSS:")
}

/// Peak resident memory, in KiB (Linux).
pub fn peak_rss_kb() -> Option<u64> {
    status_kb("VmHWM:")
}

/// Lets RSS settle after connections are made: a short sleep, twice read.
pub async fn settled_rss_kb() -> u64 {
    tokio::time::sleep(Duration::from_millis(300)).await;
    rss_kb().unwrap_or(0)
}

/// Makes a subject's call error into a `BoxError`.
pub fn err<E: std::fmt::Display>(e: E) -> BoxError {
    e.to_string().into()
}
