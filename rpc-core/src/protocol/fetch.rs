//! The Fetch API values of capnweb 0.11+: `url`, `headers`, `request`, `response` and `blob`.
//!
//! Their `init` objects are not expressions: capnweb hands them to `new Request(url, init)` /
//! `new Response(body, init)` as they are, so `headers` is a bare array of pairs (not escaped as
//! `[[…]]`) and only `body` is evaluated. The models below keep exactly the keys capnweb 0.12
//! writes, in its order, so a decoded value encodes back to the same bytes.

use super::Expr;

/// The `init` of `["request", url, init]`, in the order capnweb's `Devaluator` writes it. Every
/// field is omitted when it holds the Fetch default (`GET`, no headers, no body, `follow`, …).
///
/// ```
/// use rpc_core::protocol::{Expr, RequestInit};
/// let init = RequestInit {
///     method: Some("POST".into()),
///     body: Some(Expr::String("hi".into())),
///     duplex: Some("half".into()),
///     ..RequestInit::default()
/// };
/// assert!(init.headers.is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestInit {
    /// `method`, sent when not `GET`.
    pub method: Option<String>,
    /// `headers` as `[name, value]` pairs, sent when there are any.
    pub headers: Option<Vec<(String, String)>>,
    /// `body`: `null`, a string, bytes or `["readable", id]`.
    pub body: Option<Expr>,
    /// `duplex`; capnweb sends `"half"` with every body (a stream body requires it).
    pub duplex: Option<String>,
    /// The string-valued options after `duplex`.
    pub options: RequestOptions,
    /// `keepalive`, sent when true.
    pub keepalive: Option<bool>,
}

/// The string-valued options of a Fetch `Request`, each `None` (and omitted on the wire) at
/// its default. The same struct serves the wire model ([`RequestInit`]) and the value
/// ([`Request`](crate::value::Request)), so the two cannot drift apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOptions {
    /// `cache`, sent when not `default`.
    pub cache: Option<String>,
    /// `redirect`, sent when not `follow`.
    pub redirect: Option<String>,
    /// `integrity`, sent when not empty.
    pub integrity: Option<String>,
    /// `mode`, sent when not `cors`.
    pub mode: Option<String>,
    /// `credentials`, sent when not `same-origin`.
    pub credentials: Option<String>,
    /// `referrer`, sent when not `about:client`.
    pub referrer: Option<String>,
    /// `referrerPolicy`, sent when not empty.
    pub referrer_policy: Option<String>,
}

impl RequestOptions {
    /// The options, as `(wire name, value)`, in capnweb's order.
    ///
    /// ```
    /// use rpc_core::protocol::RequestOptions;
    /// let options = RequestOptions { redirect: Some("manual".into()), ..RequestOptions::default() };
    /// let set: Vec<_> = options.iter().filter_map(|(k, v)| Some((k, v.as_deref()?))).collect();
    /// assert_eq!(set, [("redirect", "manual")]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Option<String>)> {
        [
            ("cache", &self.cache),
            ("redirect", &self.redirect),
            ("integrity", &self.integrity),
            ("mode", &self.mode),
            ("credentials", &self.credentials),
            ("referrer", &self.referrer),
            ("referrerPolicy", &self.referrer_policy),
        ]
        .into_iter()
    }
}

impl RequestInit {
    /// The string-valued option named `key` on the wire, for decoders; `None` for other keys.
    ///
    /// ```
    /// use rpc_core::protocol::RequestInit;
    /// let mut init = RequestInit::default();
    /// *init.option_mut("referrerPolicy").unwrap() = Some("no-referrer".into());
    /// assert_eq!(init.options.referrer_policy.as_deref(), Some("no-referrer"));
    /// assert!(init.option_mut("cf").is_none());
    /// ```
    pub fn option_mut(&mut self, key: &str) -> Option<&mut Option<String>> {
        let options = &mut self.options;
        Some(match key {
            "method" => &mut self.method,
            "duplex" => &mut self.duplex,
            "cache" => &mut options.cache,
            "redirect" => &mut options.redirect,
            "integrity" => &mut options.integrity,
            "mode" => &mut options.mode,
            "credentials" => &mut options.credentials,
            "referrer" => &mut options.referrer,
            "referrerPolicy" => &mut options.referrer_policy,
            _ => return None,
        })
    }
}

/// `["request", url, init]`.
///
/// ```
/// use rpc_core::protocol::{Expr, RequestExpr, RequestInit};
/// let req = Expr::Request(Box::new(RequestExpr {
///     url: "https://example.com/".into(),
///     init: RequestInit::default(),
/// }));
/// assert!(!req.is_reference());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RequestExpr {
    /// The absolute URL.
    pub url: String,
    /// The non-default options.
    pub init: RequestInit,
}

/// `["response", body, init]`; `init` holds `status`, `statusText` and `headers`, each omitted
/// when it is the default (200, empty, none).
///
/// ```
/// use rpc_core::protocol::{Expr, ResponseExpr};
/// let resp = ResponseExpr { body: Expr::Readable(1), status: Some(404), status_text: None, headers: None };
/// assert!(Expr::Response(Box::new(resp)).is_reference());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseExpr {
    /// The body: `null`, a string, bytes or `["readable", id]`.
    pub body: Expr,
    /// `status`, sent when not 200.
    pub status: Option<u16>,
    /// `statusText`, sent when not empty.
    pub status_text: Option<String>,
    /// `headers` as `[name, value]` pairs, sent when there are any.
    pub headers: Option<Vec<(String, String)>>,
}

/// Whether `expr` is a form capnweb accepts as a request or response body: `null`, a string,
/// untyped (or `Uint8Array`) bytes, or a readable stream. capnweb throws on anything else.
///
/// ```
/// use rpc_core::protocol::{is_body_expr, Expr, TypedArrayKind};
/// assert!(is_body_expr(&Expr::Readable(3)));
/// assert!(!is_body_expr(&Expr::Bytes(Default::default(), Some(TypedArrayKind::Int32Array))));
/// assert!(!is_body_expr(&Expr::Int(1)));
/// ```
pub fn is_body_expr(expr: &Expr) -> bool {
    use super::TypedArrayKind::Uint8Array;
    matches!(
        expr,
        Expr::Null
            | Expr::String(_)
            | Expr::Utf16(_)
            | Expr::Bytes(_, None | Some(Uint8Array))
            | Expr::Readable(_)
    )
}
