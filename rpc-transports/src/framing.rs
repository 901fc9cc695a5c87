//! Length-prefixed framing over any byte stream: the shared core of TCP, Unix and stdio.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures::{Sink, Stream};
use rpc_core::{Frame, Limits};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::frame_codec::{BACKPRESSURE, FrameReader, FrameWriter};
use crate::io_halves::ReadWriteHalves;

/// Settings shared by every byte-stream transport (TCP, Unix, stdio, [`FramedTransport`]).
///
/// The default limit matches [`rpc_core::Limits::default`], so a transport never accepts a
/// frame the session would reject anyway.
///
/// ```
/// use rpc_transports::FramingConfig;
///
/// let config = FramingConfig::default().with_max_frame_bytes(1024);
/// assert_eq!(config.max_frame_bytes, 1024);
/// assert_eq!(FramingConfig::default().max_frame_bytes, 32 * 1024 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FramingConfig {
    /// Largest frame payload accepted or sent, in bytes (the 4-byte length prefix not counted).
    ///
    /// A larger incoming frame ends the stream with an `InvalidData` error; a larger outgoing
    /// frame fails the send with `InvalidInput`. Both messages name `max_frame_bytes`.
    pub max_frame_bytes: usize,
}

impl FramingConfig {
    /// The default settings; same as [`FramingConfig::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns these settings with a different frame size limit.
    pub fn with_max_frame_bytes(mut self, max_frame_bytes: usize) -> Self {
        self.max_frame_bytes = max_frame_bytes;
        self
    }

    /// Settings whose frame limit is the session's `limits.max_frame_bytes`.
    pub fn from_limits(limits: &Limits) -> Self {
        FramingConfig {
            max_frame_bytes: limits.max_frame_bytes,
        }
    }
}

impl Default for FramingConfig {
    fn default() -> Self {
        Self::from_limits(&Limits::default())
    }
}

impl From<&Limits> for FramingConfig {
    fn from(limits: &Limits) -> Self {
        Self::from_limits(limits)
    }
}

/// A [`Transport`](rpc_core::Transport) over any `AsyncRead + AsyncWrite` byte stream.
///
/// Each frame travels as a 4-byte big-endian length followed by the payload. Byte streams
/// carry binary frames only: a [`Frame::Text`] is sent as its UTF-8 bytes and every received
/// frame is a [`Frame::Binary`].
///
/// Closing the sink shuts down the write side (the peer's stream ends) while frames can still
/// be received. After an error the stream yields `None`, because the byte stream can no longer
/// be trusted to be at a frame boundary.
///
/// ```
/// use futures::{SinkExt, StreamExt};
/// use rpc_core::Frame;
/// use rpc_transports::FramedTransport;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let (a, b) = tokio::io::duplex(1024);
/// let (mut a, mut b) = (FramedTransport::new(a), FramedTransport::new(b));
/// a.send(Frame::Text("hello".into())).await?;
/// let got = b.next().await.unwrap()?;
/// assert_eq!(got, Frame::Binary("hello".into()));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct FramedTransport<IO> {
    io: IO,
    reader: FrameReader,
    writer: FrameWriter,
    config: FramingConfig,
    /// Set once the stream has yielded an error; later polls yield `None`.
    failed: bool,
}

impl<IO: AsyncRead + AsyncWrite> FramedTransport<IO> {
    /// Frames `io` with the default [`FramingConfig`].
    pub fn new(io: IO) -> Self {
        Self::with_config(io, FramingConfig::default())
    }

    /// Frames `io` with the given settings.
    pub fn with_config(io: IO, config: FramingConfig) -> Self {
        FramedTransport {
            io,
            reader: FrameReader::default(),
            writer: FrameWriter::default(),
            config,
            failed: false,
        }
    }
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin> FramedTransport<ReadWriteHalves<R, W>> {
    /// Frames a separate reader and writer, such as a pipe pair, with the default settings.
    ///
    /// Closing the transport's sink drops the writer, which closes a pipe for the peer.
    pub fn from_halves(reader: R, writer: W) -> Self {
        Self::from_halves_with_config(reader, writer, FramingConfig::default())
    }

    /// Frames a separate reader and writer with the given settings.
    pub fn from_halves_with_config(reader: R, writer: W, config: FramingConfig) -> Self {
        Self::with_config(ReadWriteHalves::new(reader, writer), config)
    }
}

impl<IO> FramedTransport<IO> {
    /// The settings this transport was built with.
    pub fn config(&self) -> FramingConfig {
        self.config
    }

    /// The underlying byte stream (for example to read a socket's peer address).
    pub fn get_ref(&self) -> &IO {
        &self.io
    }

    /// The underlying byte stream, mutably. Reading or writing it directly corrupts framing.
    pub fn get_mut(&mut self) -> &mut IO {
        &mut self.io
    }

    /// The underlying byte stream; bytes buffered but not yet framed are lost.
    pub fn into_inner(self) -> IO {
        self.io
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Stream for FramedTransport<IO> {
    type Item = io::Result<Frame>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.failed {
            return Poll::Ready(None);
        }
        let item = this
            .reader
            .poll_frame(&mut this.io, this.config.max_frame_bytes, cx);
        if let Poll::Ready(Some(Err(_))) = &item {
            this.failed = true;
        }
        item.map(|frame| frame.map(|frame| frame.map(Frame::Binary)))
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Sink<Frame> for FramedTransport<IO> {
    type Error = io::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.writer.pending() >= BACKPRESSURE {
            this.writer.poll_flush(&mut this.io, cx)
        } else {
            Poll::Ready(Ok(()))
        }
    }

    fn start_send(self: Pin<&mut Self>, frame: Frame) -> io::Result<()> {
        let this = self.get_mut();
        this.writer.push(frame, this.config.max_frame_bytes)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.writer.poll_flush(&mut this.io, cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.writer.poll_flush(&mut this.io, cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}
