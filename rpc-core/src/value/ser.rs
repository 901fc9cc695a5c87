//! Rust → [`Value`]: a serde `Serializer` whose output is a value tree.

use serde::ser::{self, Serialize};

use super::{BigInt, Object, Value, special};
use crate::RpcError;

/// Converts any serializable value into a [`Value`].
///
/// Structs become objects, sequences arrays, `None` null and `()` undefined. Stubs, promises,
/// callbacks and [`Value`]s nested anywhere inside are carried through unchanged.
///
/// ```
/// use rpc_core::value::{to_value, Value};
/// #[derive(serde::Serialize)]
/// struct User { id: u32, tags: Vec<&'static str>, nick: Option<String> }
/// let v = to_value(&User { id: 7, tags: vec!["a"], nick: None }).unwrap();
/// assert_eq!(v.get("id"), Some(&Value::Int(7)));
/// assert_eq!(v.get("nick"), Some(&Value::Null));
/// assert_eq!(to_value(&()).unwrap(), Value::Undefined);
/// assert_eq!(to_value(&u64::MAX).unwrap(), Value::BigInt("18446744073709551615".parse().unwrap()));
/// ```
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, RpcError> {
    value.serialize(ValueSerializer)
}

impl std::str::FromStr for BigInt {
    type Err = RpcError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BigInt::parse(s).ok_or_else(|| RpcError::invalid_argument(format!("not a bigint: {s:?}")))
    }
}

impl ser::Error for RpcError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        RpcError::invalid_argument(msg.to_string())
    }
}

