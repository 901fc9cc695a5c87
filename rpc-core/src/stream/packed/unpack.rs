//! Packed bytes → Rust: a serde `Deserializer` reading one packed item, mirroring
//! `ValueDeserializer` (numbers convert without loss, `nil` reads as `None` or `()`, enums are
//! strings or one-key maps), so a typed reader gets what `from_value` would have given it.
//!
//! The run was checked when it arrived ([`super::check`]): well-formed, within the depth limit,
//! map keys strings. So nothing here recurses deeper than the limit allows.

use bytes::Bytes;
use serde::de::{self, IntoDeserializer, Visitor};

use crate::{
    RpcError,
    codec::msgpack::read::{Item, Reader},
    value::{BigInt, Object, Value, ValueDeserializer, special, whole},
};

/// A cursor over a packed run.
pub(super) struct Unpacker<'a> {
    reader: Reader<'a>,
    /// The run's buffer, so byte strings read as `Value`s share it instead of copying.
    source: &'a Bytes,
    base: usize,
}

pub(super) fn malformed(detail: impl std::fmt::Display) -> RpcError {
    RpcError::protocol(format!("bad packed stream chunk: {detail}"))
}

impl<'a> Unpacker<'a> {
    #[inline]
    pub(super) fn new(source: &'a Bytes, pos: usize) -> Self {
        Unpacker {
            reader: Reader::new(&source[pos..]),
            source,
            base: pos,
        }
    }

    /// Where the cursor is in the run's buffer.
    #[inline]
    pub(super) fn position(&self) -> usize {
        self.base + self.reader.position()
    }

    #[inline]
    fn item(&mut self) -> Result<Item<'a>, RpcError> {
        self.reader.item().map_err(malformed)
    }

    /// Skips one whole item, for instance what a visitor left unread.
    pub(super) fn skip(&mut self) -> Result<(), RpcError> {
        let mut pending = 1usize;
        while pending > 0 {
            pending -= 1;
            match self.item()? {
                Item::Array(n) => pending = pending.saturating_add(n),
                Item::Map(n) => pending = pending.saturating_add(n.saturating_mul(2)),
                Item::Ext => return Err(malformed("an extension type")),
                _ => {}
            }
        }
        Ok(())
    }

    fn key(&mut self) -> Result<&'a str, RpcError> {
        match self.item()? {
            Item::Str(s) => Ok(s),
            other => Err(malformed(format!("a map key is {}", other.kind()))),
        }
    }

    /// The next item as a value tree.
    pub(super) fn value(&mut self) -> Result<Value, RpcError> {
        Ok(match self.item()? {
            Item::Nil => Value::Null,
            Item::Bool(b) => Value::Bool(b),
            Item::Int(i) => Value::Int(i),
            Item::BigUint(u) => Value::BigInt(BigInt::from(u128::from(u))),
            Item::Float(f) => Value::Float(f),
            Item::Str(s) => Value::String(s.to_owned()),
            Item::Bin(b) => Value::Bytes(self.source.slice_ref(b), None),
            Item::Array(n) => {
                let mut items = Vec::with_capacity(n.min(self.reader.remaining()));
                for _ in 0..n {
                    items.push(self.value()?);
                }
                Value::Array(items)
            }
            Item::Map(n) => {
                let mut object = Object::new();
                for _ in 0..n {
                    let key = self.key()?;
                    object.insert(key, self.value()?);
                }
                Value::Object(object)
            }
            Item::Ext => return Err(malformed("an extension type")),
        })
    }
}

/// Worded as `ValueDeserializer` words it, naming what the item would be as a value.
fn mismatch<T>(expected: &str, got: &Item<'_>) -> Result<T, RpcError> {
    let got = match got {
        Item::Nil => "null",
        Item::Bool(_) => "boolean",
        Item::Int(_) | Item::Float(_) => "number",
        Item::BigUint(_) => "bigint",
        Item::Str(_) => "string",
        Item::Bin(_) => "bytes",
        Item::Array(_) => "array",
        Item::Map(_) => "object",
        Item::Ext => "an extension type",
    };
    Err(RpcError::invalid_argument(format!(
        "expected {expected}, got {got}"
    )))
}

/// A numeric item as the value it stands for, for error messages worded as values' are.
fn number(item: &Item<'_>) -> Value {
    match *item {
        Item::Int(i) => Value::Int(i),
        Item::BigUint(u) => Value::BigInt(BigInt::from(u128::from(u))),
        Item::Float(f) => Value::Float(f),
        _ => Value::Undefined,
    }
}

macro_rules! deserialize_integer {
    ($($method:ident => $visit:ident, $t:ty;)*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RpcError> {
            if let Some(i) = self.reader.int() {
                return match <$t>::try_from(i).ok() {
                    Some(n) => visitor.$visit(n),
                    None => Err(RpcError::invalid_argument(format!(
                        "{:?} does not fit in {}", Value::Int(i), stringify!($t)
                    ))),
                };
            }
            let item = self.item()?;
            let n: Option<$t> = match &item {
                Item::Int(i) => <$t>::try_from(*i).ok(),
                Item::BigUint(u) => <$t>::try_from(*u).ok(),
                Item::Float(f) if f.fract() == 0.0 => whole(*f),
                _ => return mismatch(stringify!($t), &item),
            };
            match n {
                Some(n) => visitor.$visit(n),
                None => Err(RpcError::invalid_argument(format!(
                    "{:?} does not fit in {}", number(&item), stringify!($t)
                ))),
            }
        }
    )*};
}

