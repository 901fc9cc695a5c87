//! Fetch API values: [`Url`], [`Headers`], [`Request`], [`Response`] and [`Blob`].
//!
//! They are what capnweb peers send for `new URL(…)`, `Headers`, `Request`, `Response` and
//! `Blob`, and each (de)serializes through serde like [`Stub`](crate::Stub) does, so a user struct
//! can hold one. A request or response body that arrives as a stream stays a stream
//! ([`Body::Stream`]); a blob arrives fully buffered, as capnweb delivers it.

use bytes::{Bytes, BytesMut};
use futures::StreamExt;

use super::Value;
use crate::{RpcError, protocol::RequestOptions, stream::ReadableStream};

/// A JavaScript `URL`, carried as its `href`.
///
/// ```
/// use rpc_core::value::{Url, Value};
/// let url = Url::parse("https://example.com/a?b=1").unwrap();
/// assert_eq!(url.as_str(), "https://example.com/a?b=1");
/// assert!(Url::parse("no scheme").is_err());
/// assert_eq!(Value::from(url.clone()), Value::Url(url));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Url(String);

impl Url {
    /// Checks that `href` starts with a URL scheme (`letter (letter|digit|+|-|.)* ":"`), the part
    /// of WHATWG URL parsing that an absolute URL can never lack; the rest is left to the peer.
    pub fn parse(href: impl Into<String>) -> Result<Url, RpcError> {
        let href = href.into();
        let scheme_ok = href.split_once(':').is_some_and(|(scheme, _)| {
            let mut chars = scheme.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        });
        if !scheme_ok {
            return Err(RpcError::type_error(format!("Invalid URL: {href:?}")));
        }
        Ok(Url(href))
    }

    /// The `href`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Fetch `Headers`: name/value pairs in order. capnweb sends what `[...headers]` yields
/// (lowercased names, sorted, repeated names combined), and builds `new Headers(pairs)` on
/// receipt, so any valid pairs may be sent.
///
/// ```
/// use rpc_core::value::Headers;
/// let mut h = Headers::new();
/// h.append("Content-Type", "text/plain");
/// h.append("x-a", "1");
/// assert_eq!(h.get("content-type"), Some("text/plain"));
/// assert_eq!(h.iter().count(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    /// No headers.
    pub fn new() -> Headers {
        Headers(Vec::new())
    }

    /// Adds a pair at the end.
    pub fn append(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// The first value for `name`, compared case-insensitively as HTTP does.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// True when there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The pairs, owned.
    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.0
    }

    /// Checks each pair as `new Headers(pairs)` would: a name is a non-empty HTTP token, and a
    /// value holds no NUL, CR or LF.
    pub(crate) fn check(&self) -> Result<(), RpcError> {
        for (name, value) in &self.0 {
            let token = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !token {
                return Err(RpcError::type_error(format!(
                    "Invalid header name: {name:?}"
                )));
            }
            if value.contains(['\0', '\r', '\n']) {
                return Err(RpcError::type_error(format!(
                    "Invalid header value for {name:?}"
                )));
            }
        }
        Ok(())
    }
}

impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(pairs: I) -> Self {
        Headers(
            pairs
                .into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        )
    }
}

/// The body of a [`Request`] or [`Response`].
///
/// A body from capnweb always arrives as a [`Body::Stream`] of byte chunks (Node gives every
/// body as a `ReadableStream`); read it with [`Body::read_all`], or as an
/// [`RpcStream<Value>`](crate::RpcStream) via `RpcStream::from(handle)`. A body Capstan sends
/// as text or bytes goes inline.
///
/// ```
/// use rpc_core::value::Body;
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let body = Body::from("hello");
/// assert_eq!(&body.read_all(1024).await.unwrap()[..], b"hello");
/// # });
/// ```
#[derive(Debug, Clone)]
pub enum Body {
    /// Text, sent inline as a string.
    Text(String),
    /// Bytes, sent inline as `["bytes", …]`.
    Bytes(Bytes),
    /// A stream of byte chunks, sent over a pipe.
    Stream(ReadableStream),
}

impl Body {
    /// The whole body as bytes, failing once it would exceed `max` bytes. A stream's chunks
    /// must be bytes (as `Response.arrayBuffer()` requires); a stream can be read only once.
    pub async fn read_all(self, max: usize) -> Result<Bytes, RpcError> {
        match self {
            Body::Text(s) => within(Bytes::from(s), max),
            Body::Bytes(b) => within(b, max),
            Body::Stream(stream) => buffer_stream(stream, max).await,
        }
    }
}

fn within(data: Bytes, max: usize) -> Result<Bytes, RpcError> {
    if data.len() > max {
        return Err(too_big(max));
    }
    Ok(data)
}

fn too_big(max: usize) -> RpcError {
    RpcError::limit(
        "max_stream_buffer_bytes",
        format!("a body or blob is larger than {max} bytes"),
    )
}

/// Reads every chunk of `stream` into one buffer of at most `max` bytes. Stops (dropping the
/// stream, which cancels its writer) at the first chunk that is not bytes or would overflow.
pub(crate) async fn buffer_stream(stream: ReadableStream, max: usize) -> Result<Bytes, RpcError> {
    let mut chunks = stream
        .take()
        .ok_or_else(|| RpcError::type_error("this stream was already read or sent"))?;
    let mut out = BytesMut::new();
    while let Some(chunk) = chunks.next().await {
        match chunk? {
            Value::Bytes(b, None | Some(crate::protocol::TypedArrayKind::Uint8Array)) => {
                if out.len() + b.len() > max {
                    return Err(too_big(max));
                }
                out.extend_from_slice(&b);
            }
            other => {
                return Err(RpcError::type_error(format!(
                    "a body stream must carry bytes, got {}",
                    other.kind_name()
                )));
            }
        }
    }
    Ok(out.freeze())
}

