//! Streams in method signatures: server, client and bidirectional streaming, sinks, half-close,
//! errors, cancellation and disconnect.

use std::{sync::atomic::Ordering, time::Duration};

use futures::StreamExt;
use rpc_core::{ErrorKind, RpcSink, RpcStream, Session, codec::Codec};
use tests::{
    INITIAL, codecs, eventually,
    streams::{Batch, StreamsClient, StreamsImpl, StreamsServer},
    wait_for_stats,
};

fn pair(codec: &std::sync::Arc<dyn Codec>) -> (Session, Session, StreamsImpl) {
    let imp = StreamsImpl::default();
    let (a, b) = rpc_transports::memory::pair();
    let (server, client) = tests::connect_with(codec, StreamsServer::new(imp.clone()), a, b);
    (server, client, imp)
}

async fn collect<T: serde::de::DeserializeOwned>(s: RpcStream<T>) -> Vec<T> {
    s.map(|item| item.expect("no error")).collect().await
}

#[tokio::test]
async fn a_method_returns_a_stream() {
    for codec in codecs() {
        let (server, client, _) = pair(&codec);
        let api: StreamsClient = client.main_as();
        let numbers = api.count(1000).await.unwrap();
        assert_eq!(collect(numbers).await, (0..1000).collect::<Vec<u64>>());
        assert!(collect(api.count(0).await.unwrap()).await.is_empty());
        drop(api);
        wait_for_stats(&client, INITIAL).await;
        wait_for_stats(&server, INITIAL).await;
    }
}

#[tokio::test]
async fn a_method_takes_a_stream() {
    for codec in codecs() {
        let (server, client, _) = pair(&codec);
        let api: StreamsClient = client.main_as();
        let input = RpcStream::new(futures::stream::iter(1..=100u64));
        assert_eq!(api.sum(input).await.unwrap(), 5050);
        let empty = RpcStream::new(futures::stream::iter(Vec::<u64>::new()));
        assert_eq!(api.sum(empty).await.unwrap(), 0);
        drop(api);
        wait_for_stats(&client, INITIAL).await;
        wait_for_stats(&server, INITIAL).await;
    }
}

/// The gRPC chat: the client sends three messages and half-closes; the server answers each
/// as it arrives, sends a last message after the close, then closes its own side.
#[tokio::test]
async fn bidirectional_streaming_with_half_close() {
    for codec in codecs() {
        let (server, client, _) = pair(&codec);
        let api: StreamsClient = client.main_as();
        let (tx, input) = RpcStream::<String>::channel(4);
        let mut replies = api.chat(input).await.unwrap();
        for word in ["one", "two", "three"] {
            tx.send(word.to_string()).await.unwrap();
            // Each answer arrives while our side is still open.
            let reply = replies.next().await.unwrap().unwrap();
            assert_eq!(reply, word.to_uppercase());
        }
        drop(tx); // half-close
        assert_eq!(replies.next().await.unwrap().unwrap(), "bye");
        assert!(replies.next().await.is_none(), "the server closed its side");
        drop((replies, api));
        wait_for_stats(&client, INITIAL).await;
        wait_for_stats(&server, INITIAL).await;
    }
}

#[tokio::test]
async fn a_method_writes_into_the_callers_sink() {
    for codec in codecs() {
        let (server, client, _) = pair(&codec);
        let api: StreamsClient = client.main_as();
        let (sink, received) = RpcSink::<u64>::channel();
        assert_eq!(api.fill(sink, 5).await.unwrap(), 5);
        assert_eq!(collect(received).await, [0, 1, 2, 3, 4]);
        drop(api);
        wait_for_stats(&client, INITIAL).await;
        wait_for_stats(&server, INITIAL).await;
    }
}

#[tokio::test]
async fn streams_sit_inside_structs() {
    for codec in codecs() {
        let (server, client, _) = pair(&codec);
        let api: StreamsClient = client.main_as();
        let batch = Batch {
            label: "b1".into(),
            items: RpcStream::new(futures::stream::iter([1u64, 2, 3])),
        };
        let tally = api.tally(batch).await.unwrap();
        assert_eq!((tally.label.as_str(), tally.total), ("b1", 6));
        assert_eq!(collect(tally.running).await, [1, 3, 6]);
        drop(api);
        wait_for_stats(&client, INITIAL).await;
        wait_for_stats(&server, INITIAL).await;
    }
}

