//! The MessagePack codec: round trips of the whole model, and hostile input.

mod common;

use bytes::Bytes;
use rpc_core::codec::{Codec, CodecError, Json, MsgPack};
use rpc_core::protocol::{
    CallExpr, ErrorExpr, Expr, Message, PathKey, RemapExpr, RequestExpr, RequestInit, ResponseExpr,
    TypedArrayKind,
};
use rpc_core::{Frame, Limits};

fn encode(msg: &Message) -> Vec<u8> {
    match MsgPack.encode(msg).unwrap() {
        Frame::Binary(bytes) => bytes.to_vec(),
        other => panic!("msgpack must produce binary frames, got {other:?}"),
    }
}

fn decode_with(bytes: &[u8], limits: &Limits) -> Result<Message, CodecError> {
    MsgPack.decode(&Frame::Binary(Bytes::copy_from_slice(bytes)), limits)
}

fn decode(bytes: &[u8]) -> Result<Message, CodecError> {
    decode_with(bytes, &Limits::default())
}

/// Compares through the JSON text, so NaN equals NaN.
fn same(a: &Message, b: &Message) -> bool {
    Json::to_text(a) == Json::to_text(b)
}

fn assert_round_trip(msg: &Message) {
    let back = decode(&encode(msg)).unwrap_or_else(|e| panic!("{msg:?}: {e}"));
    assert!(same(&back, msg), "{msg:?} came back as {back:?}");
    // NaN aside, the model must come back exactly (JSON comparison would hide Int vs Float).
    if !Json::to_text(msg).contains("nan") {
        assert_eq!(&back, msg);
    }
}

fn assert_limit(result: Result<Message, CodecError>, name: &str) {
    match result {
        Err(err @ CodecError::Limit { limit, .. }) => {
            assert_eq!(limit, name);
            assert!(err.to_string().contains(name), "{err}");
        }
        other => panic!("expected the {name} limit, got {other:?}"),
    }
}

fn assert_malformed(bytes: &[u8]) {
    match decode(bytes) {
        Err(CodecError::Malformed(_)) => {}
        other => panic!("{bytes:02x?} should be malformed, got {other:?}"),
    }
}

/// Hand-built msgpack for hostile input.
struct Mp(Vec<u8>);

impl Mp {
    fn new() -> Self {
        Mp(Vec::new())
    }
    fn arr(mut self, n: u32) -> Self {
        rmp::encode::write_array_len(&mut self.0, n).unwrap();
        self
    }
    fn map(mut self, n: u32) -> Self {
        rmp::encode::write_map_len(&mut self.0, n).unwrap();
        self
    }
    fn s(mut self, s: &str) -> Self {
        rmp::encode::write_str(&mut self.0, s).unwrap();
        self
    }
    fn int(mut self, i: i64) -> Self {
        rmp::encode::write_sint(&mut self.0, i).unwrap();
        self
    }
    fn uint(mut self, u: u64) -> Self {
        rmp::encode::write_u64(&mut self.0, u).unwrap();
        self
    }
    fn bin(mut self, b: &[u8]) -> Self {
        rmp::encode::write_bin(&mut self.0, b).unwrap();
        self
    }
    fn raw(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    fn repeat(mut self, part: &Mp, n: usize) -> Self {
        for _ in 0..n {
            self.0.extend_from_slice(&part.0);
        }
        self
    }
    fn push() -> Self {
        Mp::new().arr(2).s("push")
    }
}

fn name(s: &str) -> PathKey {
    PathKey::from(s)
}

fn every_expr() -> Vec<Expr> {
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

#[test]
fn every_message_kind_round_trips() {
    for msg in [
        Message::Push(Expr::pipeline(
            0,
            Some(vec![name("square")]),
            Some(vec![Expr::Int(7)]),
        )),
        Message::Pull(1),
        Message::Pull(i64::MIN),
        Message::Resolve(-1, Expr::String("x".into())),
        Message::Reject(2, Expr::error("Error", "no")),
        Message::Release(-1, 1),
        Message::Release(i64::MAX, u32::MAX),
        Message::Abort(Expr::error("Error", "bye")),
        Message::Stream(Expr::pipeline(
            1,
            Some(vec![name("write")]),
            Some(vec![Expr::Int(0)]),
        )),
        Message::Pipe,
    ] {
        assert_round_trip(&msg);
    }
}

#[test]
fn every_expr_variant_round_trips() {
    let all = every_expr();
    for e in &all {
        assert_round_trip(&Message::Resolve(1, e.clone()));
    }
    assert_round_trip(&Message::Push(Expr::Array(all.clone())));
    assert_round_trip(&Message::Push(Expr::Object(
        all.into_iter()
            .enumerate()
            .map(|(i, e)| (i.to_string(), e))
            .collect(),
    )));
}

#[test]
fn every_recorded_frame_and_vector_survives_json_to_msgpack() {
    let (_, text) = &common::sample_files()[0];
    let (frames, _) = common::message_frames(text);
    let vectors = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/capnweb-serialize-vectors.txt"
    ))
    .unwrap();
    let texts = frames
        .iter()
        .map(|s| s.frame.clone())
        .chain(vectors.lines().map(|v| format!("[\"resolve\",1,{v}]")));
    let mut count = 0;
    for text in texts {
        let Ok(msg) = Json::from_text(&text, &Limits::default()) else {
            continue; // the recorded bogus frame
        };
        let back = decode(&encode(&msg)).unwrap();
        assert_eq!(Json::to_text(&back), text);
        count += 1;
    }
    assert!(count > 550, "{count}");
}

