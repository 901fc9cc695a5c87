//! The stream half of the conformance peer's behaviour.

use bytes::Bytes;
use futures::{SinkExt, StreamExt, stream};
use rpc_core::{RpcError, RpcSink, RpcStream};

use super::UploadResult;

/// Download chunks are exactly this long, but for the last.
const CHUNK: usize = 65_536;

pub(super) fn count_to(n: f64) -> RpcStream<f64> {
    RpcStream::new(stream::iter((0..n.max(0.0) as u64).map(|i| i as f64)))
}

pub(super) async fn sum_stream(mut input: RpcStream<f64>) -> Result<f64, RpcError> {
    let mut sum = 0.0;
    while let Some(x) = input.next().await {
        sum += x?;
    }
    Ok(sum)
}

pub(super) fn chat(input: RpcStream<String>) -> RpcStream<String> {
    let replies = input.map(|line| line.map(|s| s.to_uppercase()));
    let bye = stream::once(async { Ok("bye".to_string()) });
    RpcStream::from_results(replies.chain(bye))
}

pub(super) async fn write_to(mut sink: RpcSink<f64>, n: f64) -> Result<f64, RpcError> {
    let mut i = 0.0;
    while i < n {
        sink.feed(i).await?;
        i += 1.0;
    }
    sink.close().await?;
    Ok(n)
}

pub(super) fn download(size: f64) -> RpcStream<Bytes> {
    let size = size.max(0.0) as usize;
    let chunks = (0..size).step_by(CHUNK).map(move |start| {
        let end = (start + CHUNK).min(size);
        (start..end).map(|i| (i % 251) as u8).collect::<Bytes>()
    });
    RpcStream::new(stream::iter(chunks))
}

pub(super) async fn upload(mut input: RpcStream<Bytes>) -> Result<UploadResult, RpcError> {
    let (mut bytes, mut checksum) = (0u64, 0u32);
    while let Some(chunk) = input.next().await {
        let chunk = chunk?;
        bytes += chunk.len() as u64;
        checksum = chunk
            .iter()
            .fold(checksum, |sum, &b| sum.wrapping_add(u32::from(b)));
    }
    Ok(UploadResult {
        bytes: bytes as f64,
        checksum: f64::from(checksum),
    })
}

pub(super) fn failing_stream(n: f64) -> RpcStream<f64> {
    let items = (0..n.max(0.0) as u64).map(|i| Ok(i as f64));
    let failure = std::iter::once(Err(RpcError::range_error("stream failed")));
    RpcStream::from_results(stream::iter(items.chain(failure)))
}
