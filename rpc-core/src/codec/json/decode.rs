//! Parses capnweb JSON straight into the protocol model, enforcing limits on the way.
//!
//! Recursion only happens through containers (escaped arrays, objects, error props, call args,
//! remap captures and instructions) into [`Parser::value`], which checks `max_depth` before doing
//! anything else, so hostile nesting costs a bounded stack.

use base64::Engine as _;
use bytes::Bytes;

use super::lex::{JsStr, Lexer, Num};
use crate::Limits;
use crate::codec::CodecError;
use crate::codec::shared::{
    BASE64_LENIENT, MAX_SAFE_INT, check_bigint, check_bytes_len, check_depth, truncate,
};
use crate::protocol::{CallExpr, ErrorExpr, Expr, Id, Message, PathKey, RemapExpr, TypedArrayKind};

/// How much of an offending frame or value an error message quotes.
const QUOTE_BYTES: usize = 120;

/// Parses one whole frame as one message.
pub(super) fn message(text: &str, limits: &Limits) -> Result<Message, CodecError> {
    let mut p = Parser {
        lex: Lexer::new(text),
        limits,
    };
    p.message()
}

struct Parser<'a, 'l> {
    lex: Lexer<'a>,
    limits: &'l Limits,
}

/// The tags a tagged value may carry.
enum Tag {
    Undefined,
    Inf,
    NegInf,
    NaN,
    BigInt,
    Date,
    Bytes,
    Error,
    Import,
    Pipeline,
    Remap,
    Export,
    Promise,
    Readable,
    Writable,
}

impl Tag {
    fn parse(tag: &str) -> Option<Tag> {
        Some(match tag {
            "undefined" => Tag::Undefined,
            "inf" => Tag::Inf,
            "-inf" => Tag::NegInf,
            "nan" => Tag::NaN,
            "bigint" => Tag::BigInt,
            "date" => Tag::Date,
            "bytes" => Tag::Bytes,
            "error" => Tag::Error,
            "import" => Tag::Import,
            "pipeline" => Tag::Pipeline,
            "remap" => Tag::Remap,
            "export" => Tag::Export,
            "promise" => Tag::Promise,
            "readable" => Tag::Readable,
            "writable" => Tag::Writable,
            _ => return None,
        })
    }
}

impl Parser<'_, '_> {
    /// capnweb's wording for a message it cannot use, quoting the frame.
    fn bad_message(&self) -> CodecError {
        CodecError::Malformed(truncate(self.lex.text, QUOTE_BYTES))
    }

    /// capnweb's wording for a tagged value it cannot use, quoting the value from `start`.
    fn bad_special(&self, start: usize) -> CodecError {
        let rest = self.lex.text.get(start..).unwrap_or("");
        CodecError::Malformed(format!(
            "unknown special value: {}",
            truncate(rest, QUOTE_BYTES)
        ))
    }

    fn message(&mut self) -> Result<Message, CodecError> {
        if !self.lex.eat(b'[') || self.lex.peek_ws() != Some(b'"') {
            return Err(self.bad_message());
        }
        let tag = self.lex.string()?;
        let msg = match tag.as_str().unwrap_or("") {
            "push" => Message::Push(self.msg_expr()?),
            "pull" => Message::Pull(self.msg_id()?),
            "resolve" => {
                let id = self.msg_id()?;
                Message::Resolve(id, self.msg_expr()?)
            }
            "reject" => {
                let id = self.msg_id()?;
                Message::Reject(id, self.msg_expr()?)
            }
            "release" => {
                let id = self.msg_id()?;
                Message::Release(id, self.msg_count()?)
            }
            "abort" => Message::Abort(self.msg_expr()?),
            "stream" => Message::Stream(self.msg_expr()?),
            "pipe" => Message::Pipe,
            _ => return Err(self.bad_message()),
        };
        if !self.lex.eat(b']') {
            return Err(self.bad_message());
        }
        self.lex.ws();
        if !self.lex.at_end() {
            return Err(self.bad_message());
        }
        Ok(msg)
    }

    /// `,expr` inside a message.
    fn msg_expr(&mut self) -> Result<Expr, CodecError> {
        if !self.lex.eat(b',') {
            return Err(self.bad_message());
        }
        self.value(0)
    }

    /// `,number` inside a message, where the number must be something an ID can be.
    fn msg_number(&mut self) -> Result<Num, CodecError> {
        if !self.lex.eat(b',') {
            return Err(self.bad_message());
        }
        match self.lex.peek_ws() {
            Some(b'-' | b'0'..=b'9') => self.lex.number(),
            _ => Err(self.bad_message()),
        }
    }

    fn msg_id(&mut self) -> Result<Id, CodecError> {
        let num = self.msg_number()?;
        num.as_id().ok_or_else(|| self.bad_message())
    }

