//! Streams: Rust `Stream`s and `Sink`s that travel as Cap'n Web ReadableStreams and
//! WritableStreams.
//!
//! - [`RpcStream<T>`] is a stream of `T` passed by reference: the sender's items are pumped to
//!   the reader as they are produced. Put one in an argument for client streaming, return one
//!   for server streaming, or both for a bidirectional stream.
//! - [`RpcSink<T>`] is the other direction's handle: the receiver writes into it, and its owner
//!   reads what arrives.
//!
//! Flow control is a byte window on the writer: each chunk is acknowledged once the reader has
//! taken it, and the writer waits while unacknowledged bytes fill the window
//! ([`Limits::stream_window_bytes`](crate::Limits)). Between Capstan peers, many small items
//! travel in one message, and items that are plain data travel packed: serialized straight into one
//! MessagePack buffer and read straight out of it, with no value tree per item.

mod packed;
mod pump;
mod queue;
mod readable;
mod sink;
mod size;
mod source;
mod target;
mod writer;

pub(crate) use pump::pump;
pub(crate) use queue::ChunkQueue;
pub use readable::{ReadableStream, RpcStream, StreamSender};
pub(crate) use sink::WritableKind;
pub use sink::{RpcSink, WritableStream};
pub(crate) use source::Chunks;
pub(crate) use target::SinkTarget;
pub(crate) use writer::RemoteWriter;
