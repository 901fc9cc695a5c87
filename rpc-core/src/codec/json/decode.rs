//! Parses capnweb JSON straight into the protocol model, enforcing limits on the way.
//!
//! Values are read by a loop over an explicit stack of open containers rather than by recursion:
//! stack use stays constant however deep the input nests (unoptimised builds spend kilobytes per
//! recursive level), and `max_depth` is checked before each value is begun.

use std::mem;

use super::lex::{JsStr, Lexer};
use crate::Limits;
use crate::codec::CodecError;
use crate::codec::shared::{MAX_SAFE_INT, check_depth, truncate};
use crate::protocol::{CallExpr, ErrorExpr, Expr, Id, Message, RemapExpr};

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

pub(super) struct Parser<'a, 'l> {
    pub(super) lex: Lexer<'a>,
    pub(super) limits: &'l Limits,
}

/// A container whose contents are still being read. Each counts as one level of depth; `start`
/// is where the enclosing special value began, for error messages.
pub(super) enum Open {
    /// `[[…`: an escaped array.
    Array { items: Vec<Expr>, start: usize },
    /// `{…`: an object, and the key whose value is being read.
    Object {
        entries: Vec<(String, Expr)>,
        key: String,
    },
    /// The args of an `import` or `pipeline`.
    Args {
        call: Box<CallExpr>,
        import: bool,
        items: Vec<Expr>,
        start: usize,
    },
    /// The props of an `error`, and the key whose value is being read.
    Props {
        err: Box<ErrorExpr>,
        entries: Vec<(String, Expr)>,
        key: String,
        start: usize,
    },
    /// The captures (then, with `instructions` set, the instructions) of a `remap`.
    Remap {
        remap: Box<RemapExpr>,
        instructions: bool,
        items: Vec<Expr>,
        start: usize,
    },
}

/// The outcome of opening or closing a container.
pub(super) enum Step {
    /// A finished value.
    Done(Expr),
    /// A container that now waits for its first (or next) value.
    Open(Open),
}

impl Parser<'_, '_> {
    /// capnweb's wording for a message it cannot use, quoting the frame.
    fn bad_message(&self) -> CodecError {
        CodecError::Malformed(truncate(self.lex.text, QUOTE_BYTES))
    }

