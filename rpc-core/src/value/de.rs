//! [`Value`] → Rust: a serde `Deserializer` over a value tree.

use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

use super::{Value, special};
use crate::RpcError;

/// Converts a [`Value`] into any deserializable type.
///
/// Numbers convert between integer and float forms when no precision is lost (JavaScript sends
/// every number as a double), `undefined` and `null` both read as `None` or `()`, and bigints
/// read into any integer type they fit.
///
/// ```
/// use rpc_core::value::{from_value, Value};
/// assert_eq!(from_value::<i64>(Value::Float(3.0)).unwrap(), 3);
/// assert_eq!(from_value::<Option<u8>>(Value::Undefined).unwrap(), None);
/// assert!(from_value::<u8>(Value::Int(300)).is_err());
/// let v = Value::Array(vec![Value::from("a"), Value::from("b")]);
/// assert_eq!(from_value::<Vec<String>>(v).unwrap(), ["a", "b"]);
/// ```
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, RpcError> {
    T::deserialize(ValueDeserializer(value))
}

impl de::Error for RpcError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        RpcError::invalid_argument(msg.to_string())
    }
}

impl<'de> de::Deserialize<'de> for Value {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(special::TOKEN, ValueVisitor)
    }
}

/// Builds a `Value` from any deserializer; from Capstan's own it takes the value whole.
struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any value")
    }
    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        match special::take() {
            Some(v) => Ok(v),
            None => d.deserialize_any(ValueVisitor),
        }
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(super::ser::to_value(&v).unwrap_or(Value::Float(v as f64)))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(super::ser::to_value(&v).unwrap_or(Value::Float(v as f64)))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(super::ser::to_value(&v).unwrap_or(Value::Float(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Bytes(bytes::Bytes::copy_from_slice(v), None))
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Bytes(v.into(), None))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize_from(d)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut o = super::Object::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            o.insert(k, v);
        }
        Ok(Value::Object(o))
    }
}

impl Value {
    fn deserialize_from<'de, D: de::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        <Value as de::Deserialize>::deserialize(d)
    }
}

/// The deserializer behind [`from_value`].
pub(crate) struct ValueDeserializer(pub(crate) Value);

impl ValueDeserializer {
    fn mismatch<T>(self, expected: &str) -> Result<T, RpcError> {
        Err(RpcError::invalid_argument(format!(
            "expected {expected}, got {}",
            self.0.kind_name()
        )))
    }
}

/// A whole float as an integer type, when it fits (JavaScript sends every number as a
/// double).
pub(crate) fn whole<T: TryFrom<i128>>(f: f64) -> Option<T> {
    let wide = f as i128;
    if wide as f64 == f {
        T::try_from(wide).ok()
    } else {
        None
    }
}

