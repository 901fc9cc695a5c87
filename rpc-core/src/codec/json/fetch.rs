//! The Fetch API special values: `url`, `headers`, `request`, `response` and `blob`.
//!
//! None of them nests arbitrary expressions: a body is `null`, a string, bytes or
//! `["readable", id]`, and a blob's content is always `["readable", id]`. So they are read here
//! in one go, without the container stack, and a body can never hide another request (which
//! would otherwise let input recurse without bound).

use super::decode::Parser;
use super::lex::JsStr;
use crate::codec::CodecError;
use crate::codec::shared::truncate;
use crate::protocol::{Expr, RequestExpr, RequestInit, ResponseExpr};

impl Parser<'_, '_> {
    /// A Fetch value capnweb would throw on, naming what is wrong and quoting the value.
    fn bad_fetch(&self, start: usize, what: &str) -> CodecError {
        let rest = self.lex.text.get(start..).unwrap_or("");
        CodecError::Malformed(format!(
            "unknown special value: {what}: {}",
            truncate(rest, 120)
        ))
    }

    /// `[[name, value], …]`: header pairs, bare (not escaped as an array would be).
    pub(super) fn pairs(&mut self, start: usize) -> Result<Vec<(String, String)>, CodecError> {
        let bad =
            |p: &Self| p.bad_fetch(start, "headers must be an array of [name, value] strings");
        if !self.lex.eat(b'[') {
            return Err(bad(self));
        }
        let mut pairs = Vec::new();
        if self.lex.eat(b']') {
            return Ok(pairs);
        }
        loop {
            if !self.lex.eat(b'[') {
                return Err(bad(self));
            }
            let name = self.string_here(start).map_err(|_| bad(self))?;
            if !self.lex.eat(b',') {
                return Err(bad(self));
            }
            let value = self.string_here(start).map_err(|_| bad(self))?;
            if !self.lex.eat(b']') {
                return Err(bad(self));
            }
            pairs.push((name, value));
            if self.lex.eat(b']') {
                return Ok(pairs);
            }
            if !self.lex.eat(b',') {
                return Err(bad(self));
            }
        }
    }

    /// A request or response body: `null`, a string, bytes or `["readable", id]`.
    fn body(&mut self, start: usize) -> Result<Expr, CodecError> {
        let bad = |p: &Self| p.bad_fetch(start, "a body must be null, a string, bytes or a stream");
        match self.lex.peek_ws() {
            Some(b'n') => self.lex.keyword("null").map(|()| Expr::Null),
            Some(b'"') => Ok(match self.lex.string()? {
                JsStr::Borrowed(s) => Expr::String(s.to_owned()),
                JsStr::Owned(s) => Expr::String(s),
                JsStr::Utf16(units) => Expr::Utf16(units),
            }),
            Some(b'[') => {
                self.lex.pos += 1;
                let tag = self.string_here(start).map_err(|_| bad(self))?;
                let body = match tag.as_str() {
                    "bytes" => self.bytes(start)?,
                    "readable" => Expr::Readable(self.field_id(start)?),
                    _ => return Err(bad(self)),
                };
                self.close(start)?;
                if crate::protocol::is_body_expr(&body) {
                    Ok(body)
                } else {
                    Err(bad(self))
                }
            }
            _ => Err(bad(self)),
        }
    }

    /// Runs `each` on every `"key":` of an object, which must read that key's value.
    fn init_object(
        &mut self,
        start: usize,
        mut each: impl FnMut(&mut Self, String) -> Result<(), CodecError>,
    ) -> Result<(), CodecError> {
        if !self.lex.eat(b'{') {
            return Err(self.bad_fetch(start, "init must be an object"));
        }
        if self.lex.eat(b'}') {
            return Ok(());
        }
        loop {
            let key = self.string_here(start)?;
            if !self.lex.eat(b':') {
                return Err(self.lex.syntax("expected ':'"));
            }
            each(self, key)?;
            if self.lex.eat(b'}') {
                return Ok(());
            }
            if !self.lex.eat(b',') {
                return Err(self.lex.syntax("expected ',' or '}'"));
            }
        }
    }

    /// `,url,{init}` of a request.
    pub(super) fn request(&mut self, start: usize) -> Result<Expr, CodecError> {
        let url = self.field_str(start)?;
        self.comma(start)?;
        let mut init = RequestInit::default();
        self.init_object(start, |p, key| {
            match key.as_str() {
                "headers" => init.headers = Some(p.pairs(start)?),
                "body" => init.body = Some(p.body(start)?),
                "keepalive" => {
                    init.keepalive = Some(match p.lex.peek_ws() {
                        Some(b't') => p.lex.keyword("true").map(|()| true)?,
                        Some(b'f') => p.lex.keyword("false").map(|()| false)?,
                        _ => return Err(p.bad_fetch(start, "keepalive must be a boolean")),
                    })
                }
                _ => {
                    if init.option_mut(&key).is_none() {
                        let what =
                            format!("request init key {:?} is not supported", truncate(&key, 40));
                        return Err(p.bad_fetch(start, &what));
                    }
                    let value = p.string_here(start).map_err(|_| {
                        p.bad_fetch(start, &format!("request init {key:?} must be a string"))
                    })?;
                    *init.option_mut(&key).expect("checked above") = Some(value);
                }
            }
            Ok(())
        })?;
        Ok(Expr::Request(Box::new(RequestExpr { url, init })))
    }

    /// `,body,{init}` of a response.
    pub(super) fn response(&mut self, start: usize) -> Result<Expr, CodecError> {
        self.comma(start)?;
        let body = self.body(start)?;
        self.comma(start)?;
        let mut resp = ResponseExpr {
            body,
            status: None,
            status_text: None,
            headers: None,
        };
        self.init_object(start, |p, key| {
            match key.as_str() {
                "status" => {
                    let bad = |p: &Self| p.bad_fetch(start, "status must be an integer");
                    if !matches!(p.lex.peek_ws(), Some(b'0'..=b'9')) {
                        return Err(bad(p));
                    }
                    let n = p.lex.number()?.as_id().and_then(|n| u16::try_from(n).ok());
                    resp.status = Some(n.ok_or_else(|| bad(p))?);
                }
                "statusText" => {
                    let text = p.string_here(start);
                    resp.status_text =
                        Some(text.map_err(|_| p.bad_fetch(start, "statusText must be a string"))?);
                }
                "headers" => resp.headers = Some(p.pairs(start)?),
                other => {
                    let what = format!(
                        "response init key {:?} is not supported",
                        truncate(other, 40)
                    );
                    return Err(p.bad_fetch(start, &what));
                }
            }
            Ok(())
        })?;
        Ok(Expr::Response(Box::new(resp)))
    }

    /// `,type,["readable",id]` of a blob.
    pub(super) fn blob(&mut self, start: usize) -> Result<Expr, CodecError> {
        let mime = self.field_str(start)?;
        self.comma(start)?;
        let bad = |p: &Self| p.bad_fetch(start, "blob content must be [\"readable\", id]");
        if !self.lex.eat(b'[') {
            return Err(bad(self));
        }
        if self.string_here(start).ok().as_deref() != Some("readable") {
            return Err(bad(self));
        }
        let pipe = self.field_id(start)?;
        self.close(start)?;
        Ok(Expr::Blob { mime, pipe })
    }
}
