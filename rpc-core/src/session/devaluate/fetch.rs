//! Fetch API values → expressions, shaped exactly as capnweb 0.12's `Devaluator` shapes them.

use bytes::Bytes;
use futures::StreamExt;

use super::Devaluator;
use crate::{
    protocol::{Expr, RequestExpr, RequestInit, ResponseExpr},
    stream::{Chunks, ReadableStream},
    value::{Blob, Body, Request, Response, Value},
};

/// The most a blob puts in one pipe write, so that a large blob never needs one huge frame.
const BLOB_CHUNK_BYTES: usize = 64 * 1024;

impl Devaluator<'_> {
    /// Text and bytes go inline (capnweb accepts both); a stream goes over a pipe.
    fn body(&mut self, body: &Body) -> Expr {
        match body {
            Body::Text(s) => Expr::String(s.clone()),
            Body::Bytes(b) => Expr::Bytes(b.clone(), None),
            Body::Stream(s) => self.readable(s),
        }
    }

    pub(super) fn request(&mut self, req: &Request) -> Expr {
        let body = req.body.as_ref().map(|b| self.body(b));
        let pairs = req.headers.clone().into_pairs();
        Expr::Request(Box::new(RequestExpr {
            url: req.url.clone(),
            init: RequestInit {
                method: (req.method != "GET").then(|| req.method.clone()),
                headers: (!pairs.is_empty()).then_some(pairs),
                // capnweb sends `duplex: "half"` with every body; a stream body requires it.
                duplex: body.as_ref().map(|_| "half".to_owned()),
                body,
                options: req.options.clone(),
                keepalive: req.keepalive.then_some(true),
            },
        }))
    }

    pub(super) fn response(&mut self, resp: &Response) -> Expr {
        let body = match &resp.body {
            Some(b) => self.body(b),
            None => Expr::Null,
        };
        let pairs = resp.headers.clone().into_pairs();
        Expr::Response(Box::new(ResponseExpr {
            body,
            status: (resp.status != 200).then_some(resp.status),
            status_text: (!resp.status_text.is_empty()).then(|| resp.status_text.clone()),
            headers: (!pairs.is_empty()).then_some(pairs),
        }))
    }

    /// capnweb only ever sends a blob's content over a pipe (and throws on anything else), so
    /// Capstan does too: `["blob", type, ["readable", id]]`, then the bytes in pipe writes.
    pub(super) fn blob(&mut self, blob: &Blob) -> Expr {
        let data = blob.data.clone();
        let chunks: Vec<Bytes> = (0..data.len())
            .step_by(BLOB_CHUNK_BYTES)
            .map(|at| data.slice(at..data.len().min(at + BLOB_CHUNK_BYTES)))
            .collect();
        let chunks = futures::stream::iter(chunks).map(|b| Ok(Value::Bytes(b, None)));
        match self.readable(&ReadableStream::new(Chunks::values(chunks))) {
            Expr::Readable(pipe) => Expr::Blob {
                mime: blob.mime.clone(),
                pipe,
            },
            other => other,
        }
    }
}
