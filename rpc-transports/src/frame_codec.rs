//! The byte-stream framing: a 4-byte big-endian length prefix before every frame.
//!
//! Hand-written rather than `tokio_util`'s `Framed` + `LengthDelimitedCodec`, for three reasons
//! the benchmarks showed:
//!
//! - An idle connection holds no buffers. `Framed` keeps an 8 KiB read buffer and an 8 KiB
//!   write buffer per connection forever; here the read buffer is dropped whenever it is empty
//!   (the next read goes through a stack buffer and keeps only what arrived), and the write
//!   buffer once everything is written.
//! - A large payload is written straight from its `Bytes` with a vectored write, instead of
//!   being copied into the write buffer first.
//! - Many small frames queued together still go out in one write.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes, BytesMut};
use rpc_core::Frame;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

const HEADER: usize = 4;

/// Payloads up to this size are copied into the write buffer (one write for many frames);
/// larger ones are written from their own memory.
const COPY_MAX: usize = 2048;

/// Reads into a stack buffer of this size while the connection has nothing buffered.
const IDLE_READ: usize = 4096;

/// Smallest heap read buffer once a frame spans several reads.
const MIN_READ: usize = 8192;

/// Most buffers handed to one vectored write.
const MAX_SLICES: usize = 64;

/// Output queued beyond this makes `poll_ready` flush first.
pub(crate) const BACKPRESSURE: usize = 64 * 1024;

fn too_large_in(max: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("incoming frame is larger than max_frame_bytes ({max} bytes)"),
    )
}

/// The read side: bytes received and not yet framed.
#[derive(Debug, Default)]
pub(crate) struct FrameReader {
    buf: BytesMut,
    eof: bool,
}

impl FrameReader {
    /// The next whole frame in the buffer, if there is one. Reserves room for the rest of a
    /// partial frame, so a large frame is read into one buffer.
    fn decode(&mut self, max: usize) -> io::Result<Option<Bytes>> {
        if self.buf.len() < HEADER {
            return Ok(None);
        }
        let len = u32::from_be_bytes(self.buf[..HEADER].try_into().expect("4 bytes")) as usize;
        if len > max {
            return Err(too_large_in(max));
        }
        let total = HEADER + len;
        if self.buf.len() < total {
            self.buf.reserve(total - self.buf.len());
            return Ok(None);
        }
        self.buf.advance(HEADER);
        let frame = if self.buf.len() == len {
            // The whole buffer is this frame: hand it over without splitting (no shared
            // bookkeeping), and go back to holding nothing.
            std::mem::take(&mut self.buf).freeze()
        } else {
            self.buf.split_to(len).freeze()
        };
        Ok(Some(frame))
    }

    pub(crate) fn poll_frame<IO: AsyncRead + Unpin>(
        &mut self,
        io: &mut IO,
        max: usize,
        cx: &mut Context<'_>,
    ) -> Poll<Option<io::Result<Bytes>>> {
        loop {
            match self.decode(max) {
                Ok(Some(frame)) => return Poll::Ready(Some(Ok(frame))),
                Ok(None) => {}
                Err(e) => return Poll::Ready(Some(Err(e))),
            }
            if self.eof {
                return Poll::Ready(if self.buf.is_empty() {
                    None
                } else {
                    Some(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the stream ended in the middle of a frame",
                    )))
                });
            }
            let read = if self.buf.is_empty() {
                // Nothing buffered: read into the stack, so that a connection waiting for its
                // next message holds no heap buffer at all.
                self.buf = BytesMut::new();
                let mut stack = [MaybeUninit::<u8>::uninit(); IDLE_READ];
                let mut rb = ReadBuf::uninit(&mut stack);
                match Pin::new(&mut *io).poll_read(cx, &mut rb) {
                    Poll::Ready(Ok(())) => {
                        self.buf.extend_from_slice(rb.filled());
                        Ok(rb.filled().len())
                    }
                    Poll::Ready(Err(e)) => Err(e),
                    Poll::Pending => return Poll::Pending,
                }
            } else {
                if self.buf.capacity() == self.buf.len() {
                    self.buf.reserve(MIN_READ);
                }
                ready!(tokio_util::io::poll_read_buf(
                    Pin::new(&mut *io),
                    cx,
                    &mut self.buf
                ))
            };
            match read {
                Ok(0) => self.eof = true,
                Ok(_) => {}
                Err(e) => return Poll::Ready(Some(Err(e))),
            }
        }
    }
}

/// The write side: frames accepted and not yet written.
#[derive(Debug, Default)]
pub(crate) struct FrameWriter {
    /// Older output, in order: frozen batches of small frames, and large payloads.
    queue: VecDeque<Bytes>,
    /// The newest output: headers and small payloads, copied together.
    tail: BytesMut,
    /// Bytes in `queue`.
    queued: usize,
}

impl FrameWriter {
    pub(crate) fn pending(&self) -> usize {
        self.queued + self.tail.len()
    }

