//! Writes messages exactly as capnweb's `JSON.stringify` would.

use base64::Engine as _;

mod fetch;

use crate::codec::shared::{BASE64_LENIENT, MAX_SAFE_INT};
use crate::protocol::{CallExpr, ErrorExpr, Expr, Message, PathKey, RemapExpr};

/// Encodes one message into a fresh string.
pub(super) fn message(msg: &Message) -> String {
    let mut out = String::with_capacity(64);
    let w = &mut out;
    match msg {
        // capnweb has no deadlines: a deadline is dropped rather than break the session.
        Message::Push(e) | Message::PushDeadline(e, _) => tagged_expr(w, "[\"push\",", e),
        Message::Pull(id) => {
            w.push_str("[\"pull\",");
            int(w, *id);
        }
        Message::Resolve(id, e) => {
            w.push_str("[\"resolve\",");
            int(w, *id);
            w.push(',');
            expr(w, e);
        }
        Message::Reject(id, e) => {
            w.push_str("[\"reject\",");
            int(w, *id);
            w.push(',');
            expr(w, e);
        }
        Message::Release(id, n) => {
            w.push_str("[\"release\",");
            int(w, *id);
            w.push(',');
            int(w, i64::from(*n));
        }
        Message::Abort(e) => tagged_expr(w, "[\"abort\",", e),
        Message::Stream(e) => tagged_expr(w, "[\"stream\",", e),
        Message::Pipe => w.push_str("[\"pipe\""),
    }
    out.push(']');
    out
}

fn tagged_expr(w: &mut String, head: &str, e: &Expr) {
    w.push_str(head);
    expr(w, e);
}

/// Writes one expression; `w` is the output buffer throughout this module.
fn expr(w: &mut String, e: &Expr) {
    match e {
        Expr::Undefined => w.push_str("[\"undefined\"]"),
        Expr::Null => w.push_str("null"),
        Expr::Bool(true) => w.push_str("true"),
        Expr::Bool(false) => w.push_str("false"),
        Expr::Int(i) if (-MAX_SAFE_INT..=MAX_SAFE_INT).contains(i) => int(w, *i),
        Expr::Int(i) => {
            w.push_str("[\"bigint\",\"");
            int(w, *i);
            w.push_str("\"]");
        }
        Expr::Float(f) if f.is_nan() => w.push_str("[\"nan\"]"),
        Expr::Float(f) if f.is_infinite() => {
            w.push_str(if *f > 0.0 { "[\"inf\"]" } else { "[\"-inf\"]" })
        }
        Expr::Float(f) => finite(w, *f),
        Expr::String(s) => string(w, s),
        Expr::Utf16(units) => utf16(w, units),
        Expr::Array(items) => {
            w.push('[');
            list(w, items);
            w.push(']');
        }
        Expr::Object(entries) => object(w, entries),
        Expr::BigInt(digits) => {
            w.push_str("[\"bigint\",");
            string(w, digits);
            w.push(']');
        }
        Expr::Date(ms) => {
            w.push_str("[\"date\",");
            match ms {
                // JSON.stringify writes NaN (an invalid Date's time) and infinities as null.
                Some(ms) if ms.is_finite() => finite(w, *ms),
                _ => w.push_str("null"),
            }
            w.push(']');
        }
        Expr::Bytes(data, kind) => {
            w.push_str("[\"bytes\",\"");
            BASE64_LENIENT.encode_string(data, w);
            w.push('"');
            if let Some(kind) = kind {
                w.push_str(",\"");
                w.push_str(kind.name());
                w.push('"');
            }
            w.push(']');
        }
        Expr::Error(err) => error(w, err),
        Expr::Import(call) => self::call(w, "[\"import\",", call),
        Expr::Pipeline(call) => self::call(w, "[\"pipeline\",", call),
        Expr::Remap(remap) => self::remap(w, remap),
        Expr::Export(id) => id_tag(w, "[\"export\",", *id),
        Expr::Promise(id) => id_tag(w, "[\"promise\",", *id),
        Expr::Readable(id) => id_tag(w, "[\"readable\",", *id),
        Expr::Writable(id) => id_tag(w, "[\"writable\",", *id),
        Expr::Url(href) => fetch::url(w, href),
        Expr::Headers(pairs) => fetch::headers(w, pairs),
        Expr::Request(req) => fetch::request(w, req),
        Expr::Response(resp) => fetch::response(w, resp),
        Expr::Blob { mime, pipe } => fetch::blob(w, mime, *pipe),
    }
}

fn id_tag(w: &mut String, head: &str, id: i64) {
    w.push_str(head);
    int(w, id);
    w.push(']');
}