#[tokio::test]
async fn a_failing_stream_delivers_its_error_to_the_reader() {
    for codec in codecs() {
        let (_server, client, _) = pair(&codec);
        let api: StreamsClient = client.main_as();
        let mut s = api.fail_after(2).await.unwrap();
        assert_eq!(s.next().await.unwrap().unwrap(), 0);
        assert_eq!(s.next().await.unwrap().unwrap(), 1);
        let err = s.next().await.unwrap().unwrap_err();
        assert_eq!((err.name(), err.message()), ("RangeError", "stream failed"));
        assert!(s.next().await.is_none());
    }
}

#[tokio::test]
async fn dropping_the_reader_cancels_the_writer() {
    for codec in codecs() {
        let (server, client, imp) = pair(&codec);
        let api: StreamsClient = client.main_as();
        let mut s = api.endless().await.unwrap();
        for i in 0..10u64 {
            assert_eq!(s.next().await.unwrap().unwrap(), i);
        }
        drop(s);
        eventually("the producer sees the cancel", || {
            imp.log.producer_cancelled.load(Ordering::SeqCst)
        })
        .await;
        drop(api);
        wait_for_stats(&client, INITIAL).await;
        wait_for_stats(&server, INITIAL).await;
    }
}

#[tokio::test]
async fn dropping_a_call_cancels_the_streams_it_created() {
    for codec in codecs() {
        let (server, client, imp) = pair(&codec);
        let api: StreamsClient = client.main_as();
        let (tx, input) = RpcStream::<u64>::channel(4);
        let producer = tokio::spawn(async move {
            let mut i = 0;
            while tx.send(i).await.is_ok() {
                i += 1;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            i
        });
        let call = api.drain_forever(input);
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(call);
        // The callee's handler is dropped, its reader with it, and our producer learns at its
        // next writes.
        tokio::time::timeout(Duration::from_secs(5), producer)
            .await
            .expect("the producer sees the cancel")
            .unwrap();
        eventually("the handler was dropped", || {
            imp.log.drain_dropped.load(Ordering::SeqCst)
        })
        .await;
        drop(api);
        wait_for_stats(&client, INITIAL).await;
        wait_for_stats(&server, INITIAL).await;
    }
}

#[tokio::test]
async fn a_disconnect_fails_open_streams_on_both_sides() {
    for codec in codecs() {
        let (server, client, imp) = pair(&codec);
        let api: StreamsClient = client.main_as();
        let mut incoming = api.endless().await.unwrap();
        assert_eq!(incoming.next().await.unwrap().unwrap(), 0);
        let (tx, outgoing) = RpcStream::<u64>::channel(4);
        let call = tokio::spawn({
            let api = api.clone();
            async move { api.drain_forever(outgoing).await }
        });
        tx.send(7).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;

        server.close();

        // Our reading side ends with the typed disconnect error...
        let err = loop {
            match incoming.next().await {
                Some(Ok(_)) => continue,
                Some(Err(e)) => break e,
                None => panic!("the stream ended cleanly instead of failing"),
            }
        };
        assert_eq!(err.kind(), ErrorKind::Disconnected, "{err}");
        assert_eq!(
            call.await.unwrap().unwrap_err().kind(),
            ErrorKind::Disconnected
        );
        // ...and so does the server's reader of our stream.
        eventually("the server's read ends", || {
            imp.log.drain_ended.lock().unwrap().is_some()
                || imp.log.drain_dropped.load(Ordering::SeqCst)
        })
        .await;
        if let Some(ended) = *imp.log.drain_ended.lock().unwrap() {
            assert_eq!(ended, Err(ErrorKind::Disconnected));
        }
    }
}

#[tokio::test]
async fn an_idle_producer_learns_at_once_when_the_session_ends() {
    for codec in codecs() {
        let (server, client, imp) = pair(&codec);
        let api: StreamsClient = client.main_as();
        let _reading = api.idle().await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!imp.log.idle_closed.load(Ordering::SeqCst));
        client.close();
        eventually("the idle producer learns", || {
            imp.log.idle_closed.load(Ordering::SeqCst)
        })
        .await;
        server.closed().await;
    }
}