    pub(crate) fn push(&mut self, frame: Frame, max: usize) -> io::Result<()> {
        if frame.len() > max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "outgoing frame of {} bytes is larger than max_frame_bytes ({max} bytes)",
                    frame.len()
                ),
            ));
        }
        // A byte stream has no frame kinds: text goes out as its UTF-8 bytes.
        let payload = match frame {
            Frame::Text(text) => Bytes::from(text.into_bytes()),
            Frame::Binary(bytes) => bytes,
            // Closing a byte stream carries no reason; the writer closes the stream next.
            Frame::Close(_) => return Ok(()),
        };
        let len = u32::try_from(payload.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame longer than 4 GiB"))?;
        if payload.len() <= COPY_MAX {
            if self.tail.capacity() == 0 {
                self.tail.reserve(1024);
            }
            self.tail.extend_from_slice(&len.to_be_bytes());
            self.tail.extend_from_slice(&payload);
        } else {
            self.tail.extend_from_slice(&len.to_be_bytes());
            let head = self.tail.split().freeze();
            self.queued += head.len() + payload.len();
            self.queue.push_back(head);
            self.queue.push_back(payload);
        }
        Ok(())
    }

    /// Writes everything queued (vectored when there are several buffers), then flushes `io`.
    pub(crate) fn poll_flush<IO: AsyncWrite + Unpin>(
        &mut self,
        io: &mut IO,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        while self.pending() > 0 {
            let n = if self.queue.is_empty() {
                ready!(Pin::new(&mut *io).poll_write(cx, &self.tail))?
            } else {
                let mut slices = [IoSlice::new(&[]); MAX_SLICES + 1];
                let mut used = 0;
                for chunk in self.queue.iter().take(MAX_SLICES) {
                    slices[used] = IoSlice::new(chunk);
                    used += 1;
                }
                if self.queue.len() <= MAX_SLICES && !self.tail.is_empty() {
                    slices[used] = IoSlice::new(&self.tail);
                    used += 1;
                }
                ready!(Pin::new(&mut *io).poll_write_vectored(cx, &slices[..used]))?
            };
            if n == 0 {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "failed to write frame to transport",
                )));
            }
            self.consume(n);
        }
        // Written out: hold no buffer while idle.
        self.tail = BytesMut::new();
        Pin::new(&mut *io).poll_flush(cx)
    }

    fn consume(&mut self, mut n: usize) {
        while n > 0 {
            match self.queue.front_mut() {
                Some(front) if front.len() <= n => {
                    n -= front.len();
                    self.queued -= front.len();
                    self.queue.pop_front();
                }
                Some(front) => {
                    front.advance(n);
                    self.queued -= n;
                    return;
                }
                None => {
                    self.tail.advance(n);
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::task::noop_waker_ref;

    fn cx() -> Context<'static> {
        Context::from_waker(noop_waker_ref())
    }

    #[test]
    fn round_trips_small_large_and_text_frames() {
        let mut writer = FrameWriter::default();
        let big = Bytes::from(vec![7u8; 10_000]);
        writer.push(Frame::Text("hi".into()), 1 << 20).unwrap();
        writer.push(Frame::Binary(big.clone()), 1 << 20).unwrap();
        writer
            .push(Frame::Binary(Bytes::from_static(b"x")), 1 << 20)
            .unwrap();
        let mut out = Vec::new();
        assert!(writer.poll_flush(&mut out, &mut cx()).is_ready());
        assert_eq!(&out[..6], &[0, 0, 0, 2, b'h', b'i']);

        let mut reader = FrameReader::default();
        let mut input = &out[..];
        let mut frames = Vec::new();
        while let Poll::Ready(Some(frame)) = reader.poll_frame(&mut input, 1 << 20, &mut cx()) {
            frames.push(frame.unwrap());
        }
        assert_eq!(
            frames,
            [Bytes::from_static(b"hi"), big, Bytes::from_static(b"x")]
        );
    }

    #[test]
    fn waits_for_a_whole_frame() {
        let mut reader = FrameReader::default();
        let mut input: &[u8] = &[0, 0, 0, 3, b'a'];
        assert!(matches!(
            reader.poll_frame(&mut input, 64, &mut cx()),
            Poll::Ready(Some(Err(e))) if e.kind() == io::ErrorKind::UnexpectedEof
        ));
    }

    #[test]
    fn oversize_frames_name_the_limit() {
        let mut reader = FrameReader::default();
        let mut input: &[u8] = &[0, 0, 0, 5];
        let Poll::Ready(Some(Err(err))) = reader.poll_frame(&mut input, 4, &mut cx()) else {
            panic!("expected an error");
        };
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(
            err.to_string().contains("max_frame_bytes (4 bytes)"),
            "{err}"
        );

        let err = FrameWriter::default()
            .push(Frame::Binary(Bytes::from_static(b"12345")), 4)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("max_frame_bytes"), "{err}");
    }
}
