//! Stream flow control: many small items share a message between Capstan peers, and the
//! writer's window (configurable) bounds how far a producer runs ahead of a reader.

use std::{sync::atomic::Ordering, time::Duration};

use futures::StreamExt;
use rpc_core::{Limits, Session, codec::Json, codec::MsgPack};
use rpc_transports::testing::FrameCounter;
use tests::streams::{StreamsClient, StreamsImpl, StreamsServer};

#[tokio::test]
async fn many_small_items_share_a_message_between_capstan_peers() {
    let (a, b) = rpc_transports::memory::pair();
    let server_side = FrameCounter::new(a);
    let counts = server_side.counts();
    let _server = Session::builder()
        .codec(MsgPack)
        .main(StreamsServer::new(StreamsImpl::default()))
        .start(server_side);
    let client = Session::builder().codec(MsgPack).start(b);
    let api: StreamsClient = client.main_as();
    let n = 100_000u64;
    let mut s = api.count(n).await.unwrap();
    let mut next = 0;
    while let Some(x) = s.next().await {
        assert_eq!(x.unwrap(), next);
        next += 1;
    }
    assert_eq!(next, n);
    let frames = counts.sent();
    assert!(frames < (n / 50) as usize, "{frames} frames for {n} items");
}

#[tokio::test]
async fn a_capnweb_peer_gets_one_write_per_item() {
    // capnweb knows only `write`, so a JSON session sends one message per item.
    let (a, b) = rpc_transports::memory::pair();
    let server_side = FrameCounter::new(a);
    let counts = server_side.counts();
    let _server = Session::builder()
        .codec(Json)
        .main(StreamsServer::new(StreamsImpl::default()))
        .start(server_side);
    let client = Session::builder().codec(Json).start(b);
    let api: StreamsClient = client.main_as();
    let items: Vec<u64> = api
        .count(2_000)
        .await
        .unwrap()
        .map(|x| x.unwrap())
        .collect()
        .await;
    assert_eq!(items.len(), 2_000);
    assert!(counts.sent() >= 2_000, "{} frames", counts.sent());
}

/// How many items the endless producer gets ahead of a reader that has read nothing, when the
/// server (the writer) has `window` bytes of window.
async fn run_ahead(window: usize) -> u64 {
    let imp = StreamsImpl::default();
    let (a, b) = rpc_transports::memory::pair();
    let limits = Limits {
        stream_window_bytes: window,
        ..Limits::default()
    };
    let _server = Session::builder()
        .codec(MsgPack)
        .limits(limits)
        .main(StreamsServer::new(imp.clone()))
        .start(a);
    let client = Session::builder().codec(MsgPack).start(b);
    let api: StreamsClient = client.main_as();
    let mut s = api.endless().await.unwrap();
    assert_eq!(s.next().await.unwrap().unwrap(), 0);
    // Read nothing more; let the producer run as far as flow control allows.
    let mut last = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = imp.log.produced.load(Ordering::SeqCst);
        if now == last {
            return now;
        }
        last = now;
    }
}

/// What the items `0 … n-1` weigh packed (MessagePack's smallest integer encodings), which is
/// what flow control counts between Capstan peers.
fn packed_bytes(n: u64) -> u64 {
    (0..n)
        .map(|i| match i {
            0..=0x7f => 1,
            0x80..=0xff => 2,
            0x100..=0xffff => 3,
            _ => 5,
        })
        .sum()
}

#[tokio::test]
async fn the_window_bounds_how_far_the_writer_runs_ahead() {
    const KIB: u64 = 1024;
    let small = packed_bytes(run_ahead(1024).await);
    let default = packed_bytes(run_ahead(Limits::default().stream_window_bytes).await);
    // The reader's side accepts up to 64 KiB before its application must read; the writer's
    // window bounds the rest (plus the run in flight when it filled, a quarter window).
    assert!(
        small < 64 * KIB + 2 * KIB,
        "a 1 KiB window let {small} bytes ahead"
    );
    assert!(
        default > 128 * KIB,
        "the default window let only {default} bytes ahead"
    );
    assert!(
        default < 64 * KIB + 256 * KIB + 64 * KIB,
        "the default window let {default} bytes ahead"
    );
}

/// Without batching (a JSON peer) every tiny item is its own write message, each a table entry
/// at the reader until acknowledged: the window must bound messages as well as bytes, and
/// stream writes must not count as calls in flight. (30,000 items failed before.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tiny_items_stream_both_ways_to_a_json_peer() {
    let (a, b) = rpc_transports::memory::pair();
    let _server = Session::builder()
        .codec(Json)
        .main(StreamsServer::new(StreamsImpl::default()))
        .start(a);
    let client = Session::builder().codec(Json).start(b);
    let api: StreamsClient = client.main_as();
    let n = 30_000u64;
    let input = rpc_core::RpcStream::new(futures::stream::iter((0..n).map(|i| i.to_string())));
    let replies: Vec<String> = api
        .chat(input)
        .await
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
        .await;
    assert_eq!(replies.len() as u64, n + 1);
    assert_eq!(replies.last().map(String::as_str), Some("bye"));
}
