//! Direction 3 stream scenarios: a Rust client reads capnweb's ReadableStreams and writes
//! its own into capnweb.

use bytes::Bytes;
use futures::{StreamExt, stream};
use rpc_core::{RpcError, RpcSink, RpcStream};

use super::rust_battery::{OrFail, Scenario, rejected, same, scenario};

/// Reads a whole stream, failing the check on an error item.
async fn read_all<T: serde::de::DeserializeOwned>(s: RpcStream<T>) -> Result<Vec<T>, String> {
    let items: Vec<Result<T, RpcError>> = s.collect().await;
    items
        .into_iter()
        .collect::<Result<_, _>>()
        .or_fail("reading the stream")
}

/// The `i % 251` pattern of `download`, in 1 MiB chunks, totalling `size` bytes.
fn pattern(size: usize) -> RpcStream<Bytes> {
    const CHUNK: usize = 1 << 20;
    RpcStream::new(stream::iter((0..size).step_by(CHUNK).map(move |start| {
        let end = (start + CHUNK).min(size);
        (start..end).map(|i| (i % 251) as u8).collect::<Bytes>()
    })))
}

fn checksum(size: usize) -> f64 {
    f64::from((0..size).fold(0u32, |sum, i| sum.wrapping_add((i % 251) as u32)))
}

/// The stream scenarios (WebSocket only: capnweb's batch transport cannot carry streams).
pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario("stream-count-to", false, |api| async move {
            let s = api.count_to(5.0).await.or_fail("countTo")?;
            same(
                read_all(s).await?,
                vec![0.0, 1.0, 2.0, 3.0, 4.0],
                "countTo(5)",
            )?;
            let empty = api.count_to(0.0).await.or_fail("countTo(0)")?;
            same(read_all(empty).await?, vec![], "countTo(0)")
        }),
        scenario("stream-count-to-cancel", false, |api| async move {
            let mut s = api.count_to(1e9).await.or_fail("countTo")?;
            for i in 0..10 {
                let x = s.next().await.ok_or("ended early")?.or_fail("item")?;
                same(x, f64::from(i), "item")?;
            }
            drop(s);
            same(
                api.square(5.0).await.or_fail("square")?,
                25.0,
                "square after cancel",
            )
        }),
        scenario("stream-sum", false, |api| async move {
            let input = RpcStream::new(stream::iter([1.0, 2.0, 3.5]));
            same(
                api.sum_stream(input).await.or_fail("sumStream")?,
                6.5,
                "sum",
            )?;
            let empty = RpcStream::new(stream::iter(Vec::<f64>::new()));
            same(
                api.sum_stream(empty).await.or_fail("sumStream")?,
                0.0,
                "empty sum",
            )
        }),
        scenario("stream-chat", false, |api| async move {
            let (tx, input) = RpcStream::<String>::channel(4);
            let mut out = api.chat(input).await.or_fail("chat")?;
            for word in ["a", "b"] {
                tx.send(word.to_string()).await.or_fail("send")?;
                let reply = out.next().await.ok_or("no reply")?.or_fail("reply")?;
                same(reply, word.to_uppercase(), "reply while the input is open")?;
            }
            drop(tx);
            same(
                read_all(out).await?,
                vec!["bye".to_string()],
                "after the half-close",
            )
        }),
        scenario("stream-write-to", false, |api| async move {
            let (sink, received) = RpcSink::<f64>::channel();
            same(
                api.write_to(sink, 3.0).await.or_fail("writeTo")?,
                3.0,
                "writeTo",
            )?;
            same(read_all(received).await?, vec![0.0, 1.0, 2.0], "written")
        }),
        scenario("stream-download-64mib", false, |api| async move {
            let size = 64 << 20;
            let mut s = api.download(size as f64).await.or_fail("download")?;
            let (mut total, mut sum, mut chunks) = (0usize, 0u32, 0usize);
            while let Some(chunk) = s.next().await {
                let chunk = chunk.or_fail("chunk")?;
                if chunk.is_empty() || chunk.len() > 65_536 {
                    return Err(format!("a chunk of {} bytes", chunk.len()));
                }
                for (k, b) in chunk.iter().enumerate() {
                    if *b != ((total + k) % 251) as u8 {
                        return Err(format!("byte {} is {b}", total + k));
                    }
                    sum = sum.wrapping_add(u32::from(*b));
                }
                total += chunk.len();
                chunks += 1;
            }
            same(
                (total, chunks, f64::from(sum)),
                (size, 1024, checksum(size)),
                "download",
            )?;
            let empty = api.download(0.0).await.or_fail("download(0)")?;
            same(read_all(empty).await?.len(), 0, "download(0) chunks")
        }),
        scenario("stream-upload-64mib", false, |api| async move {
            let size = 64 << 20;
            let got = api.upload(pattern(size)).await.or_fail("upload")?;
            same(
                (got.bytes, got.checksum),
                (size as f64, checksum(size)),
                "upload",
            )?;
            let empty = api.upload(pattern(0)).await.or_fail("upload(0)")?;
            same(empty.bytes, 0.0, "upload(0)")
        }),
        scenario("stream-failing", false, |api| async move {
            let mut s = api.failing_stream(3.0).await.or_fail("failingStream")?;
            let mut seen = Vec::new();
            let end = loop {
                match s.next().await {
                    Some(Ok(x)) => seen.push(x),
                    Some(Err(e)) => break Err::<(), _>(e),
                    None => return Err("the stream ended without failing".into()),
                }
            };
            // capnweb may drop chunks not yet read when the abort arrives.
            if seen.len() > 3 || seen.iter().enumerate().any(|(i, x)| *x != i as f64) {
                return Err(format!("items {seen:?}"));
            }
            rejected(end, "RangeError", "stream failed")
        }),
    ]
}
