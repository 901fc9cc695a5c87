//! `RpcStream<T>`: a stream that travels by reference.

use std::{
    marker::PhantomData,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use futures::{Stream, StreamExt};
use serde::{Serialize, de::DeserializeOwned};
use tokio::sync::mpsc;

use super::{Chunks, source::Next};
use crate::{RpcError, value::Value};

/// The untyped handle inside a [`Value::Readable`]. Its chunks can be taken once: to be read
/// here (as an [`RpcStream`]) or pumped to a peer.
#[derive(Clone)]
pub struct ReadableStream {
    chunks: Arc<Mutex<Option<Chunks>>>,
    /// The queue these chunks are read from, when they arrive from a peer (0 otherwise).
    origin: usize,
}

impl ReadableStream {
    pub(crate) fn new(chunks: Chunks) -> Self {
        Self::from_origin(chunks, 0)
    }

    /// Chunks read from the queue whose [`ChunkQueue::id`](super::ChunkQueue::id) is `origin`.
    pub(crate) fn from_origin(chunks: Chunks, origin: usize) -> Self {
        ReadableStream {
            chunks: Arc::new(Mutex::new(Some(chunks))),
            origin,
        }
    }

    /// The chunks; `None` once taken.
    pub(crate) fn take(&self) -> Option<Chunks> {
        self.chunks.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    pub(crate) fn same(&self, other: &ReadableStream) -> bool {
        Arc::ptr_eq(&self.chunks, &other.chunks)
    }

    /// The queue this stream reads from, if it arrived from a peer.
    pub(crate) fn origin(&self) -> usize {
        self.origin
    }
}

impl std::fmt::Debug for ReadableStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReadableStream")
    }
}

/// A stream of `T` that can be sent to a peer, and is read as a `Stream` where it arrives.
///
/// Build one from any stream with [`RpcStream::new`], or from a [`StreamSender`] with
/// [`RpcStream::channel`]. Reading it yields `Ok(item)`s and ends with `None`, or with one
/// `Err` if the writer failed. Dropping it unread cancels the writer.
///
/// ```
/// use futures::StreamExt;
/// use rpc_core::RpcStream;
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let numbers = RpcStream::new(futures::stream::iter(1..=3u32));
/// let read: Vec<u32> = numbers.map(|item| item.unwrap()).collect().await;
/// assert_eq!(read, [1, 2, 3]);
/// # });
/// ```
pub struct RpcStream<T> {
    handle: ReadableStream,
    reading: Option<Chunks>,
    done: bool,
    _items: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for RpcStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RpcStream")
    }
}

impl<T: Serialize + Send + 'static> RpcStream<T> {
    /// A stream of the items of `items`.
    pub fn new(items: impl Stream<Item = T> + Send + 'static) -> Self {
        Self::from_results(items.map(Ok))
    }

    /// A stream of the items of `items`; an `Err` ends it with that error.
    pub fn from_results(items: impl Stream<Item = Result<T, RpcError>> + Send + 'static) -> Self {
        Self::from_handle(ReadableStream::new(Chunks::items(items)))
    }

    /// A stream fed by a [`StreamSender`], holding at most `buffer` items the reader has not
    /// taken (at least 1).
    ///
    /// ```
    /// use futures::StreamExt;
    /// use rpc_core::RpcStream;
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let (tx, mut rx) = RpcStream::<String>::channel(8);
    /// tokio::spawn(async move {
    ///     tx.send("a".to_string()).await.unwrap();
    ///     tx.send("b".to_string()).await.unwrap();
    /// });
    /// assert_eq!(rx.next().await.unwrap().unwrap(), "a");
    /// assert_eq!(rx.next().await.unwrap().unwrap(), "b");
    /// assert!(rx.next().await.is_none());
    /// # });
    /// ```
    pub fn channel(buffer: usize) -> (StreamSender<T>, RpcStream<T>) {
        let (tx, mut rx) = mpsc::channel(buffer.max(1));
        let items = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
        (
            StreamSender { tx },
            Self::from_handle(ReadableStream::new(Chunks::items(items))),
        )
    }
}

impl<T> RpcStream<T> {
    pub(crate) fn from_handle(handle: ReadableStream) -> Self {
        RpcStream {
            handle,
            reading: None,
            done: false,
            _items: PhantomData,
        }
    }
}

impl<T> From<RpcStream<T>> for ReadableStream {
    fn from(stream: RpcStream<T>) -> Self {
        stream.handle
    }
}

impl<T> From<ReadableStream> for RpcStream<T> {
    fn from(handle: ReadableStream) -> Self {
        RpcStream::from_handle(handle)
    }
}

impl<T: DeserializeOwned> Stream for RpcStream<T> {
    type Item = Result<T, RpcError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if self.reading.is_none() {
            match self.handle.take() {
                Some(chunks) => self.reading = Some(chunks),
                None => {
                    self.done = true;
                    return Poll::Ready(Some(Err(RpcError::type_error(
                        "this stream was already read or sent",
                    ))));
                }
            }
        }
        let chunks = self.reading.as_mut().expect("set above");
        match std::task::ready!(chunks.poll_item(cx)) {
            Next::Item(item) => Poll::Ready(Some(item)),
            Next::Failed(e) => {
                self.done = true;
                Poll::Ready(Some(Err(e)))
            }
            Next::End => {
                self.done = true;
                Poll::Ready(None)
            }
        }
    }
}

impl<T> Serialize for RpcStream<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Value::Readable(self.handle.clone()).serialize(serializer)
    }
}

impl<'de, T> serde::Deserialize<'de> for RpcStream<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match Value::deserialize(deserializer)? {
            Value::Readable(handle) => Ok(Self::from_handle(handle)),
            other => Err(D::Error::custom(format!(
                "expected a stream, got {}",
                other.kind_name()
            ))),
        }
    }
}

/// Feeds an [`RpcStream`] made by [`RpcStream::channel`]. Dropping it ends the stream.
///
/// Items are converted for the wire as they are sent on, so an item that cannot be serialized
/// ends the stream with that error where it is read.
pub struct StreamSender<T> {
    tx: mpsc::Sender<Result<T, RpcError>>,
}

impl<T> Clone for StreamSender<T> {
    fn clone(&self) -> Self {
        StreamSender {
            tx: self.tx.clone(),
        }
    }
}

impl<T> StreamSender<T> {
    /// Sends an item, waiting while the buffer is full. Fails once the reader has gone: that
    /// is how a producer learns it was cancelled.
    pub async fn send(&self, item: T) -> Result<(), RpcError> {
        self.tx.send(Ok(item)).await.map_err(|_| gone())
    }

    /// Ends the stream with `error`, which the reader receives.
    pub async fn fail(self, error: RpcError) -> Result<(), RpcError> {
        self.tx.send(Err(error)).await.map_err(|_| gone())
    }

    /// Resolves when the reader has gone (it cancelled, or the connection was lost).
    pub async fn closed(&self) {
        self.tx.closed().await
    }

    /// True once the reader has gone.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

fn gone() -> RpcError {
    RpcError::canceled("the reader cancelled the stream")
}
