//! Rust → packed bytes: what [`to_value`](crate::value::to_value) would build, written straight
//! as MessagePack, for items that are plain data.
//!
//! Every choice mirrors `ValueSerializer` (structs as maps, unit variants as strings, other
//! variants as one-key maps, map keys as decimal strings…), so that unpacking gives exactly what
//! `from_value(to_value(item))` would. What plain MessagePack cannot say the same way (`()` as
//! `undefined`, integers beyond `i64`, stubs, streams and the other special values) makes the
//! item [`Unpackable`], and it travels as a value instead.

use rmp::encode as mp;
use serde::ser::{self, Serialize};

use crate::{codec::msgpack::encode, value::special};

/// The item holds something only a value tree carries (or failed to serialize at all: the
/// value path then reports the real error).
#[derive(Debug)]
pub(crate) struct Unpackable;

impl std::fmt::Display for Unpackable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not plain data")
    }
}

impl std::error::Error for Unpackable {}

impl ser::Error for Unpackable {
    fn custom<T: std::fmt::Display>(_msg: T) -> Self {
        Unpackable
    }
}

/// Appends `item` to `out`. On failure `out` is left as it was.
pub(crate) fn pack_into<T: Serialize + ?Sized>(out: &mut Vec<u8>, item: &T) -> bool {
    let start = out.len();
    match item.serialize(Packer(out)) {
        Ok(()) => true,
        Err(Unpackable) => {
            out.truncate(start);
            false
        }
    }
}

type Result<T = ()> = std::result::Result<T, Unpackable>;

// Writing into a Vec cannot fail, so rmp's I/O errors are discarded throughout.

fn int(out: &mut Vec<u8>, v: i64) -> Result {
    encode::int(out, v);
    Ok(())
}

fn wide<T: TryInto<i64>>(out: &mut Vec<u8>, v: T) -> Result {
    int(out, v.try_into().map_err(|_| Unpackable)?)
}

fn str(out: &mut Vec<u8>, s: &str) -> Result {
    u32::try_from(s.len()).map_err(|_| Unpackable)?;
    let _ = mp::write_str(out, s);
    Ok(())
}

/// A one-entry map `{variant: …}`, as `ValueSerializer` wraps a variant's contents.
fn variant(out: &mut Vec<u8>, name: &str) -> Result {
    let _ = mp::write_map_len(out, 1);
    str(out, name)
}

/// A container whose header is written before its length is certain: serde's length is a
/// hint (absent for some iterators, and a hand-written `Serialize` may not keep it), so the
/// header is rewritten at the end when the real count differs.
pub(crate) struct Container<'a> {
    out: &'a mut Vec<u8>,
    start: usize,
    header: usize,
    hinted: usize,
    count: usize,
    map: bool,
}

fn header(out: &mut Vec<u8>, map: bool, len: usize) -> Result {
    let len = u32::try_from(len).map_err(|_| Unpackable)?;
    let _ = if map {
        mp::write_map_len(out, len)
    } else {
        mp::write_array_len(out, len)
    };
    Ok(())
}

impl<'a> Container<'a> {
    fn open(out: &'a mut Vec<u8>, map: bool, hint: Option<usize>) -> Result<Self> {
        let start = out.len();
        let hinted = hint.unwrap_or(0);
        header(out, map, hinted)?;
        Ok(Container {
            header: out.len() - start,
            out,
            start,
            hinted,
            count: 0,
            map,
        })
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.count += 1;
        value.serialize(Packer(self.out))
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result {
        self.count += 1;
        str(self.out, key)?;
        value.serialize(Packer(self.out))
    }

    fn close(self) -> Result {
        if self.count != self.hinted {
            let mut fixed = Vec::with_capacity(5);
            header(&mut fixed, self.map, self.count)?;
            self.out.splice(self.start..self.start + self.header, fixed);
        }
        Ok(())
    }
}

/// The serializer behind [`pack_into`].
struct Packer<'a>(&'a mut Vec<u8>);

impl<'a> ser::Serializer for Packer<'a> {
    type Ok = ();
    type Error = Unpackable;
    type SerializeSeq = Container<'a>;
    type SerializeTuple = Container<'a>;
    type SerializeTupleStruct = Container<'a>;
    type SerializeTupleVariant = Container<'a>;
    type SerializeMap = Container<'a>;
    type SerializeStruct = Container<'a>;
    type SerializeStructVariant = Container<'a>;

