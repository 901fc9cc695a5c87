//! The Fetch API values. Like the JSON codec, they are read in one go: a body is `nil`, a
//! string, bytes or `["readable", id]`, never a container, so nothing here can nest.

use bytes::Bytes;

use super::super::read::Item;
use super::{Decoder, bad_special};
use crate::codec::CodecError;
use crate::codec::shared::check_bytes_len;
use crate::protocol::{Expr, RequestExpr, RequestInit, ResponseExpr, TypedArrayKind, is_body_expr};

impl Decoder<'_, '_> {
    /// `[[name, value], …]`.
    pub(super) fn pairs(&mut self, tag: &str) -> Result<Vec<(String, String)>, CodecError> {
        let bad = || bad_special(tag, "headers must be an array of [name, value] strings");
        let Item::Array(n) = self.rd.item()? else {
            return Err(bad());
        };
        let mut pairs = self.vec(n);
        for _ in 0..n {
            if !matches!(self.rd.item()?, Item::Array(2)) {
                return Err(bad());
            }
            let name = self.str(tag)?.to_owned();
            let value = self.str(tag)?.to_owned();
            pairs.push((name, value));
        }
        Ok(pairs)
    }

    /// A body: `nil`, a string, `["bytes", bin]`, `["utf16", bin]` or `["readable", id]`.
    fn body(&mut self, tag: &str) -> Result<Expr, CodecError> {
        let bad = || bad_special(tag, "a body must be null, a string, bytes or a stream");
        let body = match self.rd.item()? {
            Item::Nil => Expr::Null,
            Item::Str(s) => Expr::String(s.to_owned()),
            Item::Array(n @ 2..=3) => match (self.str(tag)?, n) {
                ("readable", 2) => Expr::Readable(self.id(tag)?),
                ("bytes", _) => {
                    let data = self.bin(tag)?;
                    let kind = if n == 3 {
                        Some(TypedArrayKind::from_name(self.str(tag)?).ok_or_else(bad)?)
                    } else {
                        None
                    };
                    check_bytes_len(data.len(), kind)?;
                    Expr::Bytes(Bytes::copy_from_slice(data), kind)
                }
                ("utf16", 2) => {
                    let data = self.bin(tag)?;
                    if data.len() % 2 != 0 {
                        return Err(bad());
                    }
                    let units = data
                        .chunks_exact(2)
                        .map(|p| u16::from_le_bytes([p[0], p[1]]));
                    Expr::Utf16(units.collect())
                }
                _ => return Err(bad()),
            },
            _ => return Err(bad()),
        };
        if is_body_expr(&body) {
            Ok(body)
        } else {
            Err(bad())
        }
    }

    /// The number of entries of an `init` map.
    fn init_len(&mut self, tag: &str) -> Result<usize, CodecError> {
        match self.rd.item()? {
            Item::Map(n) => Ok(n),
            other => Err(bad_special(
                tag,
                &format!("init must be a map, found {}", other.kind()),
            )),
        }
    }

    /// `url, {init}` of a request.
    pub(super) fn request(&mut self) -> Result<Expr, CodecError> {
        const TAG: &str = "request";
        let url = self.str(TAG)?.to_owned();
        let mut init = RequestInit::default();
        for _ in 0..self.init_len(TAG)? {
            let key = self.str(TAG)?;
            match key {
                "headers" => init.headers = Some(self.pairs(TAG)?),
                "body" => init.body = Some(self.body(TAG)?),
                "keepalive" => match self.rd.item()? {
                    Item::Bool(b) => init.keepalive = Some(b),
                    _ => return Err(bad_special(TAG, "keepalive must be a boolean")),
                },
                _ => {
                    if init.option_mut(key).is_none() {
                        let what = format!("request init key {key:?} is not supported");
                        return Err(bad_special(TAG, &what));
                    }
                    let value = match self.rd.item()? {
                        Item::Str(s) => s.to_owned(),
                        _ => return Err(bad_special(TAG, &format!("{key:?} must be a string"))),
                    };
                    *init.option_mut(key).expect("checked above") = Some(value);
                }
            }
        }
        Ok(Expr::Request(Box::new(RequestExpr { url, init })))
    }

    /// `body, {init}` of a response.
    pub(super) fn response(&mut self) -> Result<Expr, CodecError> {
        const TAG: &str = "response";
        let mut resp = ResponseExpr {
            body: self.body(TAG)?,
            status: None,
            status_text: None,
            headers: None,
        };
        for _ in 0..self.init_len(TAG)? {
            match self.str(TAG)? {
                "status" => match self.rd.item()? {
                    Item::Int(n) => {
                        let n = u16::try_from(n).ok();
                        resp.status = Some(n.ok_or_else(|| bad_special(TAG, "bad status"))?);
                    }
                    _ => return Err(bad_special(TAG, "status must be an integer")),
                },
                "statusText" => resp.status_text = Some(self.str(TAG)?.to_owned()),
                "headers" => resp.headers = Some(self.pairs(TAG)?),
                key => {
                    let what = format!("response init key {key:?} is not supported");
                    return Err(bad_special(TAG, &what));
                }
            }
        }
        Ok(Expr::Response(Box::new(resp)))
    }

    /// `type, ["readable", id]` of a blob.
    pub(super) fn blob(&mut self) -> Result<Expr, CodecError> {
        const TAG: &str = "blob";
        let mime = self.str(TAG)?.to_owned();
        let bad = || bad_special(TAG, "blob content must be [\"readable\", id]");
        if !matches!(self.rd.item()?, Item::Array(2)) || self.str(TAG).ok() != Some("readable") {
            return Err(bad());
        }
        let pipe = self.id(TAG)?;
        Ok(Expr::Blob { mime, pipe })
    }
}