impl<'de, 'a> de::Deserializer<'de> for &mut Unpacker<'a> {
    type Error = RpcError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RpcError> {
        match self.item()? {
            Item::Nil => visitor.visit_unit(),
            Item::Bool(b) => visitor.visit_bool(b),
            Item::Int(i) => visitor.visit_i64(i),
            Item::BigUint(u) => visitor.visit_i128(i128::from(u)),
            Item::Float(f) => visitor.visit_f64(f),
            Item::Str(s) => visitor.visit_string(s.to_owned()),
            Item::Bin(b) => visitor.visit_byte_buf(b.to_vec()),
            Item::Array(n) => {
                let mut seq = Seq { de: self, left: n };
                let out = visitor.visit_seq(&mut seq)?;
                seq.finish()?;
                Ok(out)
            }
            Item::Map(n) => {
                let mut map = Map { de: self, left: n };
                let out = visitor.visit_map(&mut map)?;
                map.finish()?;
                Ok(out)
            }
            Item::Ext => Err(malformed("an extension type")),
        }
    }

    deserialize_integer! {
        deserialize_i8 => visit_i8, i8;
        deserialize_i16 => visit_i16, i16;
        deserialize_i32 => visit_i32, i32;
        deserialize_i64 => visit_i64, i64;
        deserialize_i128 => visit_i128, i128;
        deserialize_u8 => visit_u8, u8;
        deserialize_u16 => visit_u16, u16;
        deserialize_u32 => visit_u32, u32;
        deserialize_u64 => visit_u64, u64;
        deserialize_u128 => visit_u128, u128;
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RpcError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RpcError> {
        match self.item()? {
            Item::Int(i) => visitor.visit_f64(i as f64),
            Item::Float(f) => visitor.visit_f64(f),
            other => mismatch("a number", &other),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RpcError> {
        if self.reader.peek() == Some(rmp::Marker::Null) {
            self.item()?;
            return visitor.visit_none();
        }
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RpcError> {
        match self.item()? {
            Item::Nil => visitor.visit_unit(),
            other => mismatch("undefined or null", &other),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, RpcError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RpcError> {
        match self.reader.peek() {
            Some(rmp::Marker::Bin8 | rmp::Marker::Bin16 | rmp::Marker::Bin32) => {
                match self.item()? {
                    Item::Bin(b) => visitor.visit_byte_buf(b.to_vec()),
                    other => mismatch("bytes", &other),
                }
            }
            Some(rmp::Marker::FixArray(_) | rmp::Marker::Array16 | rmp::Marker::Array32) => {
                self.deserialize_any(visitor)
            }
            _ => {
                let other = self.item()?;
                mismatch("bytes", &other)
            }
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RpcError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, RpcError> {
        if name == special::TOKEN {
            // Reading a `Value`: build it here, sharing the run's bytes.
            special::park(self.value()?);
            return visitor.visit_newtype_struct(ValueDeserializer(Value::Undefined));
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, RpcError> {
        match self.item()? {
            Item::Str(s) => visitor.visit_enum(s.into_deserializer()),
            Item::Map(1) => {
                let variant = self.key()?;
                visitor.visit_enum(Enum { de: self, variant })
            }
            other => mismatch("an enum (a string or a one-key object)", &other),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RpcError> {
        self.skip()?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool char str string seq tuple tuple_struct map struct identifier
    }
}

/// An array's elements; whatever the visitor leaves is skipped.
struct Seq<'s, 'a> {
    de: &'s mut Unpacker<'a>,
    left: usize,
}

impl Seq<'_, '_> {
    fn finish(self) -> Result<(), RpcError> {
        for _ in 0..self.left {
            self.de.skip()?;
        }
        Ok(())
    }
}

impl<'de> de::SeqAccess<'de> for &mut Seq<'_, '_> {
    type Error = RpcError;
    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, RpcError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// A map's entries (string keys); whatever the visitor leaves is skipped.
struct Map<'s, 'a> {
    de: &'s mut Unpacker<'a>,
    left: usize,
}

impl Map<'_, '_> {
    fn finish(self) -> Result<(), RpcError> {
        for _ in 0..self.left {
            self.de.skip()?;
            self.de.skip()?;
        }
        Ok(())
    }
}

impl<'de> de::MapAccess<'de> for &mut Map<'_, '_> {
    type Error = RpcError;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, RpcError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let key: de::value::StrDeserializer<'_, RpcError> = self.de.key()?.into_deserializer();
        seed.deserialize(key).map(Some)
    }
    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, RpcError> {
        seed.deserialize(&mut *self.de)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// A `{variant: contents}` enum.
struct Enum<'s, 'a> {
    de: &'s mut Unpacker<'a>,
    variant: &'a str,
}

impl<'de, 's, 'a> de::EnumAccess<'de> for Enum<'s, 'a> {
    type Error = RpcError;
    type Variant = Self;
    fn variant_seed<V: de::DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self), RpcError> {
        let name: de::value::StrDeserializer<'_, RpcError> = self.variant.into_deserializer();
        Ok((seed.deserialize(name)?, self))
    }
}

impl<'de> de::VariantAccess<'de> for Enum<'_, '_> {
    type Error = RpcError;
    fn unit_variant(self) -> Result<(), RpcError> {
        self.de.skip()
    }
    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, RpcError> {
        seed.deserialize(self.de)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, RpcError> {
        de::Deserializer::deserialize_seq(self.de, visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, RpcError> {
        de::Deserializer::deserialize_map(self.de, visitor)
    }
}
