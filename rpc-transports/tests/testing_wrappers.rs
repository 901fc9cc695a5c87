#![cfg(feature = "memory")]

mod common;

use std::time::Duration;

use common::within_time;
use futures::{SinkExt, StreamExt};
use rpc_core::Frame;
use rpc_transports::memory;
use rpc_transports::testing::{FrameCounter, Latency};
use tokio::time::Instant;

fn text(n: usize) -> Frame {
    Frame::Text(format!("frame {n}"))
}

#[tokio::test]
async fn frame_counter_counts_exactly() {
    within_time(async {
        let (a, mut b) = memory::pair();
        let mut a = FrameCounter::new(a);
        let counts = a.counts();
        let same_counts = counts.clone();

        for n in 0..3 {
            a.send(text(n)).await.unwrap();
        }
        for n in 0..2 {
            b.send(text(n)).await.unwrap();
        }
        for _ in 0..2 {
            a.next().await.unwrap().unwrap();
        }
        assert_eq!((counts.sent(), counts.received()), (3, 2));
        assert_eq!((same_counts.sent(), same_counts.received()), (3, 2));

        counts.reset();
        assert_eq!((same_counts.sent(), same_counts.received()), (0, 0));

        // End-of-stream is not a frame.
        drop(b);
        assert!(a.next().await.is_none());
        assert_eq!(counts.received(), 0);
    })
    .await;
}

#[tokio::test]
async fn latency_delays_frames_in_flight_together_not_one_after_another() {
    within_time(async {
        let (mut a, b) = memory::pair();
        let mut b = Latency::new(b, Duration::from_millis(50));
        let start = Instant::now();
        for n in 0..10 {
            a.send(text(n)).await.unwrap();
        }
        for n in 0..10 {
            assert_eq!(b.next().await.unwrap().unwrap(), text(n));
        }
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(50), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(150), "{elapsed:?}");
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn latency_counts_from_each_frame_arrival() {
    let (mut a, b) = memory::pair();
    let mut b = Latency::new(b, Duration::from_millis(50));
    let start = Instant::now();
    a.send(text(0)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(30)).await;
    a.send(text(1)).await.unwrap();

    assert_eq!(b.next().await.unwrap().unwrap(), text(0));
    assert_eq!(start.elapsed(), Duration::from_millis(50));
    assert_eq!(b.next().await.unwrap().unwrap(), text(1));
    assert_eq!(start.elapsed(), Duration::from_millis(80));

    // Polling late does not add the delay again: the frame arrived long ago.
    a.send(text(2)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = Instant::now();
    assert_eq!(b.next().await.unwrap().unwrap(), text(2));
    assert_eq!(before.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn latency_delays_end_of_stream_and_passes_sends_through() {
    let (mut a, b) = memory::pair();
    let mut b = Latency::new(b, Duration::from_millis(50));

    b.send(text(7)).await.unwrap();
    assert_eq!(
        a.next().await.unwrap().unwrap(),
        text(7),
        "sends are not delayed"
    );

    let start = Instant::now();
    drop(a);
    assert!(b.next().await.is_none());
    assert_eq!(start.elapsed(), Duration::from_millis(50));
}

#[tokio::test]
async fn dropping_latency_closes_the_inner_transport() {
    within_time(async {
        let (mut a, b) = memory::pair();
        let b = Latency::new(b, Duration::from_millis(50));
        drop(b);
        assert!(a.next().await.is_none());
    })
    .await;
}