impl Serialize for Value {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use ser::{SerializeMap, SerializeSeq};
        match self {
            Value::Null => serializer.serialize_none(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            Value::Float(f) => serializer.serialize_f64(*f),
            Value::String(s) => serializer.serialize_str(s),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(o) => {
                let mut map = serializer.serialize_map(Some(o.len()))?;
                for (k, v) in o.iter() {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Value::Undefined => special::serialize(self.clone(), &(), serializer),
            Value::BigInt(b) => special::serialize(self.clone(), b.as_str(), serializer),
            Value::Utf16(u) => {
                special::serialize(self.clone(), &String::from_utf16_lossy(u), serializer)
            }
            Value::Bytes(b, _) => special::serialize(self.clone(), &b[..], serializer),
            Value::Date(d) => special::serialize(self.clone(), d, serializer),
            Value::Error(e) => special::serialize(self.clone(), &e.to_string(), serializer),
            Value::Stub(_) => special::serialize(self.clone(), "[capability]", serializer),
            Value::Promise(_) => special::serialize(self.clone(), "[promise]", serializer),
            Value::Readable(_) => special::serialize(self.clone(), "[stream]", serializer),
            Value::Writable(_) => special::serialize(self.clone(), "[stream]", serializer),
            // Foreign serializers get the plain-data reading of each Fetch value.
            Value::Url(u) => special::serialize(self.clone(), u.as_str(), serializer),
            Value::Headers(h) => {
                let pairs: Vec<_> = h.iter().collect();
                special::serialize(self.clone(), &pairs, serializer)
            }
            Value::Blob(b) => special::serialize(self.clone(), &b.data[..], serializer),
            Value::Request(r) => special::serialize(self.clone(), &r.url, serializer),
            Value::Response(_) => special::serialize(self.clone(), "[response]", serializer),
        }
    }
}

/// The serializer behind [`to_value`].
struct ValueSerializer;

fn int_or_bigint<T: TryInto<i64> + Into<i128> + Copy>(v: T) -> Value {
    match v.try_into() {
        Ok(i) => Value::Int(i),
        Err(_) => Value::BigInt(BigInt::from(v.into())),
    }
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = RpcError;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = VariantBuilder<SeqBuilder>;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = VariantBuilder<MapBuilder>;

    fn serialize_bool(self, v: bool) -> Result<Value, RpcError> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, RpcError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, RpcError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, RpcError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, RpcError> {
        Ok(Value::Int(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Value, RpcError> {
        Ok(int_or_bigint(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, RpcError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, RpcError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, RpcError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, RpcError> {
        Ok(int_or_bigint(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Value, RpcError> {
        Ok(match i64::try_from(v) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::BigInt(BigInt::from(v)),
        })
    }
    fn serialize_f32(self, v: f32) -> Result<Value, RpcError> {
        Ok(Value::Float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, RpcError> {
        Ok(Value::Float(v))
    }
    fn serialize_char(self, v: char) -> Result<Value, RpcError> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, RpcError> {
        Ok(Value::String(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, RpcError> {
        Ok(Value::Bytes(bytes::Bytes::copy_from_slice(v), None))
    }
    fn serialize_none(self) -> Result<Value, RpcError> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, RpcError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, RpcError> {
        Ok(Value::Undefined)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, RpcError> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, RpcError> {
        Ok(Value::String(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Value, RpcError> {
        if name == special::TOKEN {
            return special::take()
                .ok_or_else(|| RpcError::invalid_argument("special value lost in serialization"));
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, RpcError> {
        let mut o = Object::new();
        o.insert(variant, value.serialize(ValueSerializer)?);
        Ok(Value::Object(o))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, RpcError> {
        Ok(SeqBuilder(Vec::with_capacity(len.unwrap_or(0).min(4096))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, RpcError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqBuilder, RpcError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantBuilder<SeqBuilder>, RpcError> {
        Ok(VariantBuilder {
            variant,
            inner: self.serialize_seq(Some(len))?,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapBuilder, RpcError> {
        Ok(MapBuilder {
            object: Object::new(),
            key: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<MapBuilder, RpcError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantBuilder<MapBuilder>, RpcError> {
        Ok(VariantBuilder {
            variant,
            inner: self.serialize_map(Some(len))?,
        })
    }
}

#[doc(hidden)]
pub struct SeqBuilder(Vec<Value>);

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Value;
    type Error = RpcError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), RpcError> {
        self.0.push(value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, RpcError> {
        Ok(Value::Array(self.0))
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Value;
    type Error = RpcError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), RpcError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Value, RpcError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Value;
    type Error = RpcError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), RpcError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Value, RpcError> {
        ser::SerializeSeq::end(self)
    }
}

#[doc(hidden)]
pub struct MapBuilder {
    object: Object,
    key: Option<String>,
}

/// Object keys must be strings; numbers and chars are written in decimal, as JavaScript does.
fn key_string(key: Value) -> Result<String, RpcError> {
    match key {
        Value::String(s) => Ok(s),
        Value::Int(i) => Ok(i.to_string()),
        Value::BigInt(b) => Ok(b.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(RpcError::invalid_argument(format!(
            "object keys must be strings, not {}",
            other.kind_name()
        ))),
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = RpcError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), RpcError> {
        self.key = Some(key_string(key.serialize(ValueSerializer)?)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), RpcError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| RpcError::invalid_argument("map value without a key"))?;
        self.object.insert(key, value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, RpcError> {
        Ok(Value::Object(self.object))
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = RpcError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), RpcError> {
        self.object.insert(key, value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, RpcError> {
        Ok(Value::Object(self.object))
    }
}

#[doc(hidden)]
pub struct VariantBuilder<B> {
    variant: &'static str,
    inner: B,
}

impl<B> VariantBuilder<B> {
    fn wrap(variant: &'static str, value: Value) -> Value {
        let mut o = Object::new();
        o.insert(variant, value);
        Value::Object(o)
    }
}

impl ser::SerializeTupleVariant for VariantBuilder<SeqBuilder> {
    type Ok = Value;
    type Error = RpcError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), RpcError> {
        ser::SerializeSeq::serialize_element(&mut self.inner, value)
    }
    fn end(self) -> Result<Value, RpcError> {
        Ok(Self::wrap(
            self.variant,
            ser::SerializeSeq::end(self.inner)?,
        ))
    }
}

impl ser::SerializeStructVariant for VariantBuilder<MapBuilder> {
    type Ok = Value;
    type Error = RpcError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), RpcError> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }
    fn end(self) -> Result<Value, RpcError> {
        Ok(Self::wrap(
            self.variant,
            ser::SerializeStruct::end(self.inner)?,
        ))
    }
}
