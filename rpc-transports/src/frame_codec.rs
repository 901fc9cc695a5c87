//! The byte-stream codec: a 4-byte big-endian length prefix before every frame.

use std::io;

use bytes::{Bytes, BytesMut};
use rpc_core::Frame;
use tokio_util::codec::{Decoder, Encoder, LengthDelimitedCodec, LengthDelimitedCodecError};

/// Length-prefixed frames with a size limit, built on `LengthDelimitedCodec`.
///
/// Only adds what the plain codec lacks: `Frame` items in and out, and limit errors that name
/// `max_frame_bytes`, so a user who hits one knows which setting to change.
#[derive(Debug)]
pub(crate) struct FrameCodec {
    inner: LengthDelimitedCodec,
    max_frame_bytes: usize,
}

impl FrameCodec {
    pub(crate) fn new(max_frame_bytes: usize) -> Self {
        let inner = LengthDelimitedCodec::builder()
            .length_field_length(4)
            .big_endian()
            .max_frame_length(max_frame_bytes)
            .new_codec();
        FrameCodec {
            inner,
            max_frame_bytes,
        }
    }
}

impl Decoder for FrameCodec {
    type Item = Frame;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<Frame>> {
        match self.inner.decode(src) {
            Ok(frame) => Ok(frame.map(|bytes| Frame::Binary(bytes.freeze()))),
            Err(err) if is_length_limit_error(&err) => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "incoming frame is larger than max_frame_bytes ({} bytes)",
                    self.max_frame_bytes
                ),
            )),
            Err(err) => Err(err),
        }
    }
}

impl Encoder<Frame> for FrameCodec {
    type Error = io::Error;

    fn encode(&mut self, frame: Frame, dst: &mut BytesMut) -> io::Result<()> {
        // Checked here rather than in the inner codec so the message can give both sizes.
        if frame.len() > self.max_frame_bytes {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "outgoing frame of {} bytes is larger than max_frame_bytes ({} bytes)",
                    frame.len(),
                    self.max_frame_bytes
                ),
            ));
        }
        // A byte stream has no frame kinds: text goes out as its UTF-8 bytes, without a copy.
        let payload = match frame {
            Frame::Text(text) => Bytes::from(text.into_bytes()),
            Frame::Binary(bytes) => bytes,
            // Closing a byte stream carries no reason; the writer closes the stream next.
            Frame::Close(_) => return Ok(()),
        };
        self.inner.encode(payload, dst)
    }
}

fn is_length_limit_error(err: &io::Error) -> bool {
    err.get_ref()
        .is_some_and(|inner| inner.is::<LengthDelimitedCodecError>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_turns_text_into_binary() {
        let mut codec = FrameCodec::new(64);
        let mut buf = BytesMut::new();
        codec.encode(Frame::Text("hi".into()), &mut buf).unwrap();
        assert_eq!(&buf[..], &[0, 0, 0, 2, b'h', b'i']);
        let frame = codec.decode(&mut buf).unwrap();
        assert_eq!(frame, Some(Frame::Binary(Bytes::from_static(b"hi"))));
    }

    #[test]
    fn waits_for_a_whole_frame() {
        let mut codec = FrameCodec::new(64);
        let mut buf = BytesMut::from(&[0u8, 0, 0, 3, b'a'][..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"bc");
        let frame = codec.decode(&mut buf).unwrap();
        assert_eq!(frame, Some(Frame::Binary(Bytes::from_static(b"abc"))));
    }

    #[test]
    fn oversize_frames_name_the_limit() {
        let mut codec = FrameCodec::new(4);
        let mut buf = BytesMut::from(&[0u8, 0, 0, 5][..]);
        let err = codec.decode(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(
            err.to_string().contains("max_frame_bytes (4 bytes)"),
            "{err}"
        );

        let err = codec
            .encode(Frame::Binary(Bytes::from_static(b"12345")), &mut buf)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("max_frame_bytes"), "{err}");
    }
}
