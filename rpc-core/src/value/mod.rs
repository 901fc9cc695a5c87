//! The dynamic value tree, and the serde bridge between Rust types and it.
//!
//! [`Value`] holds everything Cap'n Web can carry without loss: plain data, the special values
//! (`undefined`, bigint, dates, typed bytes, errors, non-Unicode strings) and live references
//! (stubs and promises), and the Fetch API values capnweb 0.11+ carries ([`Url`], [`Headers`],
//! [`Request`], [`Response`], [`Blob`]). [`to_value`] and [`from_value`] move between `Value`
//! and any serde type; capabilities inside those types travel through unchanged.

mod de;
mod fetch;
mod object;
mod ser;
pub(crate) mod special;

use bytes::Bytes;

pub use crate::protocol::RequestOptions;
pub use de::from_value;
pub(crate) use de::{ValueDeserializer, whole};
pub(crate) use fetch::buffer_stream;
pub use fetch::{Blob, Body, Headers, Request, Response, Url};
pub use object::Object;
pub use ser::to_value;

use crate::{RpcError, RpcPromise, Stub, protocol::TypedArrayKind};

/// A decimal big integer, as carried by `["bigint", "…"]`.
///
/// ```
/// use rpc_core::value::BigInt;
/// let b = BigInt::parse("-18446744073709551616").unwrap();
/// assert_eq!(b.as_str(), "-18446744073709551616");
/// assert_eq!(b.to_i128(), Some(-18446744073709551616));
/// assert!(BigInt::parse("12a").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BigInt(String);

impl BigInt {
    /// Parses decimal digits with an optional leading `-`.
    pub fn parse(s: &str) -> Option<BigInt> {
        let digits = s.strip_prefix('-').unwrap_or(s);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(BigInt(s.to_owned()))
    }

    /// The decimal text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as an `i128`, when it fits.
    pub fn to_i128(&self) -> Option<i128> {
        self.0.parse().ok()
    }

    /// The value as a `u128`, when it fits.
    pub fn to_u128(&self) -> Option<u128> {
        self.0.parse().ok()
    }
}

impl From<i128> for BigInt {
    fn from(v: i128) -> Self {
        BigInt(v.to_string())
    }
}

impl From<u128> for BigInt {
    fn from(v: u128) -> Self {
        BigInt(v.to_string())
    }
}

impl std::fmt::Display for BigInt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Any value Capstan can send or receive.
///
/// ```
/// use rpc_core::value::{Object, Value};
/// let v = Value::from(vec![Value::from(1), Value::Undefined, Value::from("x")]);
/// assert_eq!(v.as_array().unwrap().len(), 3);
/// let mut o = Object::new();
/// o.insert("n", 1.5);
/// assert_eq!(Value::Object(o).get("n"), Some(&Value::Float(1.5)));
/// ```
#[derive(Debug, Clone, Default)]
pub enum Value {
    /// JavaScript `undefined`; also what `()` becomes.
    #[default]
    Undefined,
    /// `null`; also what `None` becomes.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number, including NaN and the infinities.
    Float(f64),
    /// An integer beyond `i64`, or a JavaScript `bigint`.
    BigInt(BigInt),
    /// A string.
    String(String),
    /// A JavaScript string that is not valid Unicode (it holds lone surrogates), as UTF-16 units.
    Utf16(Vec<u16>),
    /// Bytes; the kind names the JavaScript typed array (`None` is `Uint8Array`).
    Bytes(Bytes, Option<TypedArrayKind>),
    /// A date in milliseconds since the epoch; `None` is an invalid date.
    Date(Option<f64>),
    /// An array.
    Array(Vec<Value>),
    /// An object with string keys, in insertion order.
    Object(Object),
    /// An error value.
    Error(RpcError),
    /// A capability: a local object, a remote object, or a callback.
    Stub(Stub),
    /// A result that may not have arrived yet.
    Promise(RpcPromise),
    /// A stream of values (a JavaScript `ReadableStream`); see [`RpcStream`](crate::RpcStream).
    Readable(crate::stream::ReadableStream),
    /// A sink for values (a JavaScript `WritableStream`); see [`RpcSink`](crate::RpcSink).
    Writable(crate::stream::WritableStream),
    /// A JavaScript `URL`.
    Url(Url),
    /// A Fetch `Headers`.
    Headers(Headers),
    /// A Fetch `Request`.
    Request(Box<Request>),
    /// A Fetch `Response`.
    Response(Box<Response>),
    /// A `Blob`, fully buffered.
    Blob(Blob),
}

