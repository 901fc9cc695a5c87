//! Cap'n Web value expressions, as they travel inside messages.

use bytes::Bytes;

use super::{Id, RequestExpr, ResponseExpr};

/// One segment of a property path: a name, or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathKey {
    /// A property name, such as `"profile"`.
    Name(String),
    /// An array index.
    Index(u32),
}

impl From<&str> for PathKey {
    fn from(s: &str) -> Self {
        PathKey::Name(s.to_owned())
    }
}

impl From<String> for PathKey {
    fn from(s: String) -> Self {
        PathKey::Name(s)
    }
}

impl From<u32> for PathKey {
    fn from(i: u32) -> Self {
        PathKey::Index(i)
    }
}

impl std::fmt::Display for PathKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathKey::Name(n) => f.write_str(n),
            PathKey::Index(i) => write!(f, "{i}"),
        }
    }
}

/// The element type named by a `["bytes", b64, type]` expression.
///
/// Data is little-endian, as in JavaScript typed arrays on every platform capnweb runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum TypedArrayKind {
    ArrayBuffer,
    DataView,
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    BigInt64Array,
    BigUint64Array,
    Float32Array,
    Float64Array,
}

impl TypedArrayKind {
    /// Every kind, in a fixed order.
    pub const ALL: [TypedArrayKind; 13] = [
        TypedArrayKind::ArrayBuffer,
        TypedArrayKind::DataView,
        TypedArrayKind::Int8Array,
        TypedArrayKind::Uint8Array,
        TypedArrayKind::Uint8ClampedArray,
        TypedArrayKind::Int16Array,
        TypedArrayKind::Uint16Array,
        TypedArrayKind::Int32Array,
        TypedArrayKind::Uint32Array,
        TypedArrayKind::BigInt64Array,
        TypedArrayKind::BigUint64Array,
        TypedArrayKind::Float32Array,
        TypedArrayKind::Float64Array,
    ];

    /// The JavaScript class name, as it appears on the wire.
    ///
    /// ```
    /// use rpc_core::protocol::TypedArrayKind;
    /// assert_eq!(TypedArrayKind::Int32Array.name(), "Int32Array");
    /// assert_eq!(TypedArrayKind::from_name("Float64Array"), Some(TypedArrayKind::Float64Array));
    /// assert_eq!(TypedArrayKind::from_name("Nope"), None);
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            TypedArrayKind::ArrayBuffer => "ArrayBuffer",
            TypedArrayKind::DataView => "DataView",
            TypedArrayKind::Int8Array => "Int8Array",
            TypedArrayKind::Uint8Array => "Uint8Array",
            TypedArrayKind::Uint8ClampedArray => "Uint8ClampedArray",
            TypedArrayKind::Int16Array => "Int16Array",
            TypedArrayKind::Uint16Array => "Uint16Array",
            TypedArrayKind::Int32Array => "Int32Array",
            TypedArrayKind::Uint32Array => "Uint32Array",
            TypedArrayKind::BigInt64Array => "BigInt64Array",
            TypedArrayKind::BigUint64Array => "BigUint64Array",
            TypedArrayKind::Float32Array => "Float32Array",
            TypedArrayKind::Float64Array => "Float64Array",
        }
    }

    /// Parses a wire name; unknown names give `None` (the session then aborts).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Bytes per element; the data length must be a multiple of it.
    pub fn element_size(self) -> usize {
        match self {
            TypedArrayKind::ArrayBuffer
            | TypedArrayKind::DataView
            | TypedArrayKind::Int8Array
            | TypedArrayKind::Uint8Array
            | TypedArrayKind::Uint8ClampedArray => 1,
            TypedArrayKind::Int16Array | TypedArrayKind::Uint16Array => 2,
            TypedArrayKind::Int32Array
            | TypedArrayKind::Uint32Array
            | TypedArrayKind::Float32Array => 4,
            TypedArrayKind::BigInt64Array
            | TypedArrayKind::BigUint64Array
            | TypedArrayKind::Float64Array => 8,
        }
    }
}

/// `["error", name, message, stack?, props?]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorExpr {
    /// The JavaScript class name (`"Error"`, `"TypeError"`, `"RangeError"`, …).
    pub name: String,
    /// The error message.
    pub message: String,
    /// The stack, when the sender chose to reveal it.
    pub stack: Option<String>,
    /// Own properties beyond name and message (`code`, `cause`, …), as full expressions.
    pub props: Option<Vec<(String, Expr)>>,
}

/// `["import"|"pipeline", id, path?, args?]`: a reference to one of the *receiver's* exports,
/// optionally followed by a property path and a call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallExpr {
    /// The sender's import ID, which is the receiver's export ID.
    pub id: Id,
    /// The property path. `None` is the target itself.
    pub path: Option<Vec<PathKey>>,
    /// The call arguments. `None` is a property get; `Some(vec![])` is a zero-argument call.
    pub args: Option<Vec<Expr>>,
}

/// `["remap", id, path, captures, instructions]`: the record of a `.map()` callback.
#[derive(Debug, Clone, PartialEq)]
pub struct RemapExpr {
    /// The subject: the sender's import ID.
    pub id: Id,
    /// A property path applied to the subject before mapping.
    pub path: Vec<PathKey>,
    /// Stubs the mapper uses, each an `import` or `export` expression.
    pub captures: Vec<Expr>,
    /// The recorded instructions; the last is the mapper's result.
    pub instructions: Vec<Expr>,
}