/// Dates decode as `new Date(ms)` would read them, the same as in the JSON codec.
#[test]
fn dates_are_time_clipped() {
    let date = |ms: f64| {
        let bytes = encode(&Message::Resolve(1, Expr::Date(Some(ms))));
        match decode(&bytes).unwrap() {
            Message::Resolve(1, expr) => expr,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(date(-1.5), Expr::Date(Some(-1.0)));
    assert_eq!(date(f64::INFINITY), Expr::Date(None));
    assert_eq!(date(-8.64e15), Expr::Date(Some(-8.64e15)));
    assert_eq!(date(8.64e15 + 1.0), Expr::Date(None));
}

#[test]
fn scalars_are_native_and_compact() {
    assert_eq!(encode(&Message::Pull(1)), b"\x92\xa4pull\x01");
    assert_eq!(encode(&Message::Pipe), b"\x91\xa4pipe");
    let big = encode(&Message::Push(Expr::Int(i64::MIN)));
    assert_eq!(&big[6..], b"\xd3\x80\0\0\0\0\0\0\0");
    let nan = encode(&Message::Push(Expr::Float(f64::NAN)));
    assert_eq!(nan[6], 0xcb, "raw f64");
    let bytes = encode(&Message::Push(Expr::Bytes(Bytes::from_static(b"hi"), None)));
    assert_eq!(&bytes[6..], b"\x92\xa5bytes\xc4\x02hi");
    let arr = encode(&Message::Push(Expr::Array(vec![
        Expr::Int(1),
        Expr::Int(2),
    ])));
    assert_eq!(&arr[6..], b"\x91\x92\x01\x02");
}

#[test]
fn json_style_tags_and_large_unsigned_decode() {
    for (tag, check) in [
        ("nan", f64::is_nan as fn(f64) -> bool),
        ("inf", |f: f64| f == f64::INFINITY),
        ("-inf", |f: f64| f == f64::NEG_INFINITY),
    ] {
        match decode(&Mp::push().arr(1).s(tag).0) {
            Ok(Message::Push(Expr::Float(f))) => assert!(check(f), "{tag}"),
            other => panic!("{tag}: {other:?}"),
        }
    }
    let above = Mp::push().uint(u64::MAX).0;
    assert_eq!(
        decode(&above).unwrap(),
        Message::Push(Expr::BigInt(u64::MAX.to_string()))
    );
    let at_max = Mp::push().uint(i64::MAX as u64).0;
    assert_eq!(decode(&at_max).unwrap(), Message::Push(Expr::Int(i64::MAX)));
    let digits = Limits {
        max_bigint_digits: 19,
        ..Limits::default()
    };
    assert_limit(decode_with(&above, &digits), "max_bigint_digits");
    let f32 = Mp::push().raw(&[0xca]).raw(&1.5f32.to_be_bytes()).0;
    assert_eq!(decode(&f32).unwrap(), Message::Push(Expr::Float(1.5)));
}

#[test]
fn text_frames_are_rejected() {
    let frame = Frame::Text("[\"pull\",1]".into());
    assert!(matches!(
        MsgPack.decode(&frame, &Limits::default()),
        Err(CodecError::Malformed(_))
    ));
}

#[test]
fn malformed_messages_and_values() {
    let cases: Vec<Mp> = vec![
        Mp::new(),
        Mp::new().raw(&[0xc1]),
        Mp::new().arr(0),
        Mp::new().int(1),
        Mp::new().arr(1).int(1),
        Mp::new().arr(2).s("bogus").int(1),
        Mp::new().arr(1).s("push"),
        // A third element is a deadline (a Capstan extension): it must be a whole number.
        Mp::new().arr(3).s("push").int(1).s("soon"),
        Mp::new().arr(3).s("push").int(1).int(-5),
        Mp::new().arr(4).s("push").int(1).int(2).int(3),
        Mp::new().arr(2).s("pull").s("x"),
        Mp::new().arr(2).s("pull").uint(u64::MAX),
        Mp::new()
            .arr(2)
            .s("pull")
            .raw(&[0xcb])
            .raw(&1.0f64.to_be_bytes()),
        Mp::new().arr(3).s("release").int(1).int(0),
        Mp::new().arr(3).s("release").int(1).int(-1),
        Mp::new().arr(3).s("release").int(1).int(1 << 40),
        Mp::new().arr(2).s("pipe").int(1),
        Mp::new().arr(2).s("pull").int(1).int(2),
        Mp::push().arr(0),
        Mp::push().arr(1).s("foo"),
        Mp::push().arr(1).int(1),
        Mp::push().arr(2).arr(0).int(1),
        Mp::push().arr(2).s("undefined").int(1),
        Mp::push().arr(2).s("bigint").s("12a"),
        Mp::push().arr(2).s("bigint").int(12),
        Mp::push().arr(2).s("date").s("x"),
        Mp::push().arr(2).s("bytes").s("aGk"),
        Mp::push().arr(3).s("bytes").bin(b"abc").s("Int16Array"),
        Mp::push().arr(3).s("bytes").bin(b"ab").s("Nope"),
        Mp::push().arr(2).s("utf16").bin(b"abc"),
        Mp::push().arr(2).s("error").s("E"),
        Mp::push().arr(4).s("error").s("E").s("m").int(1),
        Mp::push()
            .arr(5)
            .s("error")
            .s("E")
            .s("m")
            .raw(&[0xc0])
            .arr(0),
        Mp::push().arr(2).s("export").s("x"),
        Mp::push().arr(3).s("import").int(0).s("x"),
        Mp::push().arr(3).s("import").int(0).arr(1).int(-1),
        Mp::push().arr(4).s("pipeline").int(0).arr(0).map(0),
        Mp::push().arr(4).s("remap").int(0).arr(0).arr(0),
        Mp::push().bin(b"raw"),
        Mp::push().raw(&[0xd4, 0x01, 0x00]),
        Mp::push().map(1).int(1).int(2),
        Mp::push().raw(&[0xa2, 0xff, 0xfe]),
        // Hostile length claims with nothing behind them.
        Mp::push().raw(&[0xdd, 0xff, 0xff, 0xff, 0xff]),
        Mp::push().raw(&[0xdf, 0xff, 0xff, 0xff, 0xff]),
        Mp::push().raw(&[0xdb, 0xff, 0xff, 0xff, 0xff]),
        Mp::push().arr(1).raw(&[0xdd, 0xff, 0xff, 0xff, 0xff]),
        // Trailing bytes.
        Mp::new().arr(2).s("pull").int(1).int(1),
    ];
    for case in cases {
        assert_malformed(&case.0);
    }
}

#[test]
fn depth_limit_counts_like_the_json_codec() {
    let escape = Mp::new().arr(1).arr(1);
    let nested = |n: usize| Mp::push().repeat(&escape, n).int(1).0;
    assert!(decode(&nested(255)).is_ok());
    assert_limit(decode(&nested(256)), "max_depth");
    let small = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    assert!(decode_with(&nested(2), &small).is_ok());
    assert_limit(decode_with(&nested(3), &small), "max_depth");
    let args = Mp::new().arr(4).s("pipeline").int(0).arr(0).arr(1);
    assert!(decode_with(&Mp::push().repeat(&args, 2).int(1).0, &small).is_ok());
    assert_limit(
        decode_with(&Mp::push().repeat(&args, 3).int(1).0, &small),
        "max_depth",
    );
    let props = Mp::new()
        .arr(5)
        .s("error")
        .s("E")
        .s("m")
        .raw(&[0xc0])
        .map(1)
        .s("p");
    assert!(decode_with(&Mp::push().repeat(&props, 2).int(1).0, &small).is_ok());
    assert_limit(
        decode_with(&Mp::push().repeat(&props, 3).int(1).0, &small),
        "max_depth",
    );
}

#[test]
fn a_million_levels_do_not_overflow_a_small_stack() {
    let patterns = [
        Mp::new().arr(1).arr(1),
        Mp::new().map(1).s("a"),
        Mp::new().arr(4).s("pipeline").int(0).arr(0).arr(1),
        Mp::new()
            .arr(5)
            .s("error")
            .s("E")
            .s("m")
            .raw(&[0xc0])
            .map(1)
            .s("p"),
        Mp::new().arr(5).s("remap").int(1).arr(0).arr(1),
    ];
    let handle = std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(move || {
            let mut results = Vec::new();
            for pattern in &patterns {
                let hostile = Mp::push().repeat(pattern, 1_000_000).0;
                results.push(decode(&hostile));
                let huge_limit = Limits {
                    max_depth: usize::MAX,
                    ..Limits::default()
                };
                // Without a depth limit the input simply runs out (the open containers live on
                // the heap, not the stack).
                let shorter = Mp::push().repeat(pattern, 100_000).0;
                results.push(decode_with(&shorter, &huge_limit));
            }
            results
        })
        .unwrap();
    for (i, result) in handle.join().unwrap().into_iter().enumerate() {
        if i % 2 == 0 {
            assert_limit(result, "max_depth");
        } else {
            assert!(
                matches!(result, Err(CodecError::Malformed(_))),
                "{result:?}"
            );
        }
    }
}

#[test]
fn frame_size_limit() {
    let small = Limits {
        max_frame_bytes: 7,
        ..Limits::default()
    };
    assert_eq!(
        decode_with(b"\x92\xa4pull\x01", &small).unwrap(),
        Message::Pull(1)
    );
    assert_limit(
        decode_with(b"\x92\xa4pull\xcc\xff", &small),
        "max_frame_bytes",
    );
    assert_limit(decode_with(&[0xc1; 8], &small), "max_frame_bytes");
}

#[test]
fn garbage_and_truncation_never_panic() {
    let mut rng = common::Rng(7);
    for _ in 0..20_000 {
        let len = rng.below(48);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = decode(&bytes);
    }
    let full = encode(&Message::Push(Expr::Array(every_expr())));
    for cut in 0..full.len() {
        assert!(
            decode(&full[..cut]).is_err(),
            "prefix of {cut} bytes decoded"
        );
    }
}

#[test]
fn mutated_encodings_never_panic() {
    let samples: Vec<Vec<u8>> = every_expr()
        .into_iter()
        .map(|e| encode(&Message::Resolve(3, Expr::Array(vec![e]))))
        .collect();
    let interesting = [
        0x00, 0x01, 0x7f, 0x80, 0x81, 0x90, 0x91, 0xa0, 0xc0, 0xc1, 0xc4, 0xcb, 0xcf, 0xd3, 0xdc,
        0xdd, 0xde, 0xff,
    ];
    let mut rng = common::Rng(99);
    let limits = Limits {
        max_depth: 8,
        ..Limits::default()
    };
    for round in 0..30_000 {
        let mut bytes = samples[round % samples.len()].clone();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(bytes.len());
            match rng.below(3) {
                0 => bytes[at] = interesting[rng.below(interesting.len())],
                1 => bytes[at] = rng.next() as u8,
                _ => bytes.insert(at, interesting[rng.below(interesting.len())]),
            }
        }
        if let Ok(msg) = decode_with(&bytes, &limits) {
            assert!(same(&decode(&encode(&msg)).unwrap(), &msg));
        }
    }
}

#[test]
fn calls_keep_their_exact_shape() {
    let cases = [
        CallExpr {
            id: 1,
            path: None,
            args: None,
        },
        CallExpr {
            id: 1,
            path: Some(vec![]),
            args: None,
        },
        CallExpr {
            id: 1,
            path: Some(vec![name("x")]),
            args: Some(vec![]),
        },
    ];
    for call in cases {
        assert_round_trip(&Message::Push(Expr::Pipeline(Box::new(call.clone()))));
        assert_round_trip(&Message::Push(Expr::Import(Box::new(call))));
    }
    // Args without a path travel with an empty path, as in JSON.
    let no_path = Expr::Pipeline(Box::new(CallExpr {
        id: 1,
        path: None,
        args: Some(vec![]),
    }));
    let back = decode(&encode(&Message::Push(no_path))).unwrap();
    assert_eq!(
        back,
        Message::Push(Expr::pipeline(1, Some(vec![]), Some(vec![])))
    );
}

#[test]
fn values_at_the_depth_limit_round_trip_on_a_small_stack() {
    // A peer may send a value just inside the limit that a session then echoes back: encoding
    // recurses, so it must stay cheap per level even in debug builds.
    let handle = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(|| {
            let mut value = Expr::Int(1);
            for level in 0..255 {
                value = match level % 3 {
                    0 => Expr::Array(vec![value]),
                    1 => Expr::Object(vec![("k".into(), value)]),
                    _ => Expr::pipeline(0, Some(vec![]), Some(vec![value])),
                };
            }
            let msg = Message::Resolve(1, value);
            for codec in [&MsgPack as &dyn Codec, &Json] {
                let frame = codec.encode(&msg).unwrap();
                assert_eq!(codec.decode(&frame, &Limits::default()).unwrap(), msg);
                let deeper = Message::Resolve(1, Expr::Array(vec![msg_value(&msg)]));
                let frame = codec.encode(&deeper).unwrap();
                assert!(matches!(
                    codec.decode(&frame, &Limits::default()),
                    Err(CodecError::Limit {
                        limit: "max_depth",
                        ..
                    })
                ));
            }
        })
        .unwrap();
    handle.join().unwrap();
}

fn msg_value(msg: &Message) -> Expr {
    match msg {
        Message::Resolve(_, value) => value.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_push_with_a_deadline_round_trips_in_msgpack_and_degrades_to_a_push_in_json() {
    use rpc_core::codec::Json;
    let msg = Message::PushDeadline(
        Expr::pipeline(0, Some(vec!["f".into()]), Some(vec![])),
        1500,
    );
    let frame = MsgPack.encode(&msg).unwrap();
    assert_eq!(MsgPack.decode(&frame, &Limits::default()).unwrap(), msg);
    let json = Json.encode(&msg).unwrap();
    assert_eq!(json.as_bytes(), br#"["push",["pipeline",0,["f"],[]]]"#);
}
