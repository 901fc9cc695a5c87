//! Reads MessagePack straight into the model, enforcing limits on the way.
//!
//! Like the JSON parser, values are read by a loop over an explicit stack of open containers, not
//! by recursion. A serde `DeserializeSeed` over rmp-serde was measured first: unoptimised builds
//! spent 8 KiB of stack per level of escaped arrays and 16 KiB per level of call args (rmp-serde's
//! `any_inner` alone is ~3 KiB a call), so input at the default depth limit overflowed a 2 MiB
//! thread. Here stack use is constant and `max_depth` is checked before each value is begun.

mod fetch;

use std::mem;

use bytes::Bytes;
use rmp::Marker;

use super::read::{Item, Reader};
use crate::Limits;
use crate::codec::CodecError;
use crate::codec::shared::{Tag, check_bigint, check_bytes_len, check_depth};
use crate::protocol::{CallExpr, ErrorExpr, Expr, Id, Message, PathKey, RemapExpr, TypedArrayKind};

/// Decodes one whole frame as one message.
pub(super) fn message(bytes: &[u8], limits: &Limits) -> Result<Message, CodecError> {
    decode(bytes, None, limits)
}

/// Decodes one whole frame held in `frame`: large byte strings become slices of it rather
/// than copies.
pub(super) fn message_in(frame: &Bytes, limits: &Limits) -> Result<Message, CodecError> {
    decode(frame, Some(frame), limits)
}

/// Byte strings shorter than this are copied even from a shared frame: a copy is as cheap as
/// the shared reference, and a small value then does not keep a large frame alive.
const SHARE_MIN: usize = 1024;

fn decode(bytes: &[u8], frame: Option<&Bytes>, limits: &Limits) -> Result<Message, CodecError> {
    let mut d = Decoder {
        rd: Reader::new(bytes),
        frame,
        limits,
    };
    let msg = d.message()?;
    if d.rd.remaining() != 0 {
        return Err(malformed("trailing bytes after the message"));
    }
    Ok(msg)
}

fn malformed(what: impl Into<String>) -> CodecError {
    CodecError::Malformed(what.into())
}

fn bad_special(tag: &str, what: &str) -> CodecError {
    CodecError::Malformed(format!("unknown special value: [{tag:?}, …]: {what}"))
}

struct Decoder<'a, 'l> {
    rd: Reader<'a>,
    /// The frame `rd` reads, when it is shared memory that byte strings may point into.
    frame: Option<&'a Bytes>,
    limits: &'l Limits,
}

/// A container whose contents are still being read: `left` more values, each one level deeper.
enum Open {
    /// The inside of `[[…]]`.
    Array { items: Vec<Expr>, left: usize },
    /// An object, and the key whose value is being read.
    Object {
        entries: Vec<(String, Expr)>,
        key: String,
        left: usize,
    },
    /// The args of an `import` or `pipeline`.
    Args {
        call: Box<CallExpr>,
        import: bool,
        items: Vec<Expr>,
        left: usize,
    },
    /// The props of an `error`, and the key whose value is being read.
    Props {
        err: Box<ErrorExpr>,
        entries: Vec<(String, Expr)>,
        key: String,
        left: usize,
    },
    /// The captures (then, with `instructions` set, the instructions) of a `remap`.
    Remap {
        remap: Box<RemapExpr>,
        instructions: bool,
        items: Vec<Expr>,
        left: usize,
    },
}

/// The outcome of opening or closing a container.
enum Step {
    Done(Expr),
    Open(Open),
}

