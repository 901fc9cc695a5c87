//! `RpcSink<T>`: a sink that travels by reference; its owner reads what is written.

use std::{
    future::Future,
    marker::PhantomData,
    pin::Pin,
    task::{Context, Poll},
};

use futures::Sink;
use serde::Serialize;

use super::{ChunkQueue, Chunks, RemoteWriter, RpcStream, readable::ReadableStream};
use crate::{
    Limits, RpcError,
    value::{Value, to_value},
};

/// The untyped handle inside a [`Value::Writable`]: where written values go.
#[derive(Clone)]
pub struct WritableStream(pub(crate) WritableKind);

#[derive(Clone)]
pub(crate) enum WritableKind {
    /// Owned here: what is written lands in this queue, read by the owner.
    Local(ChunkQueue),
    /// The peer's: writes travel to it.
    Remote(RemoteWriter),
}

impl std::fmt::Debug for WritableStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match &self.0 {
            WritableKind::Local(_) => "WritableStream(local)",
            WritableKind::Remote(_) => "WritableStream(remote)",
        })
    }
}

impl<T> From<RpcSink<T>> for WritableStream {
    fn from(sink: RpcSink<T>) -> Self {
        sink.handle
    }
}

impl<T> From<WritableStream> for RpcSink<T> {
    fn from(handle: WritableStream) -> Self {
        RpcSink::from_handle(handle)
    }
}

type Op = Pin<Box<dyn Future<Output = Result<(), RpcError>> + Send>>;

/// A sink of `T` that can be handed to a peer, which writes into it.
///
/// Make one with [`RpcSink::channel`]: keep the [`RpcStream`] and pass the sink. Where it
/// arrives it is a `futures::Sink<T>`: `send` (or `feed`) items, then `close` it; the owner's
/// stream then ends. Dropping it without closing ends the owner's stream with an error.
///
/// ```
/// use futures::{SinkExt, StreamExt};
/// use rpc_core::RpcSink;
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let (mut sink, received) = RpcSink::<u8>::channel();
/// sink.send(1).await.unwrap();
/// sink.send(2).await.unwrap();
/// sink.close().await.unwrap();
/// let got: Vec<u8> = received.map(|r| r.unwrap()).collect().await;
/// assert_eq!(got, [1, 2]);
/// # });
/// ```
pub struct RpcSink<T> {
    handle: WritableStream,
    op: Option<Op>,
    _items: PhantomData<fn(T)>,
}

impl<T> std::fmt::Debug for RpcSink<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RpcSink({:?})", self.handle)
    }
}

impl<T> RpcSink<T> {
    /// A sink and the stream of what is written into it.
    pub fn channel() -> (RpcSink<T>, RpcStream<T>) {
        let queue = ChunkQueue::new(&Limits::default());
        let stream = RpcStream::from_handle(ReadableStream::new(Chunks::new(queue.reader())));
        (
            Self::from_handle(WritableStream(WritableKind::Local(queue))),
            stream,
        )
    }

    pub(crate) fn from_handle(handle: WritableStream) -> Self {
        RpcSink {
            handle,
            op: None,
            _items: PhantomData,
        }
    }

    /// Ends the owner's stream with `error` instead of closing it cleanly.
    pub async fn abort(self, error: RpcError) {
        match &self.handle.0 {
            WritableKind::Local(queue) => queue.end(Err(error)),
            WritableKind::Remote(writer) => writer.abort(error).await,
        }
    }

    fn poll_op(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        match &mut self.op {
            Some(op) => {
                let result = std::task::ready!(op.as_mut().poll(cx));
                self.op = None;
                Poll::Ready(result)
            }
            None => Poll::Ready(Ok(())),
        }
    }
}

impl<T: Serialize> Sink<T> for RpcSink<T> {
    type Error = RpcError;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        std::task::ready!(self.poll_op(cx))?;
        match &self.handle.0 {
            WritableKind::Local(_) => Poll::Ready(Ok(())),
            WritableKind::Remote(writer) => writer.poll_capacity(cx),
        }
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), RpcError> {
        let value = to_value(&item)?;
        match &self.handle.0 {
            WritableKind::Local(queue) => queue.write(value, None),
            WritableKind::Remote(writer) => writer.send(vec![value]),
        }
        Ok(())
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        std::task::ready!(self.poll_op(cx))?;
        match &self.handle.0 {
            WritableKind::Local(_) => Poll::Ready(Ok(())),
            WritableKind::Remote(writer) => writer.poll_drained(cx),
        }
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        if self.op.is_none() {
            match &self.handle.0 {
                WritableKind::Local(queue) => {
                    queue.end(Ok(()));
                    return Poll::Ready(Ok(()));
                }
                WritableKind::Remote(writer) => {
                    let writer = writer.clone();
                    self.op = Some(Box::pin(async move { writer.close().await }));
                }
            }
        }
        self.poll_op(cx)
    }
}

impl<T> Serialize for RpcSink<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Value::Writable(self.handle.clone()).serialize(serializer)
    }
}

impl<'de, T> serde::Deserialize<'de> for RpcSink<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match Value::deserialize(deserializer)? {
            Value::Writable(handle) => Ok(Self::from_handle(handle)),
            other => Err(D::Error::custom(format!(
                "expected a writable stream, got {}",
                other.kind_name()
            ))),
        }
    }
}
