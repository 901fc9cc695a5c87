//! The token level of the MessagePack decoder: one item header (or scalar) at a time.

use rmp::Marker;

use crate::codec::CodecError;

/// One MessagePack item. Containers carry only their length: their contents follow.
pub(crate) enum Item<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    /// An unsigned integer above `i64::MAX`.
    BigUint(u64),
    Float(f64),
    Str(&'a str),
    Bin(&'a [u8]),
    Array(usize),
    Map(usize),
    Ext,
}

impl Item<'_> {
    /// What the item is, for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Item::Nil => "nil",
            Item::Bool(_) => "a boolean",
            Item::Int(_) | Item::BigUint(_) => "an integer",
            Item::Float(_) => "a float",
            Item::Str(_) => "a string",
            Item::Bin(_) => "binary data",
            Item::Array(_) => "an array",
            Item::Map(_) => "a map",
            Item::Ext => "an extension type",
        }
    }
}

/// A cursor over one frame.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

fn eof() -> CodecError {
    CodecError::Malformed("invalid MessagePack: unexpected end of frame".into())
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// How many bytes have been read.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not yet read; also an upper bound on how many items can still follow.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.buf.len());
        let end = end.ok_or_else(eof)?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    #[inline(always)]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        // `pos` never passes the end, so `pos + N` cannot overflow.
        let bytes = self.buf.get(self.pos..self.pos + N).ok_or_else(eof)?;
        self.pos += N;
        Ok(bytes.try_into().expect("a slice of N bytes"))
    }

    fn len8(&mut self) -> Result<usize, CodecError> {
        Ok(usize::from(self.array::<1>()?[0]))
    }

    fn len16(&mut self) -> Result<usize, CodecError> {
        Ok(usize::from(u16::from_be_bytes(self.array()?)))
    }

    fn len32(&mut self) -> Result<usize, CodecError> {
        usize::try_from(u32::from_be_bytes(self.array()?)).map_err(|_| eof())
    }

    /// The marker of the next item, without consuming it.
    pub(crate) fn peek(&self) -> Option<Marker> {
        self.buf.get(self.pos).map(|&b| Marker::from_u8(b))
    }

    /// Reads one item: a whole scalar, or a container's header.
    #[inline]
    pub(crate) fn item(&mut self) -> Result<Item<'a>, CodecError> {
        // Small non-negative integers (IDs, counts, most stream items) are one byte.
        match self.buf.get(self.pos) {
            Some(&b) if b < 0x80 => {
                self.pos += 1;
                Ok(Item::Int(i64::from(b)))
            }
            _ => self.item_marked(),
        }
    }

    /// Matched on the byte itself rather than through `rmp::Marker`, which costs a second
    /// dispatch per item.
    /// Reads an integer if one comes next (consuming nothing otherwise): the common item of a
    /// stream, read without building an [`Item`].
    #[inline]
    pub(crate) fn int(&mut self) -> Option<i64> {
        let at = self.pos;
        let b = *self.buf.get(at)?;
        let (value, len) = match b {
            0x00..=0x7f => (i64::from(b), 1),
            0xe0..=0xff => (i64::from(b as i8), 1),
            0xcc => (i64::from(*self.buf.get(at + 1)?), 2),
            0xcd => (i64::from(u16::from_be_bytes(self.peek_array(at + 1)?)), 3),
            0xce => (i64::from(u32::from_be_bytes(self.peek_array(at + 1)?)), 5),
            0xcf => (
                i64::try_from(u64::from_be_bytes(self.peek_array(at + 1)?)).ok()?,
                9,
            ),
            0xd0 => (i64::from(*self.buf.get(at + 1)? as i8), 2),
            0xd1 => (i64::from(i16::from_be_bytes(self.peek_array(at + 1)?)), 3),
            0xd2 => (i64::from(i32::from_be_bytes(self.peek_array(at + 1)?)), 5),
            0xd3 => (i64::from_be_bytes(self.peek_array(at + 1)?), 9),
            _ => return None,
        };
        self.pos = at + len;
        Some(value)
    }

    #[inline(always)]
    fn peek_array<const N: usize>(&self, at: usize) -> Option<[u8; N]> {
        self.buf.get(at..at + N)?.try_into().ok()
    }

    fn item_marked(&mut self) -> Result<Item<'a>, CodecError> {
        let [b] = self.array::<1>()?;
        Ok(match b {
            0x00..=0x7f => Item::Int(i64::from(b)),
            0x80..=0x8f => Item::Map(usize::from(b & 0x0f)),
            0x90..=0x9f => Item::Array(usize::from(b & 0x0f)),
            0xa0..=0xbf => self.str(usize::from(b & 0x1f))?,
            0xc0 => Item::Nil,
            0xc1 => {
                return Err(CodecError::Malformed(
                    "invalid MessagePack: reserved marker 0xc1".into(),
                ));
            }
            0xc2 => Item::Bool(false),
            0xc3 => Item::Bool(true),
            0xc4 => {
                let n = self.len8()?;
                Item::Bin(self.take(n)?)
            }
            0xc5 => {
                let n = self.len16()?;
                Item::Bin(self.take(n)?)
            }
            0xc6 => {
                let n = self.len32()?;
                Item::Bin(self.take(n)?)
            }
            0xc7..=0xc9 | 0xd4..=0xd8 => Item::Ext,
            0xca => Item::Float(f64::from(f32::from_be_bytes(self.array()?))),
            0xcb => Item::Float(f64::from_be_bytes(self.array()?)),
            0xcc => Item::Int(i64::from(self.array::<1>()?[0])),
            0xcd => Item::Int(i64::from(u16::from_be_bytes(self.array()?))),
            0xce => Item::Int(i64::from(u32::from_be_bytes(self.array()?))),
            0xcf => {
                let v = u64::from_be_bytes(self.array()?);
                i64::try_from(v).map_or(Item::BigUint(v), Item::Int)
            }
            0xd0 => Item::Int(i64::from(i8::from_be_bytes(self.array()?))),
            0xd1 => Item::Int(i64::from(i16::from_be_bytes(self.array()?))),
            0xd2 => Item::Int(i64::from(i32::from_be_bytes(self.array()?))),
            0xd3 => Item::Int(i64::from_be_bytes(self.array()?)),
            0xd9 => {
                let n = self.len8()?;
                self.str(n)?
            }
            0xda => {
                let n = self.len16()?;
                self.str(n)?
            }
            0xdb => {
                let n = self.len32()?;
                self.str(n)?
            }
            0xdc => Item::Array(self.len16()?),
            0xdd => Item::Array(self.len32()?),
            0xde => Item::Map(self.len16()?),
            0xdf => Item::Map(self.len32()?),
            0xe0..=0xff => Item::Int(i64::from(b as i8)),
        })
    }

    fn str(&mut self, n: usize) -> Result<Item<'a>, CodecError> {
        let bytes = self.take(n)?;
        std::str::from_utf8(bytes)
            .map(Item::Str)
            .map_err(|_| CodecError::Malformed("invalid MessagePack: string is not UTF-8".into()))
    }
}
