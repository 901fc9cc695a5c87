//! The MessagePack codec: round trips of the whole model, and the exact shapes on the wire.

mod common;

use bytes::Bytes;
use common::msgpack::{Mp, assert_round_trip, decode, decode_with, encode, every_expr};
use common::{assert_limit, name};
use rpc_core::Limits;
use rpc_core::codec::{Codec, Json, MsgPack};
use rpc_core::protocol::{CallExpr, Expr, Message};

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