/// One value expression.
///
/// Plain data maps one-to-one onto JSON and MessagePack; the other variants are Cap'n Web's tagged
/// values. Codecs decide the bytes: for example the JSON codec writes `Float(f64::NAN)` as
/// `["nan"]` and escapes arrays as `[[…]]`, while MessagePack carries both natively.
///
/// ```
/// use rpc_core::protocol::{CallExpr, Expr, PathKey};
/// // `api.square(7)`
/// let call = Expr::Pipeline(Box::new(CallExpr {
///     id: 0,
///     path: Some(vec![PathKey::from("square")]),
///     args: Some(vec![Expr::Int(7)]),
/// }));
/// assert!(call.is_reference());
/// assert!(!Expr::Int(7).is_reference());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `["undefined"]`.
    Undefined,
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integral number. The JSON codec sends values beyond ±2^53 as `bigint`.
    Int(i64),
    /// Any other number, including `["inf"]`, `["-inf"]` and `["nan"]`.
    Float(f64),
    /// A string.
    String(String),
    /// A JavaScript string that is not valid Unicode (it holds lone surrogates), as UTF-16.
    Utf16(Vec<u16>),
    /// A real array (escaped as `[[…]]` in JSON).
    Array(Vec<Expr>),
    /// An object, in key order.
    Object(Vec<(String, Expr)>),
    /// `["bigint", "-123"]`: decimal digits with an optional leading `-`.
    BigInt(String),
    /// `["date", ms]`; `None` is an invalid date.
    Date(Option<f64>),
    /// `["bytes", b64, type?]`.
    Bytes(Bytes, Option<TypedArrayKind>),
    /// `["error", …]`.
    Error(Box<ErrorExpr>),
    /// `["import", …]`: evaluates to a stub.
    Import(Box<CallExpr>),
    /// `["pipeline", …]`: evaluates to a promise.
    Pipeline(Box<CallExpr>),
    /// `["export", negId]`: the sender exports a stub.
    Export(Id),
    /// `["promise", negId]`: the sender exports a promise it will resolve unprompted.
    Promise(Id),
    /// `["remap", …]`.
    Remap(Box<RemapExpr>),
    /// `["readable", pipeId]`: the readable end of a pipe the sender created.
    Readable(Id),
    /// `["writable", negId]`: an exported writable stream.
    Writable(Id),
    /// `["url", href]`: a JavaScript `URL`.
    Url(String),
    /// `["headers", [[name, value], …]]`: a Fetch `Headers`. The pairs are bare, not escaped.
    Headers(Vec<(String, String)>),
    /// `["request", url, init]`: a Fetch `Request`.
    Request(Box<RequestExpr>),
    /// `["response", body, init]`: a Fetch `Response`.
    Response(Box<ResponseExpr>),
    /// `["blob", type, ["readable", pipeId]]`: a `Blob`, whose bytes always travel over a pipe.
    Blob {
        /// The MIME type (`Blob.type`), possibly empty.
        mime: String,
        /// The pipe carrying the content.
        pipe: Id,
    },
}

impl Expr {
    /// `["date", ms]` as JavaScript's `new Date(ms)` reads it (TimeClip): whole milliseconds
    /// within ±8.64e15, and anything else an invalid date. Decoders build dates with this so a
    /// value means the same on both sides and survives a round trip through either codec.
    ///
    /// ```
    /// use rpc_core::protocol::Expr;
    ///
    /// assert_eq!(Expr::date(1.9), Expr::Date(Some(1.0)));
    /// assert_eq!(Expr::date(f64::INFINITY), Expr::Date(None));
    /// assert_eq!(Expr::date(9e15), Expr::Date(None));
    /// ```
    pub fn date(ms: f64) -> Expr {
        const MAX_TIME: f64 = 8.64e15;
        if !ms.is_finite() || ms.abs() > MAX_TIME {
            return Expr::Date(None);
        }
        // `+ 0.0` turns -0 into +0, as TimeClip does.
        Expr::Date(Some(ms.trunc() + 0.0))
    }

    /// True for expressions that refer to a table entry (and so must be evaluated by a session).
    pub fn is_reference(&self) -> bool {
        matches!(
            self,
            Expr::Import(_)
                | Expr::Pipeline(_)
                | Expr::Export(_)
                | Expr::Promise(_)
                | Expr::Remap(_)
                | Expr::Readable(_)
                | Expr::Writable(_)
                | Expr::Blob { .. }
        ) || self.has_stream_body()
    }

    /// True for a request or response whose body is a stream.
    fn has_stream_body(&self) -> bool {
        match self {
            Expr::Request(r) => matches!(r.init.body, Some(Expr::Readable(_))),
            Expr::Response(r) => matches!(r.body, Expr::Readable(_)),
            _ => false,
        }
    }

    /// Builds `["error", name, message]`.
    pub fn error(name: impl Into<String>, message: impl Into<String>) -> Expr {
        Expr::Error(Box::new(ErrorExpr {
            name: name.into(),
            message: message.into(),
            stack: None,
            props: None,
        }))
    }

    /// Builds `["pipeline", id, path, args]`.
    pub fn pipeline(id: Id, path: Option<Vec<PathKey>>, args: Option<Vec<Expr>>) -> Expr {
        Expr::Pipeline(Box::new(CallExpr { id, path, args }))
    }

    /// Builds `["import", id, path, args]`.
    pub fn import(id: Id, path: Option<Vec<PathKey>>, args: Option<Vec<Expr>>) -> Expr {
        Expr::Import(Box::new(CallExpr { id, path, args }))
    }
}
