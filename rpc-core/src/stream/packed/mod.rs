//! Packed runs: many plain stream items as one MessagePack byte string.
//!
//! A stream of small items spends most of its time building, encoding, decoding and dropping a
//! value tree per item. Between Capstan peers a writer whose items are plain data (no stubs,
//! streams or special values) serializes them straight into one buffer, and the reader
//! deserializes each straight out of it: `["stream", ["pipeline", p, ["writePacked"],
//! [["bytes", run], count]]]`. Items that are not plain data go as values in between, so order
//! is kept.

mod pack;
mod unpack;

use bytes::Bytes;
use serde::de::DeserializeOwned;

pub(crate) use pack::pack_into;
use unpack::{Unpacker, malformed};

use crate::{
    RpcError,
    codec::msgpack::read::{Item, Reader},
    value::Value,
};

/// One open container while a run is checked.
struct Level {
    left: usize,
    map: bool,
}

/// `count` packed items in `bytes`, read front to back.
#[derive(Debug, Clone)]
pub(crate) struct PackedRun {
    bytes: Bytes,
    pos: usize,
    left: usize,
}

impl PackedRun {
    /// A run of items this process packed (or checked with [`PackedRun::check`]).
    pub(crate) fn new(bytes: Bytes, count: usize) -> Self {
        PackedRun {
            bytes,
            pos: 0,
            left: count,
        }
    }

    /// A run from a peer: `count` well-formed items, nested at most `max_depth` deep, map keys
    /// strings, integers within `i64`, nothing after the last.
    pub(crate) fn check(bytes: Bytes, count: usize, max_depth: usize) -> Result<Self, RpcError> {
        let mut reader = Reader::new(&bytes);
        // The open levels, innermost last; the outermost is the run itself.
        let mut levels = vec![Level {
            left: count,
            map: false,
        }];
        while let Some(level) = levels.last_mut() {
            if !level.map {
                // Integers in a row, the common case, in a tight loop.
                while level.left > 0 && reader.int().is_some() {
                    level.left -= 1;
                }
            }
            if level.left == 0 {
                levels.pop();
                continue;
            }
            // A map's level counts keys and values, so a key is due whenever the count is even.
            let is_key = level.map && level.left % 2 == 0;
            level.left -= 1;
            let item = reader.item().map_err(malformed)?;
            if is_key && !matches!(item, Item::Str(_)) {
                return Err(malformed(format!("a map key is {}", item.kind())));
            }
            let (left, map) = match item {
                Item::Array(n) => (n, false),
                Item::Map(n) => (
                    n.checked_mul(2)
                        .ok_or_else(|| malformed("a map too long"))?,
                    true,
                ),
                Item::BigUint(_) => return Err(malformed("an integer beyond i64")),
                Item::Ext => return Err(malformed("an extension type")),
                _ => continue,
            };
            if levels.len() > max_depth {
                return Err(RpcError::limit(
                    "max_depth",
                    format!("a packed item nests more than {max_depth} deep"),
                ));
            }
            levels.push(Level { left, map });
        }
        if reader.remaining() != 0 {
            return Err(malformed("bytes after the last item"));
        }
        Ok(PackedRun::new(bytes, count))
    }

    /// Items not yet read.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.left
    }

    /// Bytes not yet read.
    pub(crate) fn size(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// What is left, as the bytes and item count of a run to send on.
    pub(crate) fn into_parts(self) -> (Bytes, usize) {
        (self.bytes.slice(self.pos..), self.left)
    }

    #[inline]
    fn next_with<R>(
        &mut self,
        read: impl FnOnce(&mut Unpacker<'_>) -> Result<R, RpcError>,
    ) -> Option<Result<R, RpcError>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let mut de = Unpacker::new(&self.bytes, self.pos);
        let result = read(&mut de);
        match result {
            Ok(_) => self.pos = de.position(),
            Err(_) => self.step_over(),
        }
        Some(result)
    }

    /// A type mismatch costs only its own item, as with values: the cursor moves past it.
    #[cold]
    fn step_over(&mut self) {
        let mut de = Unpacker::new(&self.bytes, self.pos);
        match de.skip() {
            Ok(()) => self.pos = de.position(),
            Err(_) => self.left = 0,
        }
    }

    /// The next item as a `T`, as `from_value` would read it from the item's value.
    #[inline]
    pub(crate) fn next_item<T: DeserializeOwned>(&mut self) -> Option<Result<T, RpcError>> {
        self.next_with(|de| T::deserialize(de))
    }

    /// The next item as a value tree.
    pub(crate) fn next_value(&mut self) -> Option<Result<Value, RpcError>> {
        self.next_with(|de| de.value())
    }
}

#[cfg(test)]
mod tests;
