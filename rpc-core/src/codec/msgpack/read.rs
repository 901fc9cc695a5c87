//! The token level of the MessagePack decoder: one item header (or scalar) at a time.

use rmp::Marker;

use crate::codec::CodecError;

/// One MessagePack item. Containers carry only their length: their contents follow.
pub(super) enum Item<'a> {
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
    pub(super) fn kind(&self) -> &'static str {
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
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

fn eof() -> CodecError {
    CodecError::Malformed("invalid MessagePack: unexpected end of frame".into())
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not yet read; also an upper bound on how many items can still follow.
    pub(super) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.buf.len());
        let end = end.ok_or_else(eof)?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
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
    pub(super) fn peek(&self) -> Option<Marker> {
        self.buf.get(self.pos).map(|&b| Marker::from_u8(b))
    }

    /// Reads one item: a whole scalar, or a container's header.
    pub(super) fn item(&mut self) -> Result<Item<'a>, CodecError> {
        let marker = Marker::from_u8(self.array::<1>()?[0]);
        Ok(match marker {
            Marker::Null => Item::Nil,
            Marker::True => Item::Bool(true),
            Marker::False => Item::Bool(false),
            Marker::FixPos(v) => Item::Int(i64::from(v)),
            Marker::FixNeg(v) => Item::Int(i64::from(v)),
            Marker::U8 => Item::Int(i64::from(self.array::<1>()?[0])),
            Marker::U16 => Item::Int(i64::from(u16::from_be_bytes(self.array()?))),
            Marker::U32 => Item::Int(i64::from(u32::from_be_bytes(self.array()?))),
            Marker::U64 => {
                let v = u64::from_be_bytes(self.array()?);
                i64::try_from(v).map_or(Item::BigUint(v), Item::Int)
            }
            Marker::I8 => Item::Int(i64::from(i8::from_be_bytes(self.array()?))),
            Marker::I16 => Item::Int(i64::from(i16::from_be_bytes(self.array()?))),
            Marker::I32 => Item::Int(i64::from(i32::from_be_bytes(self.array()?))),
            Marker::I64 => Item::Int(i64::from_be_bytes(self.array()?)),
            Marker::F32 => Item::Float(f64::from(f32::from_be_bytes(self.array()?))),
            Marker::F64 => Item::Float(f64::from_be_bytes(self.array()?)),
            Marker::FixStr(n) => self.str(usize::from(n))?,
            Marker::Str8 => {
                let n = self.len8()?;
                self.str(n)?
            }
            Marker::Str16 => {
                let n = self.len16()?;
                self.str(n)?
            }
            Marker::Str32 => {
                let n = self.len32()?;
                self.str(n)?
            }
            Marker::Bin8 => {
                let n = self.len8()?;
                Item::Bin(self.take(n)?)
            }
            Marker::Bin16 => {
                let n = self.len16()?;
                Item::Bin(self.take(n)?)
            }
            Marker::Bin32 => {
                let n = self.len32()?;
                Item::Bin(self.take(n)?)
            }
            Marker::FixArray(n) => Item::Array(usize::from(n)),
            Marker::Array16 => Item::Array(self.len16()?),
            Marker::Array32 => Item::Array(self.len32()?),
            Marker::FixMap(n) => Item::Map(usize::from(n)),
            Marker::Map16 => Item::Map(self.len16()?),
            Marker::Map32 => Item::Map(self.len32()?),
            Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16
            | Marker::Ext8
            | Marker::Ext16
            | Marker::Ext32 => Item::Ext,
            Marker::Reserved => {
                return Err(CodecError::Malformed(
                    "invalid MessagePack: reserved marker 0xc1".into(),
                ));
            }
        })
    }

    fn str(&mut self, n: usize) -> Result<Item<'a>, CodecError> {
        let bytes = self.take(n)?;
        std::str::from_utf8(bytes)
            .map(Item::Str)
            .map_err(|_| CodecError::Malformed("invalid MessagePack: string is not UTF-8".into()))
    }
}
