//! Stream throughput over TCP on 127.0.0.1: a Capstan `RpcStream<u64>` against hand-written
//! baselines that move the same items over the same length-prefixed framing.
//!
//! - **capstan**: a server method returns `RpcStream<u64>` of `0..ITEMS`; the client reads it
//!   all. Default sessions (MessagePack, default window), `tcp::connect` / `TcpListener`.
//! - **baseline, one frame per item**: a producer task sends `0..ITEMS` into a
//!   `tokio::sync::mpsc` channel; a writer task sends each item as its own 8-byte frame on a
//!   `FramedTransport`, flushing whenever the channel has nothing ready.
//! - **baseline, batched**: the same, but the writer packs whatever the channel has ready (up
//!   to 4096 items, Capstan's own batch limit) into one frame, as a hand-written service
//!   would.
//!
//! The baselines have no flow control beyond TCP's, no acknowledgements and no encoding beyond
//! 8 little-endian bytes per item: they are the floor the protocol's costs sit on.
//!
//! `cargo bench -p rpc-transports --bench stream_throughput` measures (median of 3 runs after
//! a warm-up) and prints one line per case, the ratios, and one JSON line. Under `cargo test
//! --all-targets` (no `--bench` argument) it only checks each case once on a few items.

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use rpc_core::{RpcError, RpcStream, Session, rpc_interface};
use rpc_transports::{Frame, tcp};
use tokio::sync::mpsc;

/// Items per measured run.
const ITEMS: u64 = 1_000_000;
/// Measured runs per case; the median is reported.
const RUNS: usize = 3;
/// Most items a batched baseline frame carries.
const BATCH: usize = 4096;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

#[rpc_interface]
trait Numbers {
    /// `0 … n-1`.
    async fn count(&self, n: u64) -> Result<RpcStream<u64>, RpcError>;
}

struct NumbersImpl;

impl Numbers for NumbersImpl {
    async fn count(&self, n: u64) -> Result<RpcStream<u64>, RpcError> {
        Ok(RpcStream::new(futures::stream::iter(0..n)))
    }
}

/// Reads `n` items of a Capstan stream over a fresh TCP connection.
async fn capstan(n: u64) -> BenchResult<Duration> {
    let listener = tcp::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(rpc_core::serve(listener.incoming(), || {
        Session::builder().main(NumbersServer::new(NumbersImpl))
    }));
    let session = Session::builder().start(tcp::connect(addr).await?);
    let api: NumbersClient = session.main_as();
    let start = Instant::now();
    let mut items = api.count(n).await?;
    let mut next = 0;
    while let Some(item) = items.next().await {
        assert_eq!(item?, next, "items arrive in order");
        next += 1;
    }
    let elapsed = start.elapsed();
    assert_eq!(next, n, "every item arrived");
    session.close();
    server.abort();
    Ok(elapsed)
}

/// Reads `n` items sent by a hand-written mpsc-to-frames writer over a fresh TCP connection.
async fn baseline(n: u64, batched: bool) -> BenchResult<Duration> {
    let listener = tcp::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let (mut conn, _) = listener.accept().await?;
        let (tx, mut rx) = mpsc::channel::<u64>(1024);
        tokio::spawn(async move {
            for i in 0..n {
                if tx.send(i).await.is_err() {
                    break;
                }
            }
        });
        while let Some(first) = rx.recv().await {
            if batched {
                let mut frame = Vec::with_capacity(8 * BATCH);
                frame.extend_from_slice(&first.to_le_bytes());
                while frame.len() < 8 * BATCH {
                    match rx.try_recv() {
                        Ok(item) => frame.extend_from_slice(&item.to_le_bytes()),
                        Err(_) => break,
                    }
                }
                conn.feed(Frame::Binary(Bytes::from(frame))).await?;
            } else {
                let mut item = Some(first);
                while let Some(i) = item {
                    conn.feed(Frame::Binary(Bytes::copy_from_slice(&i.to_le_bytes())))
                        .await?;
                    item = rx.try_recv().ok();
                }
            }
            // Nothing more is ready: push out what has been fed.
            conn.flush().await?;
        }
        // Shut down the write side: the reader's stream ends.
        conn.close().await?;
        std::io::Result::Ok(())
    });
    let mut conn = tcp::connect(addr).await?;
    let start = Instant::now();
    let mut next = 0u64;
    while let Some(frame) = conn.next().await {
        let Frame::Binary(bytes) = frame? else {
            return Err("a byte stream carries binary frames".into());
        };
        for chunk in bytes.chunks_exact(8) {
            let item = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            assert_eq!(item, next, "items arrive in order");
            next += 1;
        }
    }
    let elapsed = start.elapsed();
    assert_eq!(next, n, "every item arrived");
    server.await??;
    Ok(elapsed)
}

/// A measured case: its name in the output, its JSON key, and its median time.
struct Case {
    name: &'static str,
    key: &'static str,
    median: Duration,
}

/// Runs case `case` (the order of `names` in `main`) on `n` items.
async fn run(case: usize, n: u64) -> BenchResult<Duration> {
    match case {
        0 => capstan(n).await,
        1 => baseline(n, false).await,
        _ => baseline(n, true).await,
    }
}

fn items_per_second(n: u64, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64()
}

#[tokio::main]
async fn main() -> BenchResult<()> {
    let names = [
        (
            "capstan RpcStream<u64> (MessagePack, default session)",
            "capstan",
        ),
        (
            "baseline mpsc -> one frame per item",
            "baseline_frame_per_item",
        ),
        (
            "baseline mpsc -> batched frames (<= 4096 items)",
            "baseline_batched",
        ),
    ];
    if !std::env::args().any(|arg| arg == "--bench") {
        // Built and run by `cargo test --all-targets`: check each case works, time nothing.
        for case in 0..names.len() {
            run(case, 10_000).await?;
        }
        println!("stream_throughput: smoke run passed (use `cargo bench` to measure)");
        return Ok(());
    }

    let mut cases = Vec::new();
    for (case, (name, key)) in names.into_iter().enumerate() {
        run(case, ITEMS / 10).await?; // warm-up: connections, allocator, caches
        let mut runs = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            runs.push(run(case, ITEMS).await?);
        }
        runs.sort();
        cases.push(Case {
            name,
            key,
            median: runs[RUNS / 2],
        });
    }

    println!("stream_throughput: {ITEMS} u64 over TCP on 127.0.0.1, median of {RUNS} runs");
    for case in &cases {
        println!(
            "{}: {:.0} items/s ({:.1} ms)",
            case.name,
            items_per_second(ITEMS, case.median),
            case.median.as_secs_f64() * 1e3
        );
    }
    let rate = |i: usize| items_per_second(ITEMS, cases[i].median);
    let (per_item, batched) = (rate(0) / rate(1), rate(0) / rate(2));
    println!("ratio capstan / baseline one frame per item: {per_item:.3}");
    println!("ratio capstan / baseline batched: {batched:.3}");
    let mut json = format!("{{\"items\":{ITEMS},\"runs\":{RUNS}");
    for (i, case) in cases.iter().enumerate() {
        json += &format!(",\"{}_items_per_s\":{:.0}", case.key, rate(i));
    }
    json += &format!(
        ",\"ratio_capstan_to_frame_per_item\":{per_item:.4},\"ratio_capstan_to_batched\":{batched:.4}}}"
    );
    println!("{json}");
    Ok(())
}
