//! Writes the Fetch API values as capnweb 0.12's `Devaluator` builds them: `init` keys in its
//! order, header pairs bare, and only the body as a full expression.

use super::{expr, int, string};
use crate::protocol::{RequestExpr, ResponseExpr};

pub(super) fn url(w: &mut String, href: &str) {
    w.push_str("[\"url\",");
    string(w, href);
    w.push(']');
}

pub(super) fn headers(w: &mut String, pairs: &[(String, String)]) {
    w.push_str("[\"headers\",");
    pair_list(w, pairs);
    w.push(']');
}

fn pair_list(w: &mut String, pairs: &[(String, String)]) {
    w.push('[');
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            w.push(',');
        }
        w.push('[');
        string(w, name);
        w.push(',');
        string(w, value);
        w.push(']');
    }
    w.push(']');
}

/// Writes `,"key":` (or `"key":` for the first key of the object).
fn key(w: &mut String, first: &mut bool, key: &str) {
    if !std::mem::take(first) {
        w.push(',');
    }
    string(w, key);
    w.push(':');
}

pub(super) fn request(w: &mut String, req: &RequestExpr) {
    w.push_str("[\"request\",");
    string(w, &req.url);
    w.push_str(",{");
    let init = &req.init;
    let first = &mut true;
    if let Some(method) = &init.method {
        key(w, first, "method");
        string(w, method);
    }
    if let Some(pairs) = &init.headers {
        key(w, first, "headers");
        pair_list(w, pairs);
    }
    if let Some(body) = &init.body {
        key(w, first, "body");
        expr(w, body);
    }
    if let Some(duplex) = &init.duplex {
        key(w, first, "duplex");
        string(w, duplex);
    }
    for (name, value) in init.options.iter() {
        if let Some(value) = value {
            key(w, first, name);
            string(w, value);
        }
    }
    if let Some(keepalive) = init.keepalive {
        key(w, first, "keepalive");
        w.push_str(if keepalive { "true" } else { "false" });
    }
    w.push_str("}]");
}

pub(super) fn response(w: &mut String, resp: &ResponseExpr) {
    w.push_str("[\"response\",");
    expr(w, &resp.body);
    w.push_str(",{");
    let first = &mut true;
    if let Some(status) = resp.status {
        key(w, first, "status");
        int(w, i64::from(status));
    }
    if let Some(text) = &resp.status_text {
        key(w, first, "statusText");
        string(w, text);
    }
    if let Some(pairs) = &resp.headers {
        key(w, first, "headers");
        pair_list(w, pairs);
    }
    w.push_str("}]");
}

pub(super) fn blob(w: &mut String, mime: &str, pipe: i64) {
    w.push_str("[\"blob\",");
    string(w, mime);
    w.push_str(",[\"readable\",");
    int(w, pipe);
    w.push_str("]]");
}
