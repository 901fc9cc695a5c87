//! The Fetch API values, in the JSON codec's shapes: `init` is a map with capnweb's keys in
//! capnweb's order, header pairs are bare two-element arrays, and only the body is an expression.

use rmp::encode::{write_bool, write_map_len, write_uint};

use super::{Out, TooLong, arr, expr, len, str, tag};
use crate::protocol::{RequestExpr, ResponseExpr};

pub(super) fn pairs(w: &mut Out, pairs: &[(String, String)]) -> Result<(), TooLong> {
    arr(w, pairs.len())?;
    for (name, value) in pairs {
        arr(w, 2)?;
        str(w, name)?;
        str(w, value)?;
    }
    Ok(())
}

pub(super) fn request(w: &mut Out, req: &RequestExpr) -> Result<(), TooLong> {
    let init = &req.init;
    let options = init.options.iter().filter(|(_, v)| v.is_some()).count();
    let count = [
        init.method.is_some(),
        init.headers.is_some(),
        init.body.is_some(),
        init.duplex.is_some(),
        init.keepalive.is_some(),
    ]
    .into_iter()
    .filter(|set| *set)
    .count()
        + options;
    tag(w, 3, "request")?;
    str(w, &req.url)?;
    let _ = write_map_len(w, len(count)?);
    if let Some(method) = &init.method {
        str(w, "method")?;
        str(w, method)?;
    }
    if let Some(headers) = &init.headers {
        str(w, "headers")?;
        pairs(w, headers)?;
    }
    if let Some(body) = &init.body {
        str(w, "body")?;
        expr(w, body)?;
    }
    if let Some(duplex) = &init.duplex {
        str(w, "duplex")?;
        str(w, duplex)?;
    }
    for (name, value) in init.options.iter() {
        if let Some(value) = value {
            str(w, name)?;
            str(w, value)?;
        }
    }
    if let Some(keepalive) = init.keepalive {
        str(w, "keepalive")?;
        let _ = write_bool(w, keepalive);
    }
    Ok(())
}

pub(super) fn response(w: &mut Out, resp: &ResponseExpr) -> Result<(), TooLong> {
    tag(w, 3, "response")?;
    expr(w, &resp.body)?;
    let count = [
        resp.status.is_some(),
        resp.status_text.is_some(),
        resp.headers.is_some(),
    ]
    .into_iter()
    .filter(|set| *set)
    .count();
    let _ = write_map_len(w, len(count)?);
    if let Some(status) = resp.status {
        str(w, "status")?;
        let _ = write_uint(w, u64::from(status));
    }
    if let Some(text) = &resp.status_text {
        str(w, "statusText")?;
        str(w, text)?;
    }
    if let Some(headers) = &resp.headers {
        str(w, "headers")?;
        pairs(w, headers)?;
    }
    Ok(())
}