impl PartialEq for Body {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Body::Text(a), Body::Text(b)) => a == b,
            (Body::Bytes(a), Body::Bytes(b)) => a == b,
            (Body::Stream(a), Body::Stream(b)) => a.same(b),
            _ => false,
        }
    }
}

impl From<&str> for Body {
    fn from(s: &str) -> Self {
        Body::Text(s.to_owned())
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body::Text(s)
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body::Bytes(b)
    }
}

impl<T> From<crate::RpcStream<T>> for Body {
    fn from(s: crate::RpcStream<T>) -> Self {
        Body::Stream(s.into())
    }
}

/// A Fetch `Request`. Fields left at their defaults (`GET`, no headers, no body, `None`
/// options, `keepalive` false) are omitted on the wire, as capnweb omits them.
///
/// ```
/// use rpc_core::value::{Request, Value};
/// let mut req = Request::new("https://example.com/upload");
/// req.method = "POST".into();
/// req.headers.append("content-type", "text/plain");
/// req.body = Some("hi".into());
/// assert_eq!(req.url, "https://example.com/upload");
/// let v = Value::from(req);
/// assert_eq!(v.kind_name(), "request");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The absolute URL.
    pub url: String,
    /// The method; `GET` by default.
    pub method: String,
    /// The headers.
    pub headers: Headers,
    /// The body, if any.
    pub body: Option<Body>,
    /// `cache`, `redirect`, `mode` and the other string options, `None` at their defaults.
    pub options: RequestOptions,
    /// `keepalive`.
    pub keepalive: bool,
}

impl Request {
    /// A `GET` of `url` with no headers and no body.
    pub fn new(url: impl Into<String>) -> Request {
        Request {
            url: url.into(),
            method: "GET".into(),
            headers: Headers::new(),
            body: None,
            options: RequestOptions::default(),
            keepalive: false,
        }
    }
}

/// A Fetch `Response`.
///
/// ```
/// use rpc_core::value::{Response, Value};
/// let mut resp = Response::new(Some("not here".into()));
/// resp.status = 404;
/// resp.status_text = "Not Found".into();
/// assert!(matches!(Value::from(resp), Value::Response(r) if r.status == 404));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The status; 200 by default.
    pub status: u16,
    /// The status text; empty by default.
    pub status_text: String,
    /// The headers.
    pub headers: Headers,
    /// The body; `None` is a null body.
    pub body: Option<Body>,
}

impl Response {
    /// A 200 response with no headers and `body`.
    pub fn new(body: Option<Body>) -> Response {
        Response {
            status: 200,
            status_text: String::new(),
            headers: Headers::new(),
            body,
        }
    }
}

/// A `Blob`: its MIME type and its whole content. capnweb sends a blob's bytes over a pipe and
/// the receiver buffers them all (bounded by `max_stream_buffer_bytes`) before delivering it.
///
/// ```
/// use rpc_core::value::{Blob, Value};
/// let blob = Blob::new("text/plain", &b"hello"[..]);
/// assert_eq!(blob.mime, "text/plain");
/// assert_eq!(blob.data.len(), 5);
/// assert_eq!(Value::from(blob.clone()), Value::Blob(blob));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// The MIME type (`Blob.type`), possibly empty.
    pub mime: String,
    /// The content.
    pub data: Bytes,
}

impl Blob {
    /// A blob of `data` typed `mime`.
    pub fn new(mime: impl Into<String>, data: impl Into<Bytes>) -> Blob {
        Blob {
            mime: mime.into(),
            data: data.into(),
        }
    }
}

impl From<Url> for Value {
    fn from(v: Url) -> Self {
        Value::Url(v)
    }
}

impl From<Headers> for Value {
    fn from(v: Headers) -> Self {
        Value::Headers(v)
    }
}

impl From<Request> for Value {
    fn from(v: Request) -> Self {
        Value::Request(Box::new(v))
    }
}

impl From<Response> for Value {
    fn from(v: Response) -> Self {
        Value::Response(Box::new(v))
    }
}

impl From<Blob> for Value {
    fn from(v: Blob) -> Self {
        Value::Blob(v)
    }
}

/// serde support: each type travels through Capstan's serializer whole (like `Stub`), and
/// reads back only from the matching value.
macro_rules! serde_via_value {
    ($ty:ty, $variant:ident, $name:literal, $wrap:expr, $unwrap:expr) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                #[allow(clippy::redundant_closure_call)]
                serde::Serialize::serialize(&Value::$variant(($wrap)(self.clone())), serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                use serde::de::Error;
                match <Value as serde::Deserialize>::deserialize(deserializer)? {
                    #[allow(clippy::redundant_closure_call)]
                    Value::$variant(v) => Ok(($unwrap)(v)),
                    other => Err(D::Error::custom(format!(
                        concat!("expected a ", $name, ", got {}"),
                        other.kind_name()
                    ))),
                }
            }
        }
    };
}

serde_via_value!(Url, Url, "URL", |v| v, |v| v);
serde_via_value!(Headers, Headers, "Headers", |v| v, |v| v);
serde_via_value!(Blob, Blob, "Blob", |v| v, |v| v);
serde_via_value!(Request, Request, "Request", Box::new, |v: Box<Request>| *v);
serde_via_value!(Response, Response, "Response", Box::new, |v: Box<
    Response,
>| *v);