    fn msg_count(&mut self) -> Result<u32, CodecError> {
        let num = self.msg_number()?;
        num.as_id()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| self.bad_message())
    }

    /// One value whose enclosing containers number `depth`.
    fn value(&mut self, depth: usize) -> Result<Expr, CodecError> {
        check_depth(depth, self.limits)?;
        match self.lex.peek_ws() {
            Some(b'{') => Ok(Expr::Object(self.object(depth)?)),
            Some(b'[') => self.tagged(depth),
            Some(b'"') => Ok(match self.lex.string()? {
                JsStr::Borrowed(s) => Expr::String(s.to_owned()),
                JsStr::Owned(s) => Expr::String(s),
                JsStr::Utf16(units) => Expr::Utf16(units),
            }),
            Some(b'-' | b'0'..=b'9') => {
                let num = self.lex.number()?;
                Ok(match num.int {
                    // `-0` stays a float so its sign survives, as in JSON.parse.
                    Some(i)
                        if (-MAX_SAFE_INT..=MAX_SAFE_INT).contains(&i)
                            && !(i == 0 && num.float.is_sign_negative()) =>
                    {
                        Expr::Int(i)
                    }
                    _ => Expr::Float(num.float),
                })
            }
            Some(b't') => self.lex.keyword("true").map(|()| Expr::Bool(true)),
            Some(b'f') => self.lex.keyword("false").map(|()| Expr::Bool(false)),
            Some(b'n') => self.lex.keyword("null").map(|()| Expr::Null),
            _ => Err(self.lex.syntax("expected a value")),
        }
    }

    /// `{…}` at `depth`; its values sit one level deeper.
    fn object(&mut self, depth: usize) -> Result<Vec<(String, Expr)>, CodecError> {
        let inner = depth + 1;
        self.lex.pos += 1;
        let mut entries = Vec::new();
        if self.lex.eat(b'}') {
            return Ok(entries);
        }
        loop {
            if self.lex.peek_ws() != Some(b'"') {
                return Err(self.lex.syntax("expected an object key"));
            }
            let key = self.lex.string()?.into_lossy();
            if !self.lex.eat(b':') {
                return Err(self.lex.syntax("expected ':'"));
            }
            entries.push((key, self.value(inner)?));
            if self.lex.eat(b',') {
                continue;
            }
            if self.lex.eat(b'}') {
                return Ok(entries);
            }
            return Err(self.lex.syntax("expected ',' or '}'"));
        }
    }

    /// A bare JSON array of values, each at depth `inner`.
    fn list(&mut self, inner: usize) -> Result<Vec<Expr>, CodecError> {
        self.lex.pos += 1;
        let mut items = Vec::new();
        if self.lex.eat(b']') {
            return Ok(items);
        }
        loop {
            items.push(self.value(inner)?);
            if self.lex.eat(b',') {
                continue;
            }
            if self.lex.eat(b']') {
                return Ok(items);
            }
            return Err(self.lex.syntax("expected ',' or ']'"));
        }
    }

    /// A bare list that must be there (call args, captures, instructions).
    fn required_list(&mut self, depth: usize, start: usize) -> Result<Vec<Expr>, CodecError> {
        if self.lex.peek_ws() != Some(b'[') {
            return Err(self.bad_special(start));
        }
        self.list(depth + 1)
    }

    /// Any JSON array in value position: `[[…]]` is an escaped array, `["tag",…]` a special value.
    fn tagged(&mut self, depth: usize) -> Result<Expr, CodecError> {
        let start = self.lex.pos;
        self.lex.pos += 1;
        match self.lex.peek_ws() {
            Some(b'[') => {
                // The escape and the array it wraps count as one level.
                let items = self.list(depth + 1)?;
                return self.close(start).map(|()| Expr::Array(items));
            }
            Some(b'"') => {}
            _ => return Err(self.bad_special(start)),
        }
        let tag = self.lex.string()?;
        let Some(tag) = tag.as_str().and_then(Tag::parse) else {
            return Err(self.bad_special(start));
        };
        let expr = match tag {
            Tag::Undefined => Expr::Undefined,
            Tag::Inf => Expr::Float(f64::INFINITY),
            Tag::NegInf => Expr::Float(f64::NEG_INFINITY),
            Tag::NaN => Expr::Float(f64::NAN),
            Tag::BigInt => {
                let digits = self.field_str(start)?;
                check_bigint(&digits, self.limits)?;
                Expr::BigInt(digits)
            }
            Tag::Date => {
                self.comma(start)?;
                match self.lex.peek_ws() {
                    Some(b'n') => {
                        self.lex.keyword("null")?;
                        Expr::Date(None)
                    }
                    Some(b'-' | b'0'..=b'9') => Expr::Date(Some(self.lex.number()?.float)),
                    _ => return Err(self.bad_special(start)),
                }
            }
            Tag::Bytes => self.bytes(start)?,
            Tag::Error => self.error(depth, start)?,
            Tag::Import => Expr::Import(Box::new(self.call(depth, start)?)),
            Tag::Pipeline => Expr::Pipeline(Box::new(self.call(depth, start)?)),
            Tag::Remap => {
                let id = self.field_id(start)?;
                self.comma(start)?;
                let path = self.path(start)?;
                self.comma(start)?;
                let captures = self.required_list(depth, start)?;
                self.comma(start)?;
                let instructions = self.required_list(depth, start)?;
                Expr::Remap(Box::new(RemapExpr {
                    id,
                    path,
                    captures,
                    instructions,
                }))
            }
            Tag::Export => Expr::Export(self.field_id(start)?),
            Tag::Promise => Expr::Promise(self.field_id(start)?),
            Tag::Readable => Expr::Readable(self.field_id(start)?),
            Tag::Writable => Expr::Writable(self.field_id(start)?),
        };
        self.close(start)?;
        Ok(expr)
    }

    fn comma(&mut self, start: usize) -> Result<(), CodecError> {
        if self.lex.eat(b',') {
            Ok(())
        } else {
            Err(self.bad_special(start))
        }
    }

    fn close(&mut self, start: usize) -> Result<(), CodecError> {
        if self.lex.eat(b']') {
            Ok(())
        } else {
            Err(self.bad_special(start))
        }
    }

    /// True (and nothing consumed) when the tagged value ends here.
    fn at_close(&mut self) -> bool {
        self.lex.peek_ws() == Some(b']')
    }

    /// `,"…"`, as Rust text.
    fn field_str(&mut self, start: usize) -> Result<String, CodecError> {
        self.comma(start)?;
        self.string_here(start)
    }

    fn string_here(&mut self, start: usize) -> Result<String, CodecError> {
        if self.lex.peek_ws() != Some(b'"') {
            return Err(self.bad_special(start));
        }
        Ok(self.lex.string()?.into_lossy())
    }

    /// `,id`.
    fn field_id(&mut self, start: usize) -> Result<Id, CodecError> {
        self.comma(start)?;
        match self.lex.peek_ws() {
            Some(b'-' | b'0'..=b'9') => {}
            _ => return Err(self.bad_special(start)),
        }
        self.lex
            .number()?
            .as_id()
            .ok_or_else(|| self.bad_special(start))
    }

    /// `["bytes", b64, type?]` after the tag.
    fn bytes(&mut self, start: usize) -> Result<Expr, CodecError> {
        self.comma(start)?;
        if self.lex.peek_ws() != Some(b'"') {
            return Err(self.bad_special(start));
        }
        let b64 = self.lex.string()?;
        let data = b64
            .as_str()
            .and_then(|s| BASE64_LENIENT.decode(s).ok())
            .ok_or_else(|| self.bad_special(start))?;
        let kind = if self.at_close() {
            None
        } else {
            let name = self.field_str(start)?;
            Some(TypedArrayKind::from_name(&name).ok_or_else(|| self.bad_special(start))?)
        };
        check_bytes_len(data.len(), kind)?;
        Ok(Expr::Bytes(Bytes::from(data), kind))
    }

    /// `["error", name, message, stack?, props?]` after the tag.
    fn error(&mut self, depth: usize, start: usize) -> Result<Expr, CodecError> {
        let name = self.field_str(start)?;
        let message = self.field_str(start)?;
        let mut err = ErrorExpr {
            name,
            message,
            stack: None,
            props: None,
        };
        if !self.at_close() {
            self.comma(start)?;
            err.stack = match self.lex.peek_ws() {
                Some(b'n') => {
                    self.lex.keyword("null")?;
                    None
                }
                _ => Some(self.string_here(start)?),
            };
            if !self.at_close() {
                self.comma(start)?;
                if self.lex.peek_ws() != Some(b'{') {
                    return Err(self.bad_special(start));
                }
                err.props = Some(self.object(depth)?);
            }
        }
        Ok(Expr::Error(Box::new(err)))
    }

    /// `["import"|"pipeline", id, path?, args?]` after the tag.
    fn call(&mut self, depth: usize, start: usize) -> Result<CallExpr, CodecError> {
        let id = self.field_id(start)?;
        let mut call = CallExpr {
            id,
            path: None,
            args: None,
        };
        if !self.at_close() {
            self.comma(start)?;
            call.path = Some(self.path(start)?);
            if !self.at_close() {
                self.comma(start)?;
                call.args = Some(self.required_list(depth, start)?);
            }
        }
        Ok(call)
    }

    /// A bare array of property names and indices.
    fn path(&mut self, start: usize) -> Result<Vec<PathKey>, CodecError> {
        if self.lex.peek_ws() != Some(b'[') {
            return Err(self.bad_special(start));
        }
        self.lex.pos += 1;
        let mut keys = Vec::new();
        if self.lex.eat(b']') {
            return Ok(keys);
        }
        loop {
            let key = match self.lex.peek_ws() {
                Some(b'"') => PathKey::Name(self.lex.string()?.into_lossy()),
                Some(b'-' | b'0'..=b'9') => {
                    let index = self
                        .lex
                        .number()?
                        .as_id()
                        .and_then(|i| u32::try_from(i).ok());
                    PathKey::Index(index.ok_or_else(|| self.bad_special(start))?)
                }
                _ => return Err(self.bad_special(start)),
            };
            keys.push(key);
            if self.lex.eat(b',') {
                continue;
            }
            if self.lex.eat(b']') {
                return Ok(keys);
            }
            return Err(self.bad_special(start));
        }
    }
}
