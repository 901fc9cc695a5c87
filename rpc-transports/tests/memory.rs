#![cfg(feature = "memory")]

mod common;

use std::io;

use common::within_time;
use futures::{SinkExt, StreamExt};
use rpc_core::Frame;
use rpc_transports::memory;

#[tokio::test]
async fn frames_keep_order_and_kind_both_ways() {
    within_time(async {
        let (mut a, mut b) = memory::pair();
        let frames = vec![
            Frame::Text("first".into()),
            Frame::Binary("second".into()),
            Frame::Text(String::new()),
            Frame::Binary(bytes::Bytes::new()),
        ];
        for frame in &frames {
            a.send(frame.clone()).await.unwrap();
            b.send(frame.clone()).await.unwrap();
        }
        for frame in &frames {
            assert_eq!(&b.next().await.unwrap().unwrap(), frame);
            assert_eq!(&a.next().await.unwrap().unwrap(), frame);
        }
    })
    .await;
}

#[tokio::test]
async fn dropping_one_side_ends_the_other_stream_after_pending_frames() {
    within_time(async {
        let (mut a, mut b) = memory::pair();
        a.send(Frame::Text("last words".into())).await.unwrap();
        drop(a);
        assert_eq!(
            b.next().await.unwrap().unwrap(),
            Frame::Text("last words".into())
        );
        assert!(b.next().await.is_none());

        let err = b.send(Frame::Text("anyone?".into())).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    })
    .await;
}

#[tokio::test]
async fn closing_the_sink_ends_the_peer_stream_but_still_receives() {
    within_time(async {
        let (mut a, mut b) = memory::pair();
        a.close().await.unwrap();
        assert!(b.next().await.is_none());

        b.send(Frame::Text("still heard".into())).await.unwrap();
        assert_eq!(
            a.next().await.unwrap().unwrap(),
            Frame::Text("still heard".into())
        );
    })
    .await;
}