macro_rules! deserialize_integer {
    ($($method:ident => $visit:ident, $t:ty;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RpcError> {
            let n: Option<$t> = match &self.0 {
                Value::Int(i) => <$t>::try_from(*i).ok(),
                Value::Float(f) if f.fract() == 0.0 => whole(*f),
                Value::BigInt(b) => b.as_str().parse::<$t>().ok(),
                _ => return self.mismatch(stringify!($t)),
            };
            match n {
                Some(n) => visitor.$visit(n),
                None => Err(RpcError::invalid_argument(format!(
                    "{:?} does not fit in {}", self.0, stringify!($t)
                ))),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDeserializer {
    type Error = RpcError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RpcError> {
        match self.0 {
            Value::Undefined | Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Int(i) => visitor.visit_i64(i),
            Value::Float(f) => visitor.visit_f64(f),
            Value::BigInt(b) => match b.to_i128() {
                Some(i) => visitor.visit_i128(i),
                None => visitor.visit_string(b.to_string()),
            },
            Value::String(s) => visitor.visit_string(s),
            Value::Utf16(u) => visitor.visit_string(String::from_utf16_lossy(&u)),
            Value::Bytes(b, _) => visitor.visit_byte_buf(Vec::from(b)),
            Value::Date(Some(ms)) => visitor.visit_f64(ms),
            Value::Date(None) => visitor.visit_unit(),
            Value::Array(items) => visitor.visit_seq(SeqAccess(items.into_iter())),
            Value::Object(o) => visitor.visit_map(MapAccess {
                entries: o.into_iter(),
                value: None,
            }),
            Value::Error(e) => {
                let mut o = e.props().clone();
                o.insert("name", e.name());
                o.insert("message", e.message());
                visitor.visit_map(MapAccess {
                    entries: o.into_iter(),
                    value: None,
                })
            }
            // A URL reads as its href, headers as their pairs and a blob as its bytes, so plain
            // Rust types can take them; requests and responses have no plain-data reading.
            Value::Url(u) => visitor.visit_string(u.to_string()),
            Value::Headers(h) => {
                let pairs = h.into_pairs().into_iter();
                let pairs = pairs.map(|(n, v)| Value::Array(vec![n.into(), v.into()]));
                visitor.visit_seq(SeqAccess(pairs.collect::<Vec<_>>().into_iter()))
            }
            Value::Blob(b) => visitor.visit_byte_buf(b.data.to_vec()),
            Value::Stub(_)
            | Value::Promise(_)
            | Value::Readable(_)
            | Value::Writable(_)
            | Value::Request(_)
            | Value::Response(_) => self.mismatch("plain data"),
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
        match self.0 {
            Value::Int(i) => visitor.visit_f64(i as f64),
            Value::Float(f) => visitor.visit_f64(f),
            _ => self.mismatch("a number"),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RpcError> {
        match self.0 {
            Value::Undefined | Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RpcError> {
        match self.0 {
            Value::Undefined | Value::Null => visitor.visit_unit(),
            _ => self.mismatch("undefined or null"),
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
        match self.0 {
            Value::Bytes(b, _) => visitor.visit_byte_buf(Vec::from(b)),
            Value::Array(items) => visitor.visit_seq(SeqAccess(items.into_iter())),
            _ => self.mismatch("bytes"),
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
            special::park(self.0);
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
        match self.0 {
            Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            Value::Object(o) if o.len() == 1 => {
                let (variant, value) = o.into_iter().next().expect("one entry");
                visitor.visit_enum(EnumAccess { variant, value })
            }
            _ => self.mismatch("an enum (a string or a one-key object)"),
        }
    }

    serde::forward_to_deserialize_any! {
        bool char str string seq tuple tuple_struct map struct identifier ignored_any
    }
}

struct SeqAccess(std::vec::IntoIter<Value>);

impl<'de> de::SeqAccess<'de> for SeqAccess {
    type Error = RpcError;
    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, RpcError> {
        match self.0.next() {
            Some(v) => seed.deserialize(ValueDeserializer(v)).map(Some),
            None => Ok(None),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct MapAccess {
    entries: std::vec::IntoIter<(String, Value)>,
    value: Option<Value>,
}

impl<'de> de::MapAccess<'de> for MapAccess {
    type Error = RpcError;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, RpcError> {
        match self.entries.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(ValueDeserializer(Value::String(k)))
                    .map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, RpcError> {
        let v = self.value.take().unwrap_or_default();
        seed.deserialize(ValueDeserializer(v))
    }
}

struct EnumAccess {
    variant: String,
    value: Value,
}

impl<'de> de::EnumAccess<'de> for EnumAccess {
    type Error = RpcError;
    type Variant = ValueDeserializer;
    fn variant_seed<V: de::DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, ValueDeserializer), RpcError> {
        let v = seed.deserialize(ValueDeserializer(Value::String(self.variant)))?;
        Ok((v, ValueDeserializer(self.value)))
    }
}

impl<'de> de::VariantAccess<'de> for ValueDeserializer {
    type Error = RpcError;
    fn unit_variant(self) -> Result<(), RpcError> {
        Ok(())
    }
    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, RpcError> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, RpcError> {
        de::Deserializer::deserialize_seq(self, visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, RpcError> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}
