//! `Serialize` views of the model: the same tagged-array shapes as the JSON codec, with native
//! integers, floats and binary.
//!
//! The wrappers borrow the model, so encoding allocates nothing but the output buffer (and one
//! scratch buffer per `Utf16` string).

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::protocol::{CallExpr, ErrorExpr, Expr, Message, PathKey, RemapExpr};

/// Serializes a message as `[tag, fields…]`.
pub(super) struct MsgSer<'a>(pub(super) &'a Message);

/// Serializes an expression.
struct ExprSer<'a>(&'a Expr);

/// Serializes a bare array of expressions.
struct ListSer<'a>(&'a [Expr]);

/// Serializes an object's entries as a map.
struct EntriesSer<'a>(&'a [(String, Expr)]);

/// Serializes a path as an array of strings and unsigned integers.
struct PathSer<'a>(&'a [PathKey]);

/// Serializes bytes as msgpack `bin`.
struct BinSer<'a>(&'a [u8]);

impl Serialize for BinSer<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

impl Serialize for MsgSer<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Message::Push(e) => tag_expr(s, "push", e),
            Message::Pull(id) => tag_id(s, "pull", *id),
            Message::Resolve(id, e) => tag_id_expr(s, "resolve", *id, e),
            Message::Reject(id, e) => tag_id_expr(s, "reject", *id, e),
            Message::Release(id, n) => {
                let mut seq = s.serialize_seq(Some(3))?;
                seq.serialize_element("release")?;
                seq.serialize_element(id)?;
                seq.serialize_element(n)?;
                seq.end()
            }
            Message::Abort(e) => tag_expr(s, "abort", e),
            Message::Stream(e) => tag_expr(s, "stream", e),
            Message::Pipe => tag_only(s, "pipe"),
        }
    }
}

fn tag_only<S: Serializer>(s: S, tag: &str) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(1))?;
    seq.serialize_element(tag)?;
    seq.end()
}

fn tag_expr<S: Serializer>(s: S, tag: &str, e: &Expr) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(2))?;
    seq.serialize_element(tag)?;
    seq.serialize_element(&ExprSer(e))?;
    seq.end()
}

fn tag_id<S: Serializer>(s: S, tag: &str, id: i64) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(2))?;
    seq.serialize_element(tag)?;
    seq.serialize_element(&id)?;
    seq.end()
}

fn tag_id_expr<S: Serializer>(s: S, tag: &str, id: i64, e: &Expr) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(3))?;
    seq.serialize_element(tag)?;
    seq.serialize_element(&id)?;
    seq.serialize_element(&ExprSer(e))?;
    seq.end()
}

fn tag_str<S: Serializer>(s: S, tag: &str, value: &str) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(2))?;
    seq.serialize_element(tag)?;
    seq.serialize_element(value)?;
    seq.end()
}

impl Serialize for ExprSer<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Expr::Undefined => tag_only(s, "undefined"),
            Expr::Null => s.serialize_unit(),
            Expr::Bool(b) => s.serialize_bool(*b),
            Expr::Int(i) => s.serialize_i64(*i),
            Expr::Float(f) => s.serialize_f64(*f),
            Expr::String(text) => s.serialize_str(text),
            Expr::Utf16(units) => {
                let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
                let mut seq = s.serialize_seq(Some(2))?;
                seq.serialize_element("utf16")?;
                seq.serialize_element(&BinSer(&bytes))?;
                seq.end()
            }
            Expr::Array(items) => {
                let mut seq = s.serialize_seq(Some(1))?;
                seq.serialize_element(&ListSer(items))?;
                seq.end()
            }
            Expr::Object(entries) => EntriesSer(entries).serialize(s),
            Expr::BigInt(digits) => tag_str(s, "bigint", digits),
            Expr::Date(ms) => {
                let mut seq = s.serialize_seq(Some(2))?;
                seq.serialize_element("date")?;
                seq.serialize_element(ms)?;
                seq.end()
            }
            Expr::Bytes(data, kind) => {
                let mut seq = s.serialize_seq(Some(if kind.is_some() { 3 } else { 2 }))?;
                seq.serialize_element("bytes")?;
                seq.serialize_element(&BinSer(data))?;
                if let Some(kind) = kind {
                    seq.serialize_element(kind.name())?;
                }
                seq.end()
            }
            Expr::Error(err) => error(s, err),
            Expr::Import(call) => self::call(s, "import", call),
            Expr::Pipeline(call) => self::call(s, "pipeline", call),
            Expr::Remap(remap) => self::remap(s, remap),
            Expr::Export(id) => tag_id(s, "export", *id),
            Expr::Promise(id) => tag_id(s, "promise", *id),
            Expr::Readable(id) => tag_id(s, "readable", *id),
            Expr::Writable(id) => tag_id(s, "writable", *id),
        }
    }
}

impl Serialize for ListSer<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(&ExprSer(item))?;
        }
        seq.end()
    }
}

impl Serialize for EntriesSer<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            map.serialize_entry(key, &ExprSer(value))?;
        }
        map.end()
    }
}

impl Serialize for PathSer<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for key in self.0 {
            match key {
                PathKey::Name(name) => seq.serialize_element(name)?,
                PathKey::Index(index) => seq.serialize_element(index)?,
            }
        }
        seq.end()
    }
}

fn error<S: Serializer>(s: S, err: &ErrorExpr) -> Result<S::Ok, S::Error> {
    let len = match (&err.stack, &err.props) {
        (_, Some(_)) => 5,
        (Some(_), None) => 4,
        (None, None) => 3,
    };
    let mut seq = s.serialize_seq(Some(len))?;
    seq.serialize_element("error")?;
    seq.serialize_element(&err.name)?;
    seq.serialize_element(&err.message)?;
    if len > 3 {
        seq.serialize_element(&err.stack)?;
    }
    if let Some(props) = &err.props {
        seq.serialize_element(&EntriesSer(props))?;
    }
    seq.end()
}

fn call<S: Serializer>(s: S, tag: &str, call: &CallExpr) -> Result<S::Ok, S::Error> {
    let len = if call.args.is_some() {
        4
    } else if call.path.is_some() {
        3
    } else {
        2
    };
    let mut seq = s.serialize_seq(Some(len))?;
    seq.serialize_element(tag)?;
    seq.serialize_element(&call.id)?;
    if len > 2 {
        seq.serialize_element(&PathSer(call.path.as_deref().unwrap_or(&[])))?;
    }
    if let Some(args) = &call.args {
        seq.serialize_element(&ListSer(args))?;
    }
    seq.end()
}

fn remap<S: Serializer>(s: S, remap: &RemapExpr) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(5))?;
    seq.serialize_element("remap")?;
    seq.serialize_element(&remap.id)?;
    seq.serialize_element(&PathSer(&remap.path))?;
    seq.serialize_element(&ListSer(&remap.captures))?;
    seq.serialize_element(&ListSer(&remap.instructions))?;
    seq.end()
}
