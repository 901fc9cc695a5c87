//! The heads of special values: everything up to their first nested part.

use base64::Engine as _;
use bytes::Bytes;

use super::decode::{Open, Parser, Step};
use crate::codec::CodecError;
use crate::codec::shared::{BASE64_LENIENT, Tag, check_bigint, check_bytes_len};
use crate::protocol::{CallExpr, ErrorExpr, Expr, Id, PathKey, RemapExpr, TypedArrayKind};

impl Parser<'_, '_> {
    /// A special value whose `[` began at `start`; the cursor is just inside it. Returns either
    /// the finished value (its `]` consumed) or the container its nested part opens.
    pub(super) fn special(&mut self, start: usize) -> Result<Step, CodecError> {
        if self.lex.peek() != Some(b'"') {
            return Err(self.bad_special(start));
        }
        let tag = self.lex.string()?;
        // JSON strings carry lone surrogates themselves, so `utf16` is no JSON tag.
        let Some(tag) = tag
            .as_str()
            .and_then(Tag::parse)
            .filter(|t| !matches!(t, Tag::Utf16))
        else {
            return Err(self.bad_special(start));
        };
        let expr = match tag {
            Tag::Utf16 => return Err(self.bad_special(start)),
            Tag::Undefined => Expr::Undefined,
            Tag::Inf => Expr::Float(f64::INFINITY),
            Tag::NegInf => Expr::Float(f64::NEG_INFINITY),
            Tag::NaN => Expr::Float(f64::NAN),
            Tag::BigInt => {
                let digits = self.field_str(start)?;
                check_bigint(&digits, self.limits)?;
                Expr::BigInt(digits)
            }
            Tag::Date => self.date(start)?,
            Tag::Bytes => self.bytes(start)?,
            Tag::Export => Expr::Export(self.field_id(start)?),
            Tag::Promise => Expr::Promise(self.field_id(start)?),
            Tag::Readable => Expr::Readable(self.field_id(start)?),
            Tag::Writable => Expr::Writable(self.field_id(start)?),
            Tag::Error => return self.error(start),
            Tag::Import => return self.call(start, true),
            Tag::Pipeline => return self.call(start, false),
            Tag::Remap => return self.remap(start),
            Tag::Url => Expr::Url(self.field_str(start)?),
            Tag::Headers => {
                self.comma(start)?;
                Expr::Headers(self.pairs(start)?)
            }
            Tag::Request => self.request(start)?,
            Tag::Response => self.response(start)?,
            Tag::Blob => self.blob(start)?,
        };
        self.done(expr, start)
    }

    /// Consumes the `]` that ends a special value with nothing more nested in it.
    fn done(&mut self, expr: Expr, start: usize) -> Result<Step, CodecError> {
        self.close(start)?;
        Ok(Step::Done(expr))
    }

    /// `,"…"`, as Rust text.
    pub(super) fn field_str(&mut self, start: usize) -> Result<String, CodecError> {
        self.comma(start)?;
        self.string_here(start)
    }

    pub(super) fn string_here(&mut self, start: usize) -> Result<String, CodecError> {
        if self.lex.peek_ws() != Some(b'"') {
            return Err(self.bad_special(start));
        }
        Ok(self.lex.string()?.into_lossy())
    }

    /// `,id`.
    pub(super) fn field_id(&mut self, start: usize) -> Result<Id, CodecError> {
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

    /// True (and nothing consumed) when the special value ends here.
    fn at_close(&mut self) -> bool {
        self.lex.peek_ws() == Some(b']')
    }

    /// `,ms` or `,null` of a date.
    fn date(&mut self, start: usize) -> Result<Expr, CodecError> {
        self.comma(start)?;
        match self.lex.peek_ws() {
            Some(b'n') => self.lex.keyword("null").map(|()| Expr::Date(None)),
            Some(b'-' | b'0'..=b'9') => Ok(Expr::date(self.lex.number()?.float)),
            _ => Err(self.bad_special(start)),
        }
    }

    /// `,b64` and an optional `,type` of bytes.
    pub(super) fn bytes(&mut self, start: usize) -> Result<Expr, CodecError> {
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

    /// `,name,message` and an optional `,stack|null` and `,{props}` of an error.
    fn error(&mut self, start: usize) -> Result<Step, CodecError> {
        let name = self.field_str(start)?;
        let message = self.field_str(start)?;
        let mut err = Box::new(ErrorExpr {
            name,
            message,
            stack: None,
            props: None,
        });
        if self.at_close() {
            return self.done(Expr::Error(err), start);
        }
        self.comma(start)?;
        err.stack = match self.lex.peek_ws() {
            Some(b'n') => {
                self.lex.keyword("null")?;
                None
            }
            _ => Some(self.string_here(start)?),
        };
        if self.at_close() {
            return self.done(Expr::Error(err), start);
        }
        self.comma(start)?;
        if self.lex.peek_ws() != Some(b'{') {
            return Err(self.bad_special(start));
        }
        self.open_object(Open::Props {
            err,
            entries: Vec::new(),
            key: String::new(),
            start,
        })
    }

    /// `,id` and an optional `,path` and `,[args]` of an import or pipeline.
    fn call(&mut self, start: usize, import: bool) -> Result<Step, CodecError> {
        let id = self.field_id(start)?;
        let mut call = Box::new(CallExpr {
            id,
            path: None,
            args: None,
        });
        if !self.at_close() {
            self.comma(start)?;
            call.path = Some(self.path(start)?);
            if !self.at_close() {
                self.comma(start)?;
                self.list_start(start)?;
                return self.open_list(Open::Args {
                    call,
                    import,
                    items: Vec::new(),
                    start,
                });
            }
        }
        let expr = if import {
            Expr::Import(call)
        } else {
            Expr::Pipeline(call)
        };
        self.done(expr, start)
    }

    /// `,id,path,[captures` of a remap; the instructions follow once the captures close.
    fn remap(&mut self, start: usize) -> Result<Step, CodecError> {
        let id = self.field_id(start)?;
        self.comma(start)?;
        let path = self.path(start)?;
        self.comma(start)?;
        self.list_start(start)?;
        self.open_list(Open::Remap {
            remap: Box::new(RemapExpr {
                id,
                path,
                captures: Vec::new(),
                instructions: Vec::new(),
            }),
            instructions: false,
            items: Vec::new(),
            start,
        })
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
                    let index = self.lex.number()?.as_id();
                    let index = index.and_then(|i| u32::try_from(i).ok());
                    PathKey::Index(index.ok_or_else(|| self.bad_special(start))?)
                }
                _ => return Err(self.bad_special(start)),
            };
            keys.push(key);
            if self.lex.eat(b']') {
                return Ok(keys);
            }
            if !self.lex.eat(b',') {
                return Err(self.bad_special(start));
            }
        }
    }
}
