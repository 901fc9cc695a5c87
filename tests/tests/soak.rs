//! Soak tests, outside the default run (they take a while):
//!
//! ```sh
//! cargo test -p tests --release --test soak -- --ignored --nocapture
//! ```
//!
//! - One connection, 1,000,000 calls of a mixed workload (calls, callbacks, capabilities
//!   created and dropped, pipelining, streams): both sessions' tables end as they started,
//!   and the second half of the run grows the RSS by no more than 5 %.
//! - 1,000 concurrent connections on loopback, with calls on each.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use futures::StreamExt;
use rpc_core::{Callback, RpcStream, Server, Session};
use rpc_transports::tcp;
use tests::{
    CalculatorClient, CalculatorImpl, CalculatorServer, INITIAL,
    streams::{StreamsClient, StreamsImpl, StreamsServer},
    wait_for_stats,
};

const CALLS: usize = 1_000_000;
const WORKERS: usize = 16;

fn rss_kib() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// One round of the mixed workload; returns how many calls it made.
async fn round(calc: &CalculatorClient, streams: &StreamsClient, i: i64) -> usize {
    let mut calls = 0;
    assert_eq!(calc.add(i, 1).await.unwrap(), i + 1);
    calls += 1;
    let counter = calc.make_counter(i).await.unwrap();
    assert_eq!(counter.increment(1).await.unwrap(), i + 1);
    assert_eq!(calc.increment_counter(counter, 1).await.unwrap(), i + 2);
    calls += 3;
    assert_eq!(calc.make_counter(i).increment(2).await.unwrap(), i + 2);
    calls += 2;
    let cb = Callback::new(|x: i64| async move { Ok(x * 2) });
    assert_eq!(calc.call_back(cb, i).await.unwrap(), i * 2);
    calls += 2;
    assert_eq!(calc.square(calc.add(i, 0)).await.unwrap(), i * i);
    calls += 2;
    if i % 100 == 0 {
        let items: Vec<u64> = streams
            .count(100)
            .await
            .unwrap()
            .map(|x| x.unwrap())
            .collect()
            .await;
        assert_eq!(items.len(), 100);
        let input = RpcStream::new(futures::stream::iter(0..100u64));
        assert_eq!(streams.sum(input).await.unwrap(), 4950);
        calls += 2;
    }
    calls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "soak: cargo test -p tests --release --test soak -- --ignored"]
async fn a_million_mixed_calls_on_one_connection_leave_no_trace() {
    let (a, b) = rpc_transports::memory::pair();
    let (c, d) = rpc_transports::memory::pair();
    let calc_server = Session::builder()
        .main(CalculatorServer::new(CalculatorImpl::default()))
        .start(a);
    let calc_client = Session::builder().start(b);
    let streams_server = Session::builder()
        .main(StreamsServer::new(StreamsImpl::default()))
        .start(c);
    let streams_client = Session::builder().start(d);

    let done = Arc::new(AtomicUsize::new(0));
    let half_rss = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let calc: CalculatorClient = calc_client.main_as();
            let streams: StreamsClient = streams_client.main_as();
            let (done, half_rss) = (done.clone(), half_rss.clone());
            tokio::spawn(async move {
                let mut i = w as i64;
                while done.load(Ordering::Relaxed) < CALLS {
                    let before = done.fetch_add(round(&calc, &streams, i).await, Ordering::Relaxed);
                    if before < CALLS / 2 && done.load(Ordering::Relaxed) >= CALLS / 2 {
                        half_rss.store(rss_kib(), Ordering::Relaxed);
                    }
                    i += WORKERS as i64;
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    let end_rss = rss_kib();
    let calls = done.load(Ordering::Relaxed);
    println!(
        "{calls} calls in {:.1} s; RSS at half {} KiB, at the end {end_rss} KiB",
        start.elapsed().as_secs_f64(),
        half_rss.load(Ordering::Relaxed)
    );
    for s in [&calc_server, &calc_client, &streams_server, &streams_client] {
        wait_for_stats(s, INITIAL).await;
    }
    let half = half_rss.load(Ordering::Relaxed) as f64;
    assert!(
        (end_rss as f64) <= half * 1.05,
        "RSS grew from {half} KiB to {end_rss} KiB over the second half"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "soak: cargo test -p tests --release --test soak -- --ignored"]
async fn a_thousand_concurrent_connections_each_make_calls() {
    let listener = tcp::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Server::new();
    tokio::spawn({
        let server = server.clone();
        async move {
            server
                .serve(listener.incoming(), || {
                    Session::builder().main(CalculatorServer::new(CalculatorImpl::default()))
                })
                .await
        }
    });
    let mut clients = Vec::new();
    for _ in 0..1000 {
        clients.push(Session::builder().start(tcp::connect(addr).await.unwrap()));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.connections() < 1000 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.connections(), 1000);
    let calls: Vec<_> = clients
        .iter()
        .enumerate()
        .map(|(i, client)| {
            let calc: CalculatorClient = client.main_as();
            tokio::spawn(async move {
                for k in 0..10i64 {
                    assert_eq!(calc.add(i as i64, k).await.unwrap(), i as i64 + k);
                }
                assert_eq!(calc.make_counter(1).increment(1).await.unwrap(), 2);
            })
        })
        .collect();
    for c in calls {
        c.await.unwrap();
    }
    for client in &clients {
        wait_for_stats(client, INITIAL).await;
        client.close();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.connections() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.connections(), 0);
}
