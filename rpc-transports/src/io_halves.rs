//! A separate reader and writer joined into one duplex byte stream.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A reader and a writer acting as one `AsyncRead + AsyncWrite`, as pipes and stdio need.
///
/// Shutting down the write side drops the writer. For a pipe such as a child's stdin, that
/// closes the file descriptor, so the peer sees end-of-file; merely flushing would not.
/// Writes after shutdown fail with `BrokenPipe`.
#[derive(Debug)]
pub struct ReadWriteHalves<R, W> {
    reader: R,
    writer: Option<W>,
}

impl<R, W> ReadWriteHalves<R, W> {
    /// Joins `reader` and `writer`.
    pub fn new(reader: R, writer: W) -> Self {
        ReadWriteHalves {
            reader,
            writer: Some(writer),
        }
    }

    /// The read half.
    pub fn reader(&self) -> &R {
        &self.reader
    }

    /// The write half, or `None` once the write side has been shut down.
    pub fn writer(&self) -> Option<&W> {
        self.writer.as_ref()
    }

    /// Both halves; the writer is `None` once the write side has been shut down.
    pub fn into_parts(self) -> (R, Option<W>) {
        (self.reader, self.writer)
    }
}

impl<R: AsyncRead + Unpin, W: Unpin> AsyncRead for ReadWriteHalves<R, W> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.reader).poll_read(cx, buf)
    }
}

impl<R: Unpin, W: AsyncWrite + Unpin> AsyncWrite for ReadWriteHalves<R, W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.writer.as_mut() {
            Some(writer) => Pin::new(writer).poll_write(cx, buf),
            None => Poll::Ready(Err(write_side_closed())),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.writer.as_mut() {
            Some(writer) => Pin::new(writer).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(writer) = self.writer.as_mut() {
            ready!(Pin::new(writer).poll_shutdown(cx))?;
            self.writer = None;
        }
        Poll::Ready(Ok(()))
    }
}

fn write_side_closed() -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        "the write side has been shut down",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn shutdown_drops_the_writer_so_the_peer_sees_eof() {
        let (reader, _unused) = tokio::io::duplex(64);
        let (writer, mut peer) = tokio::io::duplex(64);
        let mut halves = ReadWriteHalves::new(reader, writer);
        halves.write_all(b"abc").await.unwrap();
        halves.shutdown().await.unwrap();
        assert!(halves.writer().is_none());

        let mut got = Vec::new();
        peer.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"abc");

        let err = halves.write_all(b"x").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }
}
