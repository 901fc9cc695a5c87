//! Packed stream writes (`writePacked`): plain items travel as one MessagePack run between
//! Capstan peers, items that are not plain data go between them as values in order, a run is
//! unpacked for a peer that only takes values, and a peer's malformed run is refused whole.

use std::sync::Arc;

use base64::Engine;
use futures::{SinkExt, StreamExt};
use rpc_core::{
    RpcError, RpcStream, Session, Stub,
    codec::{Json, MsgPack},
    protocol::Message,
    testing::MemoryEnd,
    value::{Value, from_value, to_value},
};
use serde::{Deserialize, Serialize};
use tests::{
    streams::{StreamsImpl, StreamsServer},
    tap::{called, tapped_pair},
};

/// Echoes its first argument: a stream passed in is sent straight back out.
fn echo() -> Stub {
    Stub::from_fn(|args: Vec<Value>| async move {
        Ok::<_, RpcError>(args.into_iter().next().unwrap_or_default())
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Reading {
    sensor: String,
    at: u64,
    value: Option<f64>,
}

/// Streams `items` to the peer's echo and reads back what it returns.
async fn echoed<T>(client: &Session, items: Vec<T>) -> Vec<T>
where
    T: Serialize + serde::de::DeserializeOwned + Send + 'static,
{
    let stream = RpcStream::new(futures::stream::iter(items));
    let back: RpcStream<T> = client
        .main()
        .call_function(vec![to_value(&stream).unwrap()])
        .await
        .map(|v| from_value(v).unwrap())
        .unwrap();
    back.map(|r| r.unwrap()).collect().await
}

fn readings(n: u64) -> Vec<Reading> {
    (0..n)
        .map(|i| Reading {
            sensor: format!("s{}", i % 7),
            at: i,
            value: (i % 3 != 0).then_some(i as f64 / 4.0),
        })
        .collect()
}

#[tokio::test]
async fn structs_stream_there_and_back_between_capstan_peers() {
    let (a, b, sent_by_client) = tapped_pair();
    let _server = Session::builder().codec(MsgPack).main(echo()).start(a);
    let client = Session::builder().codec(MsgPack).start(b);
    let sent = readings(20_000);
    let got: Vec<Reading> = echoed(&client, sent.clone()).await;
    assert_eq!(got, sent);
    // Plain structs went packed, many to a message, and never as values.
    let writes = called(&sent_by_client.lock().unwrap(), |m| match m {
        Message::Stream(e) => Some(e),
        _ => None,
    });
    assert!(
        writes.iter().all(|w| w == "writePacked" || w == "close"),
        "{writes:?}"
    );
    let packed = writes.iter().filter(|w| *w == "writePacked").count();
    assert!(
        (1..=200).contains(&packed),
        "{packed} packed writes for 20,000 items"
    );
}

#[tokio::test]
async fn items_only_values_carry_keep_their_place_among_packed_ones() {
    let (a, b) = rpc_transports::memory::pair();
    let _server = Session::builder().codec(MsgPack).main(echo()).start(a);
    let client = Session::builder().codec(MsgPack).start(b);
    let doubler = Stub::from_fn(|args: Vec<Value>| async move {
        Ok::<_, RpcError>(Value::Int(args[0].as_i64().unwrap_or(0) * 2))
    });
    // Plain numbers around a stub, `undefined`, a bigint and a date.
    let mut items: Vec<Value> = (0..1000).map(Value::Int).collect();
    items.insert(10, Value::Stub(doubler));
    items.insert(500, Value::Undefined);
    items.insert(501, to_value(&u64::MAX).unwrap());
    items.push(Value::Date(Some(86_400_000.0)));
    let got: Vec<Value> = echoed(&client, items.clone()).await;
    assert_eq!(got.len(), items.len());
    for (i, (got, sent)) in got.iter().zip(&items).enumerate() {
        match (got, sent) {
            (Value::Stub(stub), Value::Stub(_)) => {
                // The stub came back to its owner and still calls it.
                let r = stub.call_function(vec![Value::Int(21)]).await.unwrap();
                assert_eq!(r, Value::Int(42));
            }
            _ => assert_eq!(format!("{got:?}"), format!("{sent:?}"), "item {i}"),
        }
    }
}

#[tokio::test]
async fn a_run_is_unpacked_for_a_peer_that_takes_values() {
    // The client streams to a Capstan relay (packed); the relay passes the stream to a JSON
    // peer (unpacked: one write per item) and relays what comes back.
    let (c_end, relay_end) = rpc_transports::memory::pair();
    let _json_peer = Session::builder().codec(Json).main(echo()).start(c_end);
    let to_json = Arc::new(Session::builder().codec(Json).start(relay_end));
    let relay = Stub::from_fn(move |args: Vec<Value>| {
        let to_json = to_json.clone();
        async move {
            let stream = args.into_iter().next().unwrap_or_default();
            to_json.main().call_function(vec![stream]).await
        }
    });
    let (a, b) = rpc_transports::memory::pair();
    let _relay = Session::builder().codec(MsgPack).main(relay).start(a);
    let client = Session::builder().codec(MsgPack).start(b);
    let sent = readings(3_000);
    let got: Vec<Reading> = echoed(&client, sent.clone()).await;
    assert_eq!(got, sent);
}

async fn send(peer: &mut MemoryEnd, text: &str) {
    peer.send(rpc_core::Frame::Text(text.into())).await.unwrap();
}

/// The frames up to and including the one that starts with `last`.
async fn frames_until(peer: &mut MemoryEnd, last: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(5), peer.next())
            .await
            .unwrap_or_else(|_| panic!("no {last} within 5 s; saw {seen:#?}"));
        match frame {
            Some(Ok(rpc_core::Frame::Text(text))) => {
                let done = text.starts_with(last);
                seen.push(text);
                if done {
                    return seen;
                }
            }
            other => panic!("expected a text frame, got {other:?} after {seen:#?}"),
        }
    }
}

fn packed(bytes: &[u8], count: i64) -> String {
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes);
    format!(r#"["stream",["pipeline",1,["writePacked"],[["bytes","{b64}"],{count}]]]"#)
}

#[tokio::test]
async fn a_malformed_run_is_refused_whole_and_the_session_goes_on() {
    let (ours, mut peer) = rpc_core::testing::memory_pair();
    let _server = Session::builder()
        .codec(Json)
        .main(StreamsServer::new(StreamsImpl::default()))
        .start(ours);
    let deep = [vec![0x91u8; 300], vec![0x01]].concat();
    send(&mut peer, r#"["pipe"]"#).await;
    send(
        &mut peer,
        r#"["push",["pipeline",0,["sum"],[["readable",1]]]]"#,
    )
    .await;
    send(&mut peer, r#"["pull",2]"#).await;
    // 3: items 1, 2, 3. 4: a count that leaves a byte over. 5: 300 nested arrays.
    // 6: no count. 7: a map key that is a number. 8: item 10 as a value. 9: close.
    send(&mut peer, &packed(b"\x01\x02\x03", 3)).await;
    send(&mut peer, &packed(b"\x04\x05", 1)).await;
    send(&mut peer, &packed(&deep, 1)).await;
    send(
        &mut peer,
        r#"["stream",["pipeline",1,["writePacked"],[["bytes","AQ"]]]]"#,
    )
    .await;
    send(&mut peer, &packed(b"\x81\x01\x02", 1)).await;
    send(&mut peer, r#"["stream",["pipeline",1,["write"],[10]]]"#).await;
    send(&mut peer, r#"["stream",["pipeline",1,["close"],[]]]"#).await;
    let frames = frames_until(&mut peer, r#"["resolve",2,"#).await;
    // Only the well-formed writes reached the reader: 1 + 2 + 3 + 10.
    assert_eq!(frames.last().unwrap(), r#"["resolve",2,16]"#);
    let reject = |id: u32, needle: &str| {
        let prefix = format!(r#"["reject",{id},"#);
        let frame = frames.iter().find(|f| f.starts_with(&prefix));
        let frame = frame.unwrap_or_else(|| panic!("no reject of {id} in {frames:#?}"));
        assert!(frame.contains(needle), "{frame}");
    };
    reject(4, "bad packed stream chunk: bytes after the last item");
    reject(5, "max_depth");
    reject(6, "writePacked takes bytes and a count");
    reject(7, "a map key is an integer");
    // The session is still up: a plain call is answered.
    send(&mut peer, r#"["push",["pipeline",0,["count"],[0]]]"#).await;
    send(&mut peer, r#"["pull",10]"#).await;
    frames_until(&mut peer, r#"["resolve",10,"#).await;
}
