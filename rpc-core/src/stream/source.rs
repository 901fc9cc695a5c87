//! `Chunks`: what a readable stream yields, as values or as packed runs of plain items.

use std::{
    pin::Pin,
    task::{Context, Poll, ready},
};

use futures::{Stream, StreamExt, stream::BoxStream};
use serde::{Serialize, de::DeserializeOwned};

use super::packed::{PackedRun, pack_into};
use crate::{
    RpcError,
    value::{Value, from_value, to_value},
};

/// One step of a stream: an item as a value, or several plain items packed.
pub(crate) enum Chunk {
    Value(Value),
    Packed(PackedRun),
}

/// Where a readable stream's chunks come from.
pub(crate) trait ChunkSource: Send {
    /// The next chunk, the error that ended the stream, or `None` at its end. With `pack`, a
    /// source that can may pack plain items into runs of about that many bytes; a source that
    /// already holds runs (a peer's stream) hands them on either way.
    fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
        pack: Option<usize>,
    ) -> Poll<Option<Result<Chunk, RpcError>>>;
}

/// What a typed reader gets next.
pub(crate) enum Next<T> {
    /// An item, or why this one item could not be read as a `T` (the stream goes on).
    Item(Result<T, RpcError>),
    /// The stream ended with this error.
    Failed(RpcError),
    /// The stream ended.
    End,
}

/// The chunks of a readable stream, read once: pumped to a peer, or read here as values or
/// as typed items.
pub(crate) struct Chunks {
    source: Box<dyn ChunkSource>,
    /// A run partly read here.
    run: Option<PackedRun>,
}

impl Chunks {
    pub(crate) fn new(source: impl ChunkSource + 'static) -> Self {
        Chunks {
            source: Box::new(source),
            run: None,
        }
    }

    /// Chunks that are values already.
    pub(crate) fn values(
        values: impl Stream<Item = Result<Value, RpcError>> + Send + 'static,
    ) -> Self {
        Self::new(ValueSource(values.boxed()))
    }

    /// Typed items, packed when they are plain data and the reader takes runs.
    pub(crate) fn items<T: Serialize + Send + 'static>(
        items: impl Stream<Item = Result<T, RpcError>> + Send + 'static,
    ) -> Self {
        Self::new(ItemSource {
            items: Box::pin(items),
            held: None,
            done: false,
        })
    }

    /// A stream that fails at once.
    pub(crate) fn failed(error: RpcError) -> Self {
        Self::values(futures::stream::once(async move { Err(error) }))
    }

    /// The next chunk: runs (whole, or what is left of one) only when `pack` is set.
    pub(crate) fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
        pack: Option<usize>,
    ) -> Poll<Option<Result<Chunk, RpcError>>> {
        if pack.is_none() {
            return self.poll_value(cx).map(|v| v.map(|r| r.map(Chunk::Value)));
        }
        if let Some(run) = self.run.take().filter(|run| run.len() > 0) {
            return Poll::Ready(Some(Ok(Chunk::Packed(run))));
        }
        self.source.poll_chunk(cx, pack)
    }

    /// The next item as a value; runs are unpacked.
    fn poll_value(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Value, RpcError>>> {
        loop {
            if let Some(run) = &mut self.run {
                match run.next_value() {
                    Some(value) => return Poll::Ready(Some(value)),
                    None => self.run = None,
                }
            }
            match ready!(self.source.poll_chunk(cx, None)) {
                Some(Ok(Chunk::Packed(run))) => self.run = Some(run),
                Some(Ok(Chunk::Value(value))) => return Poll::Ready(Some(Ok(value))),
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => return Poll::Ready(None),
            }
        }
    }

    /// The next item, read as a `T`.
    #[inline]
    pub(crate) fn poll_item<T: DeserializeOwned>(&mut self, cx: &mut Context<'_>) -> Poll<Next<T>> {
        loop {
            if let Some(run) = &mut self.run {
                match run.next_item() {
                    Some(item) => return Poll::Ready(Next::Item(item)),
                    None => self.run = None,
                }
            }
            match ready!(self.source.poll_chunk(cx, None)) {
                Some(Ok(Chunk::Packed(run))) => self.run = Some(run),
                Some(Ok(Chunk::Value(value))) => return Poll::Ready(Next::Item(from_value(value))),
                Some(Err(error)) => return Poll::Ready(Next::Failed(error)),
                None => return Poll::Ready(Next::End),
            }
        }
    }
}

/// Read as values: runs are unpacked.
impl Stream for Chunks {
    type Item = Result<Value, RpcError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_value(cx)
    }
}

/// A stream of values.
struct ValueSource(BoxStream<'static, Result<Value, RpcError>>);

impl ChunkSource for ValueSource {
    fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
        _pack: Option<usize>,
    ) -> Poll<Option<Result<Chunk, RpcError>>> {
        self.0
            .poll_next_unpin(cx)
            .map(|item| item.map(|r| r.map(Chunk::Value)))
    }
}

/// A stream of typed items: converted to values one by one, or packed many to a run.
struct ItemSource<S> {
    items: Pin<Box<S>>,
    /// An item that could not join the run just returned: the next chunk.
    held: Option<Result<Value, RpcError>>,
    /// The items have ended (the run just returned was the last).
    done: bool,
}

impl<S, T> ChunkSource for ItemSource<S>
where
    S: Stream<Item = Result<T, RpcError>> + Send,
    T: Serialize,
{
    fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
        pack: Option<usize>,
    ) -> Poll<Option<Result<Chunk, RpcError>>> {
        if let Some(held) = self.held.take() {
            return Poll::Ready(Some(held.map(Chunk::Value)));
        }
        if self.done {
            return Poll::Ready(None);
        }
        let Some(budget) = pack else {
            let item = ready!(self.items.as_mut().poll_next(cx));
            self.done = item.is_none();
            return Poll::Ready(item.map(|r| r.and_then(|v| to_value(&v)).map(Chunk::Value)));
        };
        let mut run = Vec::new();
        let mut count = 0;
        while run.len() < budget {
            let item = match self.items.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(item))) => item,
                // The end, or an error: it follows the run, if there is one.
                Poll::Ready(None) => {
                    self.done = true;
                    if count == 0 {
                        return Poll::Ready(None);
                    }
                    break;
                }
                Poll::Ready(Some(Err(error))) => {
                    if count == 0 {
                        return Poll::Ready(Some(Err(error)));
                    }
                    self.held = Some(Err(error));
                    break;
                }
                Poll::Pending if count == 0 => return Poll::Pending,
                Poll::Pending => break,
            };
            if pack_into(&mut run, &item) {
                count += 1;
                continue;
            }
            // Not plain data: it goes as a value, after the items before it.
            let value = to_value(&item);
            if count == 0 {
                return Poll::Ready(Some(value.map(Chunk::Value)));
            }
            self.held = Some(value);
            break;
        }
        Poll::Ready(Some(Ok(Chunk::Packed(PackedRun::new(run.into(), count)))))
    }
}
