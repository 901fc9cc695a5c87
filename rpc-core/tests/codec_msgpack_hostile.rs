//! The MessagePack codec against hostile and broken input: right error, never a panic or stack
//! overflow.

mod common;

use common::assert_limit;
use common::msgpack::{Mp, decode, decode_with, encode, every_expr, same};
use rpc_core::codec::{Codec, CodecError, Json, MsgPack};
use rpc_core::protocol::{Expr, Message};
use rpc_core::{Frame, Limits};

fn assert_malformed(bytes: &[u8]) {
    match decode(bytes) {
        Err(CodecError::Malformed(_)) => {}
        other => panic!("{bytes:02x?} should be malformed, got {other:?}"),
    }
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
    let args = call_args_level();
    assert!(decode_with(&Mp::push().repeat(&args, 2).int(1).0, &small).is_ok());
    assert_limit(
        decode_with(&Mp::push().repeat(&args, 3).int(1).0, &small),
        "max_depth",
    );
    let props = error_props_level();
    assert!(decode_with(&Mp::push().repeat(&props, 2).int(1).0, &small).is_ok());
    assert_limit(
        decode_with(&Mp::push().repeat(&props, 3).int(1).0, &small),
        "max_depth",
    );
}

/// One level of nesting through a call's arguments: `["pipeline", 0, [], [ … ]]`.
fn call_args_level() -> Mp {
    Mp::new().arr(4).s("pipeline").int(0).arr(0).arr(1)
}

/// One level of nesting through an error's props: `["error", "E", "m", nil, {"p": … }]`.
fn error_props_level() -> Mp {
    Mp::new()
        .arr(5)
        .s("error")
        .s("E")
        .s("m")
        .raw(&[0xc0])
        .map(1)
        .s("p")
}

#[test]
fn a_million_levels_do_not_overflow_a_small_stack() {
    let patterns = [
        Mp::new().arr(1).arr(1),
        Mp::new().map(1).s("a"),
        call_args_level(),
        error_props_level(),
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