impl Value {
    /// The array, if this is one.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number as `f64`, for `Int` and `Float`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The number as `i64`, for `Int` and for integral `Float`s in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.223_372_036_854_776e18 => {
                Some(*f as i64)
            }
            _ => None,
        }
    }

    /// A field of an object; `None` for other values.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(o) => o.get(key),
            _ => None,
        }
    }

    /// True for `undefined` and `null`.
    pub fn is_nullish(&self) -> bool {
        matches!(self, Value::Undefined | Value::Null)
    }

    /// True if a stub or promise sits anywhere inside.
    pub fn has_references(&self) -> bool {
        match self {
            Value::Stub(_) | Value::Promise(_) | Value::Readable(_) | Value::Writable(_) => true,
            Value::Array(a) => a.iter().any(Value::has_references),
            Value::Object(o) => o.iter().any(|(_, v)| v.has_references()),
            Value::Error(e) => e.props().iter().any(|(_, v)| v.has_references()),
            Value::Request(r) => matches!(r.body, Some(Body::Stream(_))),
            Value::Response(r) => matches!(r.body, Some(Body::Stream(_))),
            _ => false,
        }
    }

    /// A short description of the kind of value, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Undefined => "undefined",
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::Float(_) => "number",
            Value::BigInt(_) => "bigint",
            Value::String(_) | Value::Utf16(_) => "string",
            Value::Bytes(..) => "bytes",
            Value::Date(_) => "date",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
            Value::Error(_) => "error",
            Value::Stub(_) => "stub",
            Value::Promise(_) => "promise",
            Value::Readable(_) => "readable stream",
            Value::Writable(_) => "writable stream",
            Value::Url(_) => "URL",
            Value::Headers(_) => "headers",
            Value::Request(_) => "request",
            Value::Response(_) => "response",
            Value::Blob(_) => "blob",
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        use Value::*;
        match (self, other) {
            (Undefined, Undefined) | (Null, Null) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Float(a), Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (Int(a), Float(b)) | (Float(b), Int(a)) => (*a as f64) == *b,
            (BigInt(a), BigInt(b)) => a == b,
            (String(a), String(b)) => a == b,
            (Utf16(a), Utf16(b)) => a == b,
            (Bytes(a, ka), Bytes(b, kb)) => a == b && ka == kb,
            (Date(a), Date(b)) => a == b,
            (Array(a), Array(b)) => a == b,
            (Object(a), Object(b)) => a == b,
            (Error(a), Error(b)) => a == b,
            (Stub(a), Stub(b)) => a.same_target(b),
            (Readable(a), Readable(b)) => a.same(b),
            (Url(a), Url(b)) => a == b,
            (Headers(a), Headers(b)) => a == b,
            (Request(a), Request(b)) => a == b,
            (Response(a), Response(b)) => a == b,
            (Blob(a), Blob(b)) => a == b,
            _ => false,
        }
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self { Value::Int(v as i64) }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::Array(v)
    }
}

impl From<Object> for Value {
    fn from(v: Object) -> Self {
        Value::Object(v)
    }
}

impl From<Stub> for Value {
    fn from(v: Stub) -> Self {
        Value::Stub(v)
    }
}

impl From<RpcError> for Value {
    fn from(v: RpcError) -> Self {
        Value::Error(v)
    }
}
