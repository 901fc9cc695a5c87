//! A 1 GiB stream into a reader that sleeps: the writer waits for the reader, so memory stays
//! bounded. Alone in its test binary, so no other test disturbs the process's RSS.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use futures::StreamExt;
use rpc_core::{RpcError, RpcStream, Session, rpc_interface};

#[rpc_interface]
pub trait Source {
    /// `chunks` chunks of 64 KiB.
    async fn stream(&self, chunks: u64) -> Result<RpcStream<Bytes>, RpcError>;
}

struct SourceImpl;

impl Source for SourceImpl {
    async fn stream(&self, chunks: u64) -> Result<RpcStream<Bytes>, RpcError> {
        let chunk = Bytes::from(vec![7u8; 64 * 1024]);
        Ok(RpcStream::new(futures::stream::iter(
            (0..chunks).map(move |_| chunk.clone()),
        )))
    }
}

fn rss_kib() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_keeps_memory_bounded_over_one_gibibyte() {
    let (a, b) = rpc_transports::memory::pair();
    let _server = Session::builder()
        .main(SourceServer::new(SourceImpl))
        .start(a);
    let client = Session::builder().start(b);
    let api: SourceClient = client.main_as();

    let baseline = rss_kib();
    let peak = Arc::new(AtomicUsize::new(baseline));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = std::thread::spawn({
        let (peak, done) = (peak.clone(), done.clone());
        move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    });

    let chunks = 16 * 1024; // 16 Ki chunks of 64 KiB: 1 GiB
    let mut s = api.stream(chunks).await.unwrap();
    let (mut read, mut bytes) = (0u64, 0usize);
    while let Some(chunk) = s.next().await {
        bytes += chunk.unwrap().len();
        read += 1;
        if read % 32 == 0 {
            // The reader is slower than the writer.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    assert_eq!((read, bytes), (chunks, 1 << 30));
    let grew_mib = peak.load(Ordering::Relaxed).saturating_sub(baseline) / 1024;
    println!("peak RSS grew by {grew_mib} MiB over the baseline");
    assert!(grew_mib < 64, "peak RSS grew by {grew_mib} MiB");
}
