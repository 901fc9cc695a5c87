//! Fetch API values between two Capstan sessions, in both codecs: URLs, headers, blobs (piped
//! and buffered), requests and responses with inline and streamed bodies, serde structs holding
//! them, and the limit on what a blob may make the receiver buffer.

use std::sync::Arc;

use bytes::Bytes;
use rpc_core::{
    ErrorKind, Limits, RpcError, RpcStream, Session, Stub,
    codec::Codec,
    value::{Blob, Body, Headers, Request, Response, Url, Value, from_value, to_value},
};
use tests::{INITIAL, codecs, wait_for_stats};

/// A server whose main object is a function returning its first argument.
fn echo_pair(codec: &Arc<dyn Codec>, server_limits: Limits) -> (Session, Session) {
    let echo = Stub::from_fn(|args: Vec<Value>| async move {
        Ok::<_, RpcError>(args.into_iter().next().unwrap_or(Value::Undefined))
    });
    let (a, b) = rpc_transports::memory::pair();
    let server = tests::builder(codec)
        .main(echo)
        .limits(server_limits)
        .start(a);
    let client = tests::builder(codec).start(b);
    (server, client)
}

async fn echo(client: &Session, value: Value) -> Result<Value, RpcError> {
    client.main().call_function(vec![value]).await
}

