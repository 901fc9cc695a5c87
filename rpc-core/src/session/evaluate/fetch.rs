//! Fetch API expressions → values, checked as capnweb's `new Request`/`new Response`/
//! `new Headers`/`new URL` would check them: a value capnweb would throw on aborts the session.

use crate::{
    RpcError, RpcPromise,
    pending::Pending,
    promise::Source,
    protocol::{Expr, Id, RequestExpr, ResponseExpr},
    value::{Blob, Body, Headers, Request, Response, Url, Value, buffer_stream},
};

use super::Evaluator;

/// Statuses whose response must have a null body (`new Response` throws otherwise).
const NULL_BODY_STATUSES: [u16; 5] = [101, 103, 204, 205, 304];

/// The values each enumerated request option may take (WebIDL enums: anything else throws).
const REQUEST_ENUMS: [(&str, &[&str]); 4] = [
    (
        "cache",
        &[
            "default",
            "no-store",
            "reload",
            "no-cache",
            "force-cache",
            "only-if-cached",
        ],
    ),
    ("redirect", &["follow", "error", "manual"]),
    ("mode", &["navigate", "same-origin", "no-cors", "cors"]),
    ("credentials", &["omit", "same-origin", "include"]),
];

fn bad(what: String) -> RpcError {
    RpcError::protocol(format!("unknown special value: {what}"))
}

/// `["url", …]` and `["headers", …]` need no session: they are plain data, which a `.map()`
/// recording may also hold (see [`super::scalar`]).
pub(super) fn plain(expr: Expr) -> Result<Result<Value, Expr>, RpcError> {
    Ok(Ok(match expr {
        Expr::Url(href) => Value::Url(Url::parse(href).map_err(|e| bad(e.message().into()))?),
        Expr::Headers(pairs) => Value::Headers(headers(Some(pairs))?),
        other => return Ok(Err(other)),
    }))
}

fn headers(pairs: Option<Vec<(String, String)>>) -> Result<Headers, RpcError> {
    let headers: Headers = pairs.unwrap_or_default().into_iter().collect();
    headers.check().map_err(|e| bad(e.message().to_owned()))?;
    Ok(headers)
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl Evaluator<'_> {
    /// `url`, `headers`, `request`, `response` or `blob`; any other expression is handed back.
    /// A Fetch value: `url`, `headers`, `request`, `response` or `blob`.
    pub(super) fn fetch(&mut self, expr: Expr) -> Result<Value, RpcError> {
        Ok(match plain(expr)? {
            Ok(value) => value,
            Err(Expr::Request(req)) => Value::Request(Box::new(self.request(*req)?)),
            Err(Expr::Response(resp)) => Value::Response(Box::new(self.response(*resp)?)),
            Err(Expr::Blob { mime, pipe }) => self.blob(mime, pipe)?,
            Err(other) => return Err(bad(format!("not a Fetch value: {other:?}"))),
        })
    }

    fn body(&mut self, body: Expr) -> Result<Option<Body>, RpcError> {
        Ok(Some(match body {
            Expr::Null => return Ok(None),
            Expr::String(s) => Body::Text(s),
            Expr::Utf16(units) => Body::Text(String::from_utf16_lossy(&units)),
            Expr::Bytes(b, _) => Body::Bytes(b),
            Expr::Readable(id) => Body::Stream(self.pipe_reader(id)?),
            other => return Err(bad(format!("a body cannot be {other:?}"))),
        }))
    }

    fn request(&mut self, req: RequestExpr) -> Result<Request, RpcError> {
        let init = req.init;
        Url::parse(req.url.as_str()).map_err(|e| bad(e.message().into()))?;
        let method = init.method.unwrap_or_else(|| "GET".into());
        if !is_token(&method) {
            return Err(bad(format!("invalid request method {method:?}")));
        }
        for (name, allowed) in REQUEST_ENUMS {
            let value = match name {
                "cache" => &init.options.cache,
                "redirect" => &init.options.redirect,
                "mode" => &init.options.mode,
                _ => &init.options.credentials,
            };
            if let Some(v) = value.as_deref().filter(|v| !allowed.contains(v)) {
                return Err(bad(format!("invalid request {name} {v:?}")));
            }
        }
        if let Some(d) = init.duplex.as_deref().filter(|d| *d != "half") {
            return Err(bad(format!("invalid request duplex {d:?}")));
        }
        let body = match init.body {
            Some(body) => self.body(body)?,
            None => None,
        };
        let upper = method.to_ascii_uppercase();
        if body.is_some() && (upper == "GET" || upper == "HEAD") {
            return Err(bad("a GET or HEAD request cannot have a body".into()));
        }
        Ok(Request {
            url: req.url,
            method,
            headers: headers(init.headers)?,
            body,
            options: init.options,
            keepalive: init.keepalive.unwrap_or(false),
        })
    }

    fn response(&mut self, resp: ResponseExpr) -> Result<Response, RpcError> {
        let status = resp.status.unwrap_or(200);
        if !(200..=599).contains(&status) {
            return Err(bad(format!("response status {status} is outside 200-599")));
        }
        let status_text = resp.status_text.unwrap_or_default();
        if status_text.contains(['\r', '\n']) {
            return Err(bad("invalid response statusText".into()));
        }
        let body = self.body(resp.body)?;
        if body.is_some() && NULL_BODY_STATUSES.contains(&status) {
            return Err(bad(format!("a {status} response cannot have a body")));
        }
        Ok(Response {
            status,
            status_text,
            headers: headers(resp.headers)?,
            body,
        })
    }

    /// `["blob", type, ["readable", id]]`: like capnweb, the value holding the blob is delivered
    /// only once the whole pipe has been read. The content is bounded by
    /// `max_stream_buffer_bytes`; a peer that sends more, or sends anything but bytes, has its
    /// session aborted.
    fn blob(&mut self, mime: String, pipe: Id) -> Result<Value, RpcError> {
        let stream = self.pipe_reader(pipe)?;
        self.made_promises = true;
        let pending = Pending::new();
        let settler = pending.settler();
        let session = self.shared.clone();
        let max = self.shared.limits.max_stream_buffer_bytes;
        let buffering = async move {
            match buffer_stream(stream, max).await {
                Ok(data) => settler.settle(Ok(Value::Blob(Blob { mime, data }))),
                Err(e) => {
                    let e =
                        RpcError::with_kind(e.kind(), e.name(), format!("blob: {}", e.message()));
                    session.break_with(e.clone(), true);
                    settler.settle(Err(e));
                }
            }
        };
        // Spawned, never polled here: settling runs callbacks that take the state lock, which
        // this evaluator holds.
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => drop(handle.spawn(buffering)),
            Err(_) => return Err(RpcError::protocol("a blob arrived outside a tokio runtime")),
        }
        Ok(Value::Promise(RpcPromise::new(
            Source::Local(pending),
            Vec::new(),
        )))
    }
}