    fn serialize_bool(self, v: bool) -> Result {
        let _ = mp::write_bool(self.0, v);
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result {
        int(self.0, v.into())
    }
    fn serialize_i16(self, v: i16) -> Result {
        int(self.0, v.into())
    }
    fn serialize_i32(self, v: i32) -> Result {
        int(self.0, v.into())
    }
    fn serialize_i64(self, v: i64) -> Result {
        int(self.0, v)
    }
    fn serialize_i128(self, v: i128) -> Result {
        wide(self.0, v)
    }
    fn serialize_u8(self, v: u8) -> Result {
        int(self.0, v.into())
    }
    fn serialize_u16(self, v: u16) -> Result {
        int(self.0, v.into())
    }
    fn serialize_u32(self, v: u32) -> Result {
        int(self.0, v.into())
    }
    fn serialize_u64(self, v: u64) -> Result {
        wide(self.0, v)
    }
    fn serialize_u128(self, v: u128) -> Result {
        wide(self.0, v)
    }
    fn serialize_f32(self, v: f32) -> Result {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result {
        let _ = mp::write_f64(self.0, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result {
        str(self.0, v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result {
        str(self.0, v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result {
        u32::try_from(v.len()).map_err(|_| Unpackable)?;
        let _ = mp::write_bin(self.0, v);
        Ok(())
    }
    fn serialize_none(self) -> Result {
        let _ = mp::write_nil(self.0);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        // `()` is `undefined`, which plain MessagePack has no word for.
        Err(Unpackable)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _name: &'static str, _i: u32, variant: &'static str) -> Result {
        str(self.0, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result {
        if name == special::TOKEN {
            // A stub, stream, date, bigint…: only a value tree carries it. The caller clears
            // the parked value.
            return Err(Unpackable);
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _i: u32,
        name: &'static str,
        value: &T,
    ) -> Result {
        variant(self.0, name)?;
        value.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Container<'a>> {
        Container::open(self.0, false, len)
    }
    fn serialize_tuple(self, len: usize) -> Result<Container<'a>> {
        Container::open(self.0, false, Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Container<'a>> {
        Container::open(self.0, false, Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        name: &'static str,
        len: usize,
    ) -> Result<Container<'a>> {
        variant(self.0, name)?;
        Container::open(self.0, false, Some(len))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Container<'a>> {
        Container::open(self.0, true, len)
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Container<'a>> {
        Container::open(self.0, true, Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        name: &'static str,
        len: usize,
    ) -> Result<Container<'a>> {
        variant(self.0, name)?;
        Container::open(self.0, true, Some(len))
    }
}

/// The sequence-like containers: each element in turn.
macro_rules! elements {
    ($($kind:ident :: $method:ident;)*) => {$(
        impl ser::$kind for Container<'_> {
            type Ok = ();
            type Error = Unpackable;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
                self.element(value)
            }
            fn end(self) -> Result {
                self.close()
            }
        }
    )*};
}

elements! {
    SerializeSeq::serialize_element;
    SerializeTuple::serialize_element;
    SerializeTupleStruct::serialize_field;
    SerializeTupleVariant::serialize_field;
}

/// The struct-like containers: each field under its name.
macro_rules! fields {
    ($($kind:ident;)*) => {$(
        impl ser::$kind for Container<'_> {
            type Ok = ();
            type Error = Unpackable;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result {
                self.field(key, value)
            }
            fn end(self) -> Result {
                self.close()
            }
        }
    )*};
}

fields! {
    SerializeStruct;
    SerializeStructVariant;
}

impl ser::SerializeMap for Container<'_> {
    type Ok = ();
    type Error = Unpackable;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        self.count += 1;
        key.serialize(KeyPacker(self.out))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(Packer(self.out))
    }
    fn end(self) -> Result {
        self.close()
    }
}

/// Map keys: strings as they are, and integers and booleans in decimal, as `ValueSerializer`
/// writes them. Anything else is for the value path to refuse.
struct KeyPacker<'a>(&'a mut Vec<u8>);

impl KeyPacker<'_> {
    fn text(self, v: impl std::fmt::Display) -> Result {
        str(self.0, &v.to_string())
    }
}

impl ser::Serializer for KeyPacker<'_> {
    type Ok = ();
    type Error = Unpackable;
    type SerializeSeq = ser::Impossible<(), Unpackable>;
    type SerializeTuple = ser::Impossible<(), Unpackable>;
    type SerializeTupleStruct = ser::Impossible<(), Unpackable>;
    type SerializeTupleVariant = ser::Impossible<(), Unpackable>;
    type SerializeMap = ser::Impossible<(), Unpackable>;
    type SerializeStruct = ser::Impossible<(), Unpackable>;
    type SerializeStructVariant = ser::Impossible<(), Unpackable>;

    fn serialize_bool(self, v: bool) -> Result {
        self.text(v)
    }
    fn serialize_i8(self, v: i8) -> Result {
        self.text(v)
    }
    fn serialize_i16(self, v: i16) -> Result {
        self.text(v)
    }
    fn serialize_i32(self, v: i32) -> Result {
        self.text(v)
    }
    fn serialize_i64(self, v: i64) -> Result {
        self.text(v)
    }
    fn serialize_i128(self, v: i128) -> Result {
        self.text(v)
    }
    fn serialize_u8(self, v: u8) -> Result {
        self.text(v)
    }
    fn serialize_u16(self, v: u16) -> Result {
        self.text(v)
    }
    fn serialize_u32(self, v: u32) -> Result {
        self.text(v)
    }
    fn serialize_u64(self, v: u64) -> Result {
        self.text(v)
    }
    fn serialize_u128(self, v: u128) -> Result {
        self.text(v)
    }
    fn serialize_f32(self, _v: f32) -> Result {
        Err(Unpackable)
    }
    fn serialize_f64(self, _v: f64) -> Result {
        Err(Unpackable)
    }
    fn serialize_char(self, v: char) -> Result {
        str(self.0, v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result {
        str(self.0, v)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result {
        Err(Unpackable)
    }
    fn serialize_none(self) -> Result {
        Err(Unpackable)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        Err(Unpackable)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        Err(Unpackable)
    }
    fn serialize_unit_variant(self, _name: &'static str, _i: u32, variant: &'static str) -> Result {
        str(self.0, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result {
        if name == special::TOKEN {
            return Err(Unpackable);
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result {
        Err(Unpackable)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(Unpackable)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(Unpackable)
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(Unpackable)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(Unpackable)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Err(Unpackable)
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        Err(Unpackable)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(Unpackable)
    }
}
