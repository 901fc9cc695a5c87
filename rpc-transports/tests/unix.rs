#![cfg(all(feature = "unix", unix))]

mod common;

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{SIZES, payload, within_time};
use futures::{SinkExt, StreamExt};
use rpc_core::Frame;
use rpc_transports::FramingConfig;
use rpc_transports::unix::{self, UnixListener};

/// A socket path unique to this process and call, removed when dropped.
struct SocketPath(PathBuf);

impl SocketPath {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let path =
            std::env::temp_dir().join(format!("capstan-test-{}-{n}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        SocketPath(path)
    }
}

impl Drop for SocketPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn frames_of_all_sizes_go_both_ways_intact_and_in_order() {
    within_time(async {
        let path = SocketPath::new();
        let listener = UnixListener::bind(&path.0).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_pathname(),
            Some(path.0.as_path())
        );

        let server = tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            for size in SIZES {
                let frame = conn.next().await.unwrap().unwrap();
                assert_eq!(frame, Frame::Binary(payload(size, 1)), "size {size}");
            }
            for size in SIZES {
                conn.send(Frame::Binary(payload(size, 2))).await.unwrap();
            }
            conn.close().await.unwrap();
        });

        let mut client = unix::connect(&path.0).await.unwrap();
        for size in SIZES {
            client.send(Frame::Binary(payload(size, 1))).await.unwrap();
        }
        for size in SIZES {
            let frame = client.next().await.unwrap().unwrap();
            assert_eq!(frame, Frame::Binary(payload(size, 2)), "size {size}");
        }
        assert!(client.next().await.is_none(), "server closed");
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn incoming_gives_each_client_its_own_connection() {
    within_time(async {
        let path = SocketPath::new();
        let mut incoming = UnixListener::bind(&path.0).unwrap().incoming();
        let mut first = unix::connect(&path.0).await.unwrap();
        let mut second = unix::connect(&path.0).await.unwrap();
        let mut accepted_first = incoming.next().await.unwrap().unwrap();
        let mut accepted_second = incoming.next().await.unwrap().unwrap();

        first.send(Frame::Binary("one".into())).await.unwrap();
        second.send(Frame::Binary("two".into())).await.unwrap();
        assert_eq!(
            accepted_first.next().await.unwrap().unwrap(),
            Frame::Binary("one".into())
        );
        assert_eq!(
            accepted_second.next().await.unwrap().unwrap(),
            Frame::Binary("two".into())
        );
    })
    .await;
}

#[tokio::test]
async fn oversize_frame_is_an_error_naming_the_limit() {
    within_time(async {
        let path = SocketPath::new();
        let small = FramingConfig::default().with_max_frame_bytes(1024);
        let listener = UnixListener::bind(&path.0).unwrap().with_config(small);
        let mut client = unix::connect(&path.0).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();

        client.send(Frame::Binary(payload(4096, 0))).await.unwrap();
        let err = server.next().await.unwrap().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("max_frame_bytes"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn peer_closing_ends_the_stream() {
    within_time(async {
        let path = SocketPath::new();
        let listener = UnixListener::bind(&path.0).unwrap();
        let mut client = unix::connect(&path.0).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        client.close().await.unwrap();
        assert!(server.next().await.is_none());
    })
    .await;
}