fn byte_stream(chunks: &[&'static [u8]]) -> Body {
    let chunks: Vec<Value> = chunks
        .iter()
        .map(|c| Value::Bytes(Bytes::from_static(c), None))
        .collect();
    Body::from(RpcStream::new(futures::stream::iter(chunks)))
}

#[tokio::test]
async fn urls_and_headers_round_trip() {
    for codec in codecs() {
        let (server, client) = echo_pair(&codec, Limits::default());
        let url = Url::parse("https://example.com/a?b=1#c").unwrap();
        assert_eq!(
            echo(&client, url.clone().into()).await.unwrap(),
            Value::Url(url)
        );
        let headers: Headers = [("content-type", "text/plain"), ("x-b", "2, 3")]
            .into_iter()
            .collect();
        let back = echo(&client, headers.clone().into()).await.unwrap();
        assert_eq!(back, Value::Headers(headers));
        assert_eq!(
            echo(&client, Headers::new().into()).await.unwrap(),
            Value::Headers(Headers::new())
        );
        wait_for_stats(&client, INITIAL).await;
        wait_for_stats(&server, INITIAL).await;
    }
}

#[tokio::test]
async fn blobs_are_piped_and_arrive_whole() {
    for codec in codecs() {
        let (server, client) = echo_pair(&codec, Limits::default());
        // Larger than one 64 KiB pipe write, so it crosses as several chunks.
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        for blob in [
            Blob::new("text/plain", &b"hello"[..]),
            Blob::new("", Bytes::new()),
            Blob::new("application/octet-stream", big),
        ] {
            let back = echo(&client, blob.clone().into()).await.unwrap();
            assert_eq!(back, Value::Blob(blob));
        }
        // Nested among other values, the whole value waits for the blob.
        let nested = Value::Array(vec![Value::from(1), Blob::new("a/b", &b"x"[..]).into()]);
        assert_eq!(echo(&client, nested.clone()).await.unwrap(), nested);
        wait_for_stats(&client, INITIAL).await;
        wait_for_stats(&server, INITIAL).await;
    }
}

#[tokio::test]
async fn requests_round_trip_with_inline_and_streamed_bodies() {
    for codec in codecs() {
        let (_server, client) = echo_pair(&codec, Limits::default());
        let plain = Request::new("https://example.com/");
        assert_eq!(
            echo(&client, plain.clone().into()).await.unwrap(),
            plain.into()
        );

        let mut full = Request::new("https://example.com/upload");
        full.method = "PUT".into();
        full.headers.append("content-type", "text/plain");
        full.body = Some("inline".into());
        full.options.redirect = Some("manual".into());
        full.options.cache = Some("no-store".into());
        full.options.mode = Some("same-origin".into());
        full.options.credentials = Some("include".into());
        full.options.referrer_policy = Some("no-referrer".into());
        full.keepalive = true;
        assert_eq!(
            echo(&client, full.clone().into()).await.unwrap(),
            full.into()
        );

        let mut bytes = Request::new("https://example.com/b");
        bytes.method = "POST".into();
        bytes.body = Some(Body::Bytes(Bytes::from_static(&[0, 1, 255])));
        assert_eq!(
            echo(&client, bytes.clone().into()).await.unwrap(),
            bytes.into()
        );

        let mut streamed = Request::new("https://example.com/s");
        streamed.method = "POST".into();
        streamed.body = Some(byte_stream(&[b"he", b"llo"]));
        let Value::Request(back) = echo(&client, streamed.into()).await.unwrap() else {
            panic!("not a request");
        };
        assert_eq!(back.method, "POST");
        let Some(body @ Body::Stream(_)) = back.body else {
            panic!("a streamed body stays a stream: {:?}", back.body);
        };
        assert_eq!(&body.read_all(1024).await.unwrap()[..], b"hello");
    }
}

#[tokio::test]
async fn responses_round_trip() {
    for codec in codecs() {
        let (_server, client) = echo_pair(&codec, Limits::default());
        let mut resp = Response::new(Some("not here".into()));
        resp.status = 404;
        resp.status_text = "Not Found".into();
        resp.headers.append("x-r", "y");
        assert_eq!(
            echo(&client, resp.clone().into()).await.unwrap(),
            resp.into()
        );

        let mut empty = Response::new(None);
        empty.status = 204;
        assert_eq!(
            echo(&client, empty.clone().into()).await.unwrap(),
            empty.into()
        );

        let streamed = Response::new(Some(byte_stream(&[b"a", b"b", b"c"])));
        let Value::Response(back) = echo(&client, streamed.into()).await.unwrap() else {
            panic!("not a response");
        };
        assert_eq!(back.status, 200);
        let body = back.body.expect("a body");
        assert_eq!(&body.read_all(16).await.unwrap()[..], b"abc");
    }
}

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Upload {
    name: String,
    url: Url,
    headers: Headers,
    file: Blob,
    request: Request,
}

#[tokio::test]
async fn serde_structs_carry_fetch_values() {
    for codec in codecs() {
        let (_server, client) = echo_pair(&codec, Limits::default());
        let upload = Upload {
            name: "a".into(),
            url: Url::parse("https://e.com/").unwrap(),
            headers: [("a", "1")].into_iter().collect(),
            file: Blob::new("text/plain", &b"data"[..]),
            request: Request::new("https://e.com/r"),
        };
        let back = echo(&client, to_value(&upload).unwrap()).await.unwrap();
        assert_eq!(from_value::<Upload>(back).unwrap(), upload);
    }
    // Plain Rust types read a URL as its href, headers as pairs and a blob as its bytes.
    let url = Value::Url(Url::parse("x:y").unwrap());
    assert_eq!(from_value::<String>(url).unwrap(), "x:y");
    let pairs: Vec<(String, String)> =
        from_value(Value::Headers([("a", "b")].into_iter().collect())).unwrap();
    assert_eq!(pairs, [("a".to_string(), "b".to_string())]);
    let err = from_value::<Url>(Value::from("x:y")).unwrap_err();
    assert!(err.message().contains("expected a URL"), "{err}");
}

#[tokio::test]
async fn a_blob_beyond_the_buffer_limit_aborts_the_session() {
    for codec in codecs() {
        let limits = Limits {
            // Above the writer's 256 KiB window, so the pipe itself never refuses a write: the
            // blob's own buffer is what overflows.
            max_stream_buffer_bytes: 300_000,
            ..Limits::default()
        };
        let (server, client) = echo_pair(&codec, limits);
        let blob = Blob::new("", vec![7u8; 1_000_000]);
        let err = echo(&client, blob.into()).await.unwrap_err();
        assert!(err.message().contains("max_stream_buffer_bytes"), "{err:?}");
        let broken = tokio::time::timeout(std::time::Duration::from_secs(5), server.closed())
            .await
            .expect("the server session ends");
        assert_eq!(broken.kind(), ErrorKind::LimitExceeded, "{broken:?}");
        let client_end = tokio::time::timeout(std::time::Duration::from_secs(5), client.closed())
            .await
            .expect("the client hears the abort");
        assert!(client_end.message().contains("blob"), "{client_end:?}");
    }
}

#[tokio::test]
async fn a_body_stream_of_non_bytes_is_refused_on_read() {
    let body = Body::from(RpcStream::new(futures::stream::iter(["text"])));
    let err = body.read_all(100).await.unwrap_err();
    assert!(err.message().contains("must carry bytes"), "{err}");
    let big = Body::Bytes(Bytes::from(vec![0u8; 10]));
    assert_eq!(
        big.read_all(9).await.unwrap_err().kind(),
        ErrorKind::LimitExceeded
    );
    // A stream is read once.
    let stream = RpcStream::new(futures::stream::iter(Vec::<Value>::new()));
    let handle: rpc_core::value::Value = Value::Readable(stream.into());
    let Value::Readable(h) = handle else {
        unreachable!()
    };
    assert!(
        Body::Stream(h.clone())
            .read_all(1)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(Body::Stream(h).read_all(1).await.is_err());
}

/// The next message a raw peer receives, as text.
async fn recv(peer: &mut rpc_core::testing::MemoryEnd) -> String {
    use futures::StreamExt;
    match peer.next().await {
        Some(Ok(rpc_core::Frame::Text(text))) => text,
        other => panic!("expected a text frame, got {other:?}"),
    }
}

async fn send(peer: &mut rpc_core::testing::MemoryEnd, text: &str) {
    use futures::SinkExt;
    peer.send(rpc_core::Frame::Text(text.into())).await.unwrap();
}

/// What a Capstan server sends a raw capnweb-speaking client: a blob is a `pipe`, the value
/// naming it, then the bytes as stream writes; and a `.map()` whose instructions hold Fetch
/// values (as a capnweb recording may) evaluates them.
#[tokio::test]
async fn the_wire_matches_capnweb() {
    let (ours, mut peer) = rpc_core::testing::memory_pair();
    let main = Stub::from_fn(|_args: Vec<Value>| async move {
        Ok::<_, RpcError>(Value::from(Blob::new("text/plain", &b"abc"[..])))
    });
    let _server = Session::builder()
        .codec(rpc_core::codec::Json)
        .main(main)
        .start(ours);
    send(&mut peer, r#"["push",["pipeline",0,[],[]]]"#).await;
    send(&mut peer, r#"["pull",1]"#).await;
    assert_eq!(recv(&mut peer).await, r#"["pipe"]"#);
    assert_eq!(
        recv(&mut peer).await,
        r#"["resolve",1,["blob","text/plain",["readable",1]]]"#
    );
    assert_eq!(
        recv(&mut peer).await,
        r#"["stream",["pipeline",1,["write"],[["bytes","YWJj"]]]]"#
    );

    // A map over the main object whose result is a URL and headers.
    send(
        &mut peer,
        r#"["push",["remap",0,[],[],[[[["url","https://a/"],["headers",[["a","b"]]]]]]]]"#,
    )
    .await;
    send(&mut peer, r#"["pull",2]"#).await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        let frame = recv(&mut peer).await;
        if frame.starts_with(r#"["resolve",2,"#) {
            assert_eq!(
                frame,
                r#"["resolve",2,[[["url","https://a/"],["headers",[["a","b"]]]]]]"#
            );
            return;
        }
        seen.push(frame);
    }
    panic!("no resolve for the map; saw {seen:?}");
}