/// A bare JSON array of expressions: call args, captures, instructions, or the inside of `[[…]]`.
fn list(w: &mut String, items: &[Expr]) {
    w.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            w.push(',');
        }
        expr(w, item);
    }
    w.push(']');
}

fn object(w: &mut String, entries: &[(String, Expr)]) {
    w.push('{');
    for (i, (key, value)) in entries.iter().enumerate() {
        if i > 0 {
            w.push(',');
        }
        string(w, key);
        w.push(':');
        expr(w, value);
    }
    w.push('}');
}

fn error(w: &mut String, err: &ErrorExpr) {
    w.push_str("[\"error\",");
    string(w, &err.name);
    w.push(',');
    string(w, &err.message);
    match (&err.stack, &err.props) {
        (stack, Some(props)) => {
            w.push(',');
            match stack {
                Some(stack) => string(w, stack),
                None => w.push_str("null"),
            }
            w.push(',');
            object(w, props);
        }
        (Some(stack), None) => {
            w.push(',');
            string(w, stack);
        }
        (None, None) => {}
    }
    w.push(']');
}

fn call(w: &mut String, head: &str, call: &CallExpr) {
    w.push_str(head);
    int(w, call.id);
    if call.path.is_some() || call.args.is_some() {
        w.push(',');
        path(w, call.path.as_deref().unwrap_or(&[]));
    }
    if let Some(args) = &call.args {
        w.push(',');
        list(w, args);
    }
    w.push(']');
}

fn remap(w: &mut String, remap: &RemapExpr) {
    w.push_str("[\"remap\",");
    int(w, remap.id);
    w.push(',');
    path(w, &remap.path);
    w.push(',');
    list(w, &remap.captures);
    w.push(',');
    list(w, &remap.instructions);
    w.push(']');
}

fn path(w: &mut String, keys: &[PathKey]) {
    w.push('[');
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            w.push(',');
        }
        match key {
            PathKey::Name(name) => string(w, name),
            PathKey::Index(index) => int(w, i64::from(*index)),
        }
    }
    w.push(']');
}

/// Decimal digits without going through `fmt`, which is measurably slower on this hot path.
fn int(w: &mut String, value: i64) {
    let mut buf = [0u8; 20];
    let mut pos = buf.len();
    let mut rest = value.unsigned_abs();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        w.push('-');
    }
    for &digit in &buf[pos..] {
        w.push(char::from(digit));
    }
}

/// A finite number as JavaScript prints it (`1e+300`, `5e-324`, `1152921504606846976`).
fn finite(w: &mut String, f: f64) {
    if f == 0.0 {
        // Covers -0, whose sign JSON.stringify drops.
        w.push('0');
    } else {
        w.push_str(ryu_js::Buffer::new().format_finite(f));
    }
}

/// The escape JSON.stringify uses for a byte, if any (`None` leaves it raw).
fn short_escape(b: u8) -> Option<&'static str> {
    Some(match b {
        b'"' => "\\\"",
        b'\\' => "\\\\",
        0x08 => "\\b",
        0x0c => "\\f",
        b'\n' => "\\n",
        b'\r' => "\\r",
        b'\t' => "\\t",
        _ => return None,
    })
}

fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// A quoted string; only `"`, `\` and control characters are escaped, as JSON.stringify does.
fn string(w: &mut String, s: &str) {
    w.push('"');
    escaped(w, s);
    w.push('"');
}

fn escaped(w: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !needs_escape(b) {
            continue;
        }
        // Escapable bytes are ASCII, so both slice ends fall on character boundaries.
        w.push_str(&s[run..i]);
        match short_escape(b) {
            Some(esc) => w.push_str(esc),
            None => unit_escape(w, u16::from(b)),
        }
        run = i + 1;
    }
    w.push_str(&s[run..]);
}

/// `\uXXXX` with lowercase hex, as JSON.stringify writes it.
fn unit_escape(w: &mut String, unit: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    w.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        w.push(char::from(HEX[usize::from((unit >> shift) & 0xf)]));
    }
}

/// A JavaScript string with lone surrogates: pairs become UTF-8, lone halves `\udxxx`.
fn utf16(w: &mut String, units: &[u16]) {
    w.push('"');
    for decoded in char::decode_utf16(units.iter().copied()) {
        match decoded {
            Ok(c) => {
                let mut buf = [0u8; 4];
                escaped(w, c.encode_utf8(&mut buf));
            }
            Err(lone) => unit_escape(w, lone.unpaired_surrogate()),
        }
    }
    w.push('"');
}