impl<'a> Decoder<'a, '_> {
    fn message(&mut self) -> Result<Message, CodecError> {
        let Item::Array(len) = self.rd.item()? else {
            return Err(malformed("a message must be an array"));
        };
        let tag = match (len, self.rd.item()?) {
            (1.., Item::Str(tag)) => tag,
            _ => return Err(malformed("a message must start with its tag")),
        };
        let arity = match tag {
            "pipe" => 1,
            "push" | "pull" | "abort" | "stream" => 2,
            "resolve" | "reject" | "release" => 3,
            _ => return Err(malformed(format!("unknown message type {tag:?}"))),
        };
        // A push may carry a deadline as a third element (a Capstan extension).
        let deadline = tag == "push" && len == 3;
        if len != arity && !deadline {
            return Err(malformed(format!("{tag:?} message with {len} elements")));
        }
        Ok(match tag {
            "push" if deadline => {
                let expr = self.value()?;
                let ms = u64::try_from(self.id(tag)?).map_err(|_| malformed("bad deadline"))?;
                Message::PushDeadline(expr, ms)
            }
            "push" => Message::Push(self.value()?),
            "pull" => Message::Pull(self.id(tag)?),
            "resolve" => Message::Resolve(self.id(tag)?, self.value()?),
            "reject" => Message::Reject(self.id(tag)?, self.value()?),
            "release" => {
                let id = self.id(tag)?;
                let count = u32::try_from(self.id(tag)?).ok().filter(|&n| n > 0);
                Message::Release(id, count.ok_or_else(|| malformed("bad release count"))?)
            }
            "abort" => Message::Abort(self.value()?),
            "stream" => Message::Stream(self.value()?),
            _ => Message::Pipe,
        })
    }

    /// An ID: any integer that fits `i64`.
    fn id(&mut self, context: &str) -> Result<Id, CodecError> {
        match self.rd.item()? {
            Item::Int(id) => Ok(id),
            other => Err(malformed(format!(
                "{context:?}: expected an integer ID, found {}",
                other.kind()
            ))),
        }
    }

    fn str(&mut self, tag: &str) -> Result<&'a str, CodecError> {
        match self.rd.item()? {
            Item::Str(s) => Ok(s),
            other => Err(bad_special(tag, &format!("found {}", other.kind()))),
        }
    }

    fn bin(&mut self, tag: &str) -> Result<&'a [u8], CodecError> {
        match self.rd.item()? {
            Item::Bin(data) => Ok(data),
            other => Err(bad_special(tag, &format!("found {}", other.kind()))),
        }
    }

    /// The header of a nested list (args, captures, instructions).
    fn list_len(&mut self, tag: &str) -> Result<usize, CodecError> {
        match self.rd.item()? {
            Item::Array(len) => Ok(len),
            other => Err(bad_special(tag, &format!("found {}", other.kind()))),
        }
    }

    /// Room for `len` values, trusting the claim only as far as the bytes left could hold.
    fn vec<T>(&self, len: usize) -> Vec<T> {
        Vec::with_capacity(len.min(self.rd.remaining()))
    }

    /// One whole value; the top-level expression of a message sits at depth 0.
    fn value(&mut self) -> Result<Expr, CodecError> {
        let mut open: Vec<Open> = Vec::new();
        loop {
            // Descend until a value is complete.
            check_depth(open.len(), self.limits)?;
            let mut done = match self.begin()? {
                Step::Done(expr) => expr,
                Step::Open(container) => {
                    open.push(container);
                    continue;
                }
            };
            // Ascend: hand the value to its container, closing every container it completes.
            loop {
                let more = match open.last_mut() {
                    Some(top) => self.add(top, done)?,
                    None => return Ok(done),
                };
                if more {
                    break;
                }
                let Some(top) = open.pop() else {
                    return Err(CodecError::Malformed("decoder lost its place".into()));
                };
                match self.finish(top)? {
                    Step::Done(expr) => done = expr,
                    Step::Open(container) => {
                        open.push(container);
                        break;
                    }
                }
            }
        }
    }

    /// Reads a scalar, or the start of a container.
    fn begin(&mut self) -> Result<Step, CodecError> {
        Ok(Step::Done(match self.rd.item()? {
            Item::Nil => Expr::Null,
            Item::Bool(b) => Expr::Bool(b),
            Item::Int(i) => Expr::Int(i),
            Item::BigUint(v) => {
                let digits = v.to_string();
                check_bigint(&digits, self.limits)?;
                Expr::BigInt(digits)
            }
            Item::Float(f) => Expr::Float(f),
            Item::Str(s) => Expr::String(s.to_owned()),
            Item::Map(len) => {
                let entries = self.vec(len);
                return self.open_map(Open::Object {
                    entries,
                    key: String::new(),
                    left: len,
                });
            }
            Item::Array(len) => return self.special(len),
            other @ (Item::Bin(_) | Item::Ext) => {
                return Err(malformed(format!(
                    "{} cannot stand alone as a value",
                    other.kind()
                )));
            }
        }))
    }

    /// Starts a map that `container` collects, reading its first key.
    fn open_map(&mut self, mut container: Open) -> Result<Step, CodecError> {
        match &mut container {
            Open::Object { key, left, .. } | Open::Props { key, left, .. } if *left > 0 => {
                *key = self.key()?;
            }
            _ => return self.finish(container),
        }
        Ok(Step::Open(container))
    }

    /// Starts a list that `container` collects (its `left` set from the header).
    fn open_list(&mut self, container: Open) -> Result<Step, CodecError> {
        match &container {
            Open::Array { left: 0, .. }
            | Open::Args { left: 0, .. }
            | Open::Remap { left: 0, .. } => self.finish(container),
            _ => Ok(Step::Open(container)),
        }
    }

    fn key(&mut self) -> Result<String, CodecError> {
        match self.rd.item()? {
            Item::Str(key) => Ok(key.to_owned()),
            other => Err(malformed(format!(
                "object keys must be strings, found {}",
                other.kind()
            ))),
        }
    }

    /// Adds a finished value to `container`; true when more values follow.
    fn add(&mut self, container: &mut Open, value: Expr) -> Result<bool, CodecError> {
        match container {
            Open::Array { items, left }
            | Open::Args { items, left, .. }
            | Open::Remap { items, left, .. } => {
                items.push(value);
                *left -= 1;
                Ok(*left > 0)
            }
            Open::Object { entries, key, left }
            | Open::Props {
                entries, key, left, ..
            } => {
                entries.push((mem::take(key), value));
                *left -= 1;
                if *left > 0 {
                    *key = self.key()?;
                }
                Ok(*left > 0)
            }
        }
    }

    /// Builds the value of a complete container (after remap captures, opens the instructions).
    fn finish(&mut self, container: Open) -> Result<Step, CodecError> {
        Ok(Step::Done(match container {
            Open::Array { items, .. } => Expr::Array(items),
            Open::Object { entries, .. } => Expr::Object(entries),
            Open::Args {
                mut call,
                import,
                items,
                ..
            } => {
                call.args = Some(items);
                if import {
                    Expr::Import(call)
                } else {
                    Expr::Pipeline(call)
                }
            }
            Open::Props {
                mut err, entries, ..
            } => {
                err.props = Some(entries);
                Expr::Error(err)
            }
            Open::Remap {
                mut remap,
                instructions: false,
                items,
                ..
            } => {
                remap.captures = items;
                let left = self.list_len("remap")?;
                let items = self.vec(left);
                return self.open_list(Open::Remap {
                    remap,
                    instructions: true,
                    items,
                    left,
                });
            }
            Open::Remap {
                mut remap, items, ..
            } => {
                remap.instructions = items;
                Expr::Remap(remap)
            }
        }))
    }

    /// An array of `len` elements in value position: an escaped array or a special value.
    fn special(&mut self, len: usize) -> Result<Step, CodecError> {
        match self.rd.peek() {
            _ if len == 0 => Err(malformed("unknown special value: []")),
            Some(Marker::FixArray(_) | Marker::Array16 | Marker::Array32) => {
                if len != 1 {
                    return Err(malformed(
                        "unknown special value: an escaped array with extra elements",
                    ));
                }
                // The escape and the array it wraps count as one level.
                let left = self.list_len("escaped array")?;
                let items = self.vec(left);
                self.open_list(Open::Array { items, left })
            }
            Some(Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32) => {
                let name = self.str("")?;
                let tag = Tag::parse(name).ok_or_else(|| bad_special(name, "unknown tag"))?;
                if !tag.arity_ok(len) {
                    return Err(bad_special(name, &format!("{len} elements")));
                }
                self.tagged(tag, name, len)
            }
            _ => Err(malformed(
                "unknown special value: an array that is neither escaped nor tagged",
            )),
        }
    }

    /// The rest of a special value of `len` elements whose tag was just read.
    fn tagged(&mut self, tag: Tag, name: &str, len: usize) -> Result<Step, CodecError> {
        let expr = match tag {
            Tag::Undefined => Expr::Undefined,
            Tag::Inf => Expr::Float(f64::INFINITY),
            Tag::NegInf => Expr::Float(f64::NEG_INFINITY),
            Tag::NaN => Expr::Float(f64::NAN),
            Tag::BigInt => {
                let digits = self.str(name)?;
                check_bigint(digits, self.limits)?;
                Expr::BigInt(digits.to_owned())
            }
            Tag::Date => match self.rd.item()? {
                Item::Nil => Expr::Date(None),
                Item::Float(ms) => Expr::date(ms),
                Item::Int(ms) => Expr::date(ms as f64),
                other => return Err(bad_special(name, &format!("found {}", other.kind()))),
            },
            Tag::Bytes => {
                let data = self.bin(name)?;
                let kind = if len == 3 {
                    let kind = self.str(name)?;
                    let kind = TypedArrayKind::from_name(kind);
                    Some(kind.ok_or_else(|| bad_special(name, "unknown typed array"))?)
                } else {
                    None
                };
                check_bytes_len(data.len(), kind)?;
                let data = match self.frame {
                    Some(frame) if data.len() >= SHARE_MIN => frame.slice_ref(data),
                    _ => Bytes::copy_from_slice(data),
                };
                Expr::Bytes(data, kind)
            }
            Tag::Utf16 => {
                let data = self.bin(name)?;
                if data.len() % 2 != 0 {
                    return Err(bad_special(name, "odd byte length"));
                }
                let units = data
                    .chunks_exact(2)
                    .map(|p| u16::from_le_bytes([p[0], p[1]]));
                Expr::Utf16(units.collect())
            }
            Tag::Error => return self.error(name, len),
            Tag::Import => return self.call(name, len, true),
            Tag::Pipeline => return self.call(name, len, false),
            Tag::Remap => {
                let id = self.id(name)?;
                let path = self.path(name)?;
                let left = self.list_len(name)?;
                let items = self.vec(left);
                let remap = Box::new(RemapExpr {
                    id,
                    path,
                    captures: Vec::new(),
                    instructions: Vec::new(),
                });
                return self.open_list(Open::Remap {
                    remap,
                    instructions: false,
                    items,
                    left,
                });
            }
            Tag::Export => Expr::Export(self.id(name)?),
            Tag::Promise => Expr::Promise(self.id(name)?),
            Tag::Readable => Expr::Readable(self.id(name)?),
            Tag::Writable => Expr::Writable(self.id(name)?),
            Tag::Url => Expr::Url(self.str(name)?.to_owned()),
            Tag::Headers => Expr::Headers(self.pairs(name)?),
            Tag::Request => self.request()?,
            Tag::Response => self.response()?,
            Tag::Blob => self.blob()?,
        };
        Ok(Step::Done(expr))
    }

    /// `name, message, stack?, props?` of an error.
    fn error(&mut self, tag: &str, len: usize) -> Result<Step, CodecError> {
        let name = self.str(tag)?.to_owned();
        let message = self.str(tag)?.to_owned();
        let stack = if len >= 4 {
            match self.rd.item()? {
                Item::Nil => None,
                Item::Str(stack) => Some(stack.to_owned()),
                other => return Err(bad_special(tag, &format!("found {}", other.kind()))),
            }
        } else {
            None
        };
        let err = Box::new(ErrorExpr {
            name,
            message,
            stack,
            props: None,
        });
        if len < 5 {
            return Ok(Step::Done(Expr::Error(err)));
        }
        let left = match self.rd.item()? {
            Item::Map(left) => left,
            other => return Err(bad_special(tag, &format!("found {}", other.kind()))),
        };
        let entries = self.vec(left);
        self.open_map(Open::Props {
            err,
            entries,
            key: String::new(),
            left,
        })
    }

    /// `id, path?, args?` of an import or pipeline.
    fn call(&mut self, tag: &str, len: usize, import: bool) -> Result<Step, CodecError> {
        let id = self.id(tag)?;
        let path = if len >= 3 {
            Some(self.path(tag)?)
        } else {
            None
        };
        let call = Box::new(CallExpr {
            id,
            path,
            args: None,
        });
        if len == 4 {
            let left = self.list_len(tag)?;
            let items = self.vec(left);
            return self.open_list(Open::Args {
                call,
                import,
                items,
                left,
            });
        }
        Ok(Step::Done(if import {
            Expr::Import(call)
        } else {
            Expr::Pipeline(call)
        }))
    }

    /// An array of names and `u32` indices.
    fn path(&mut self, tag: &str) -> Result<Vec<PathKey>, CodecError> {
        let len = self.list_len(tag)?;
        let mut keys = self.vec(len);
        for _ in 0..len {
            keys.push(match self.rd.item()? {
                Item::Str(name) => PathKey::Name(name.to_owned()),
                Item::Int(index) => PathKey::Index(
                    u32::try_from(index)
                        .map_err(|_| bad_special(tag, "path index out of range"))?,
                ),
                other => return Err(bad_special(tag, &format!("path holds {}", other.kind()))),
            });
        }
        Ok(keys)
    }
}