    /// capnweb's wording for a special value it cannot use, quoting the value from `start`.
    pub(super) fn bad_special(&self, start: usize) -> CodecError {
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
                let count = self.msg_id()?;
                let count = u32::try_from(count)
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| self.bad_message())?;
                Message::Release(id, count)
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
        self.value()
    }

    /// `,id` inside a message: an integral number that fits `i64`.
    fn msg_id(&mut self) -> Result<Id, CodecError> {
        if !self.lex.eat(b',') {
            return Err(self.bad_message());
        }
        match self.lex.peek_ws() {
            Some(b'-' | b'0'..=b'9') => {}
            _ => return Err(self.bad_message()),
        }
        let num = self.lex.number()?;
        num.as_id().ok_or_else(|| self.bad_message())
    }

    /// One whole value; the top-level expression of a message sits at depth 0.
    fn value(&mut self) -> Result<Expr, CodecError> {
        let mut open: Vec<Open> = Vec::new();
        loop {
            // Descend until a value is complete.
            check_depth(open.len(), self.limits)?;
            let step = match self.lex.peek_ws() {
                Some(b'{') => self.open_object(Open::Object {
                    entries: Vec::new(),
                    key: String::new(),
                })?,
                Some(b'[') => self.open_array()?,
                _ => Step::Done(self.scalar()?),
            };
            let mut done = match step {
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

    /// A string, number, `true`, `false` or `null`.
    fn scalar(&mut self) -> Result<Expr, CodecError> {
        match self.lex.peek() {
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

    /// Any JSON array in value position: `[[…]]` is an escaped array, `["tag",…]` a special value.
    fn open_array(&mut self) -> Result<Step, CodecError> {
        let start = self.lex.pos;
        self.lex.pos += 1;
        if self.lex.peek_ws() == Some(b'[') {
            // The escape and the array it wraps count as one level.
            return self.open_list(Open::Array {
                items: Vec::new(),
                start,
            });
        }
        self.special(start)
    }

    /// Consumes the `[` of a bare list that `container` collects.
    pub(super) fn open_list(&mut self, container: Open) -> Result<Step, CodecError> {
        self.lex.pos += 1;
        if self.lex.eat(b']') {
            self.finish(container)
        } else {
            Ok(Step::Open(container))
        }
    }

    /// Consumes the `{` (and first key) of an object that `container` collects.
    pub(super) fn open_object(&mut self, mut container: Open) -> Result<Step, CodecError> {
        self.lex.pos += 1;
        if self.lex.eat(b'}') {
            return self.finish(container);
        }
        let first = self.key()?;
        if let Open::Object { key, .. } | Open::Props { key, .. } = &mut container {
            *key = first;
        }
        Ok(Step::Open(container))
    }

    /// `"key":`.
    fn key(&mut self) -> Result<String, CodecError> {
        if self.lex.peek_ws() != Some(b'"') {
            return Err(self.lex.syntax("expected an object key"));
        }
        let key = self.lex.string()?.into_lossy();
        if !self.lex.eat(b':') {
            return Err(self.lex.syntax("expected ':'"));
        }
        Ok(key)
    }

    /// Adds a finished value to `container`; true when another value follows, false when the
    /// container's closing bracket was consumed.
    fn add(&mut self, container: &mut Open, value: Expr) -> Result<bool, CodecError> {
        match container {
            Open::Array { items, .. } | Open::Args { items, .. } | Open::Remap { items, .. } => {
                items.push(value);
                if self.lex.eat(b',') {
                    Ok(true)
                } else if self.lex.eat(b']') {
                    Ok(false)
                } else {
                    Err(self.lex.syntax("expected ',' or ']'"))
                }
            }
            Open::Object { entries, key } | Open::Props { entries, key, .. } => {
                entries.push((mem::take(key), value));
                if self.lex.eat(b',') {
                    *key = self.key()?;
                    Ok(true)
                } else if self.lex.eat(b'}') {
                    Ok(false)
                } else {
                    Err(self.lex.syntax("expected ',' or '}'"))
                }
            }
        }
    }

    /// Builds the value of a container whose brackets are closed, finishing the special value
    /// around it (or, after remap captures, opening the instructions).
    fn finish(&mut self, container: Open) -> Result<Step, CodecError> {
        let (expr, start) = match container {
            Open::Object { entries, .. } => return Ok(Step::Done(Expr::Object(entries))),
            Open::Array { items, start } => (Expr::Array(items), start),
            Open::Args {
                mut call,
                import,
                items,
                start,
            } => {
                call.args = Some(items);
                let expr = if import {
                    Expr::Import(call)
                } else {
                    Expr::Pipeline(call)
                };
                (expr, start)
            }
            Open::Props {
                mut err,
                entries,
                start,
                ..
            } => {
                err.props = Some(entries);
                (Expr::Error(err), start)
            }
            Open::Remap {
                mut remap,
                instructions: false,
                items,
                start,
            } => {
                remap.captures = items;
                self.comma(start)?;
                self.list_start(start)?;
                return self.open_list(Open::Remap {
                    remap,
                    instructions: true,
                    items: Vec::new(),
                    start,
                });
            }
            Open::Remap {
                mut remap,
                instructions: true,
                items,
                start,
            } => {
                remap.instructions = items;
                (Expr::Remap(remap), start)
            }
        };
        self.close(start)?;
        Ok(Step::Done(expr))
    }

    pub(super) fn comma(&mut self, start: usize) -> Result<(), CodecError> {
        if self.lex.eat(b',') {
            Ok(())
        } else {
            Err(self.bad_special(start))
        }
    }

    /// The `]` that ends a special value (or the outer bracket of an escaped array).
    pub(super) fn close(&mut self, start: usize) -> Result<(), CodecError> {
        if self.lex.eat(b']') {
            Ok(())
        } else {
            Err(self.bad_special(start))
        }
    }

    /// Checks that a bare list (args, captures, instructions) comes next.
    pub(super) fn list_start(&mut self, start: usize) -> Result<(), CodecError> {
        if self.lex.peek_ws() == Some(b'[') {
            Ok(())
        } else {
            Err(self.bad_special(start))
        }
    }
}
