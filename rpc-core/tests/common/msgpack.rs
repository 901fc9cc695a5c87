//! Shorthands for driving the MessagePack codec, hand-building hostile bytes, and a sample of
//! every expression kind the model has.

use bytes::Bytes;
use rpc_core::codec::{Codec, CodecError, Json, MsgPack};
use rpc_core::protocol::{
    ErrorExpr, Expr, Message, PathKey, RemapExpr, RequestExpr, RequestInit, ResponseExpr,
    TypedArrayKind,
};
use rpc_core::{Frame, Limits};

use super::name;

pub fn encode(msg: &Message) -> Vec<u8> {
    match MsgPack.encode(msg).unwrap() {
        Frame::Binary(bytes) => bytes.to_vec(),
        other => panic!("msgpack must produce binary frames, got {other:?}"),
    }
}

pub fn decode_with(bytes: &[u8], limits: &Limits) -> Result<Message, CodecError> {
    MsgPack.decode(&Frame::Binary(Bytes::copy_from_slice(bytes)), limits)
}

pub fn decode(bytes: &[u8]) -> Result<Message, CodecError> {
    decode_with(bytes, &Limits::default())
}

/// Compares through the JSON text, so NaN equals NaN.
pub fn same(a: &Message, b: &Message) -> bool {
    Json::to_text(a) == Json::to_text(b)
}

pub fn assert_round_trip(msg: &Message) {
    let back = decode(&encode(msg)).unwrap_or_else(|e| panic!("{msg:?}: {e}"));
    assert!(same(&back, msg), "{msg:?} came back as {back:?}");
    // NaN aside, the model must come back exactly (JSON comparison would hide Int vs Float).
    if !Json::to_text(msg).contains("nan") {
        assert_eq!(&back, msg);
    }
}

/// Hand-built msgpack for hostile input.
pub struct Mp(pub Vec<u8>);

impl Mp {
    pub fn new() -> Self {
        Mp(Vec::new())
    }
    pub fn arr(mut self, n: u32) -> Self {
        rmp::encode::write_array_len(&mut self.0, n).unwrap();
        self
    }
    pub fn map(mut self, n: u32) -> Self {
        rmp::encode::write_map_len(&mut self.0, n).unwrap();
        self
    }
    pub fn s(mut self, s: &str) -> Self {
        rmp::encode::write_str(&mut self.0, s).unwrap();
        self
    }
    pub fn int(mut self, i: i64) -> Self {
        rmp::encode::write_sint(&mut self.0, i).unwrap();
        self
    }
    pub fn uint(mut self, u: u64) -> Self {
        rmp::encode::write_u64(&mut self.0, u).unwrap();
        self
    }
    pub fn bin(mut self, b: &[u8]) -> Self {
        rmp::encode::write_bin(&mut self.0, b).unwrap();
        self
    }
    pub fn raw(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    pub fn repeat(mut self, part: &Mp, n: usize) -> Self {
        for _ in 0..n {
            self.0.extend_from_slice(&part.0);
        }
        self
    }
    pub fn push() -> Self {
        Mp::new().arr(2).s("push")
    }
}

pub fn every_expr() -> Vec<Expr> {
    let mut all = vec![
        Expr::Undefined,
        Expr::Null,
        Expr::Bool(true),
        Expr::Bool(false),
        Expr::Int(0),
        Expr::Int(-1),
        Expr::Int(127),
        Expr::Int(-33),
        Expr::Int(1 << 40),
        Expr::Int(i64::MIN),
        Expr::Int(i64::MAX),
        Expr::Float(1.5),
        Expr::Float(-0.0),
        Expr::Float(f64::NAN),
        Expr::Float(f64::INFINITY),
        Expr::Float(f64::NEG_INFINITY),
        Expr::Float(f64::MIN_POSITIVE),
        Expr::String(String::new()),
        Expr::String("é😀\u{0}".into()),
        Expr::String("x".repeat(70_000)),
        Expr::Utf16(vec![0xd800, 0x41, 0xdfff]),
        Expr::Utf16(vec![]),
        Expr::Array(vec![]),
        Expr::Array(vec![Expr::Array(vec![Expr::Array(vec![])]), Expr::Int(1)]),
        Expr::Object(vec![]),
        Expr::Object(vec![
            ("z".into(), Expr::Undefined),
            ("__proto__".into(), Expr::Array(vec![Expr::Null])),
            ("z".into(), Expr::Object(vec![("".into(), Expr::Int(2))])),
        ]),
        Expr::BigInt("-123456789012345678901234567890".into()),
        Expr::Date(Some(1e12)),
        Expr::Date(Some(-5.0)),
        Expr::Date(None),
        Expr::Bytes(Bytes::new(), None),
        Expr::Bytes(Bytes::from(vec![7u8; 300]), None),
        Expr::Error(Box::new(ErrorExpr {
            name: "TypeError".into(),
            message: "m".into(),
            stack: Some("s".into()),
            props: Some(vec![("code".into(), Expr::Int(42))]),
        })),
        Expr::Error(Box::new(ErrorExpr {
            name: "E".into(),
            message: String::new(),
            stack: None,
            props: Some(vec![]),
        })),
        Expr::Error(Box::new(ErrorExpr {
            name: "E".into(),
            message: "m".into(),
            stack: Some("s".into()),
            props: None,
        })),
        Expr::error("RangeError", "boom"),
        Expr::import(0, None, None),
        Expr::import(-1, Some(vec![]), None),
        Expr::pipeline(1, Some(vec![name("a"), PathKey::Index(u32::MAX)]), None),
        Expr::pipeline(1, Some(vec![]), Some(vec![])),
        Expr::pipeline(
            0,
            Some(vec![name("f")]),
            Some(vec![Expr::Array(vec![Expr::Int(1)])]),
        ),
        Expr::Remap(Box::new(RemapExpr {
            id: 1,
            path: vec![name("items")],
            captures: vec![Expr::import(0, None, None), Expr::Export(-2)],
            instructions: vec![
                Expr::pipeline(
                    -1,
                    Some(vec![name("sq")]),
                    Some(vec![Expr::pipeline(0, None, None)]),
                ),
                Expr::pipeline(1, None, None),
            ],
        })),
        Expr::Remap(Box::new(RemapExpr {
            id: 2,
            path: vec![],
            captures: vec![],
            instructions: vec![],
        })),
        Expr::Export(-1),
        Expr::Promise(-2),
        Expr::Readable(3),
        Expr::Writable(-4),
        Expr::Url("https://example.com/".into()),
        Expr::Headers(vec![("a".into(), "b".into())]),
        Expr::Blob {
            mime: "text/plain".into(),
            pipe: 5,
        },
        Expr::Request(Box::new(RequestExpr {
            url: "https://example.com/".into(),
            init: RequestInit {
                method: Some("POST".into()),
                body: Some(Expr::Readable(6)),
                duplex: Some("half".into()),
                keepalive: Some(true),
                ..RequestInit::default()
            },
        })),
        Expr::Response(Box::new(ResponseExpr {
            body: Expr::Bytes(Bytes::from_static(b"x"), None),
            status: Some(404),
            status_text: Some("Not Found".into()),
            headers: Some(vec![]),
        })),
    ];
    for kind in TypedArrayKind::ALL {
        let data = Bytes::from((0..kind.element_size() as u8 * 3).collect::<Vec<u8>>());
        all.push(Expr::Bytes(data, Some(kind)));
    }
    all
}
