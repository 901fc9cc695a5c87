#![cfg(feature = "tcp")]

mod common;

use std::collections::HashSet;
use std::io;

use common::{SIZES, payload, within_time};
use futures::{SinkExt, StreamExt};
use rpc_core::Frame;
use rpc_transports::FramingConfig;
use rpc_transports::tcp::{self, TcpListener};

async fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.unwrap()
}

#[tokio::test]
async fn frames_of_all_sizes_go_both_ways_intact_and_in_order() {
    within_time(async {
        let listener = listener().await;
        let addr = listener.local_addr().unwrap();

        let server = tokio::spawn(async move {
            let (mut conn, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, conn.get_ref().peer_addr().unwrap());
            for size in SIZES {
                let frame = conn.next().await.unwrap().unwrap();
                assert_eq!(frame, Frame::Binary(payload(size, 1)), "size {size}");
            }
            for size in SIZES {
                conn.send(Frame::Binary(payload(size, 2))).await.unwrap();
            }
            conn.close().await.unwrap();
        });

        let mut client = tcp::connect(addr).await.unwrap();
        assert!(client.get_ref().nodelay().unwrap());
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
async fn text_frames_arrive_as_binary() {
    within_time(async {
        let listener = listener().await;
        let mut client = tcp::connect(listener.local_addr().unwrap()).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        client
            .send(Frame::Text("[\"pull\",1]".into()))
            .await
            .unwrap();
        assert_eq!(
            server.next().await.unwrap().unwrap(),
            Frame::Binary("[\"pull\",1]".into())
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_clients_each_get_their_own_connection() {
    within_time(async {
        let listener = listener().await;
        let addr = listener.local_addr().unwrap();

        // An echo server that tags nothing: a client can only see its own frames if each
        // connection is separate.
        tokio::spawn(async move {
            let mut incoming = listener.incoming();
            while let Some(conn) = incoming.next().await {
                let mut conn = conn.unwrap();
                tokio::spawn(async move {
                    while let Some(Ok(frame)) = conn.next().await {
                        conn.send(frame).await.unwrap();
                    }
                });
            }
        });

        let clients = (0..3u8).map(|id| {
            tokio::spawn(async move {
                let mut client = tcp::connect(addr).await.unwrap();
                for round in 0..5u8 {
                    let frame = Frame::Binary(payload(100, id * 10 + round));
                    client.send(frame.clone()).await.unwrap();
                    assert_eq!(client.next().await.unwrap().unwrap(), frame);
                }
                client.get_ref().local_addr().unwrap()
            })
        });
        let mut local_addrs = HashSet::new();
        for client in clients.collect::<Vec<_>>() {
            local_addrs.insert(client.await.unwrap());
        }
        assert_eq!(local_addrs.len(), 3);
    })
    .await;
}

#[tokio::test]
async fn oversize_incoming_frame_is_an_error_naming_the_limit() {
    within_time(async {
        let small = FramingConfig::default().with_max_frame_bytes(1024);
        let listener = listener().await.with_config(small);
        let mut client = tcp::connect(listener.local_addr().unwrap()).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        assert_eq!(server.config().max_frame_bytes, 1024);

        // Exactly the limit is fine; one byte more is not.
        client.send(Frame::Binary(payload(1024, 0))).await.unwrap();
        client.send(Frame::Binary(payload(1025, 0))).await.unwrap();
        assert_eq!(
            server.next().await.unwrap().unwrap(),
            Frame::Binary(payload(1024, 0))
        );
        let err = server.next().await.unwrap().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("max_frame_bytes"), "{err}");
        assert!(server.next().await.is_none(), "no frames after an error");
    })
    .await;
}

#[tokio::test]
async fn oversize_outgoing_frame_fails_the_send() {
    within_time(async {
        let listener = listener().await;
        let small = FramingConfig::default().with_max_frame_bytes(1024);
        let mut client = tcp::connect_with(listener.local_addr().unwrap(), small)
            .await
            .unwrap();
        let err = client
            .send(Frame::Binary(payload(2048, 0)))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("max_frame_bytes"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn peer_closing_or_dropping_ends_the_stream() {
    within_time(async {
        let listener = listener().await;
        let addr = listener.local_addr().unwrap();

        let mut closing = tcp::connect(addr).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        closing.send(Frame::Binary("bye".into())).await.unwrap();
        closing.close().await.unwrap();
        assert_eq!(
            server.next().await.unwrap().unwrap(),
            Frame::Binary("bye".into())
        );
        assert!(server.next().await.is_none());
        // A half-close: the closed side can still receive.
        server.send(Frame::Binary("late".into())).await.unwrap();
        assert_eq!(
            closing.next().await.unwrap().unwrap(),
            Frame::Binary("late".into())
        );

        let dropping = tcp::connect(addr).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        drop(dropping);
        assert!(server.next().await.is_none());
    })
    .await;
}
