//! The JSON codec against hostile and broken input: right error, never a panic or stack overflow.

mod common;

use bytes::Bytes;
use common::assert_limit;
use common::json::{decode, decode_with, value_err};
use rpc_core::codec::{Codec, CodecError, Json};
use rpc_core::protocol::{Expr, Message};
use rpc_core::{Frame, Limits};

fn assert_malformed(text: &str) -> String {
    match decode(text) {
        Err(CodecError::Malformed(msg)) => msg,
        other => panic!("{text:?} should be malformed, got {other:?}"),
    }
}

fn limits(max_depth: usize) -> Limits {
    Limits {
        max_depth,
        ..Limits::default()
    }
}

/// `n` escaped arrays around `inner`, as a message.
fn nested_arrays(n: usize, inner: &str) -> String {
    format!("[\"push\",{}{inner}{}]", "[[".repeat(n), "]]".repeat(n))
}

fn nested_objects(n: usize) -> String {
    format!("[\"push\",{}1{}]", "{\"a\":".repeat(n), "}".repeat(n))
}

#[test]
fn unknown_message_tags_quote_the_frame_like_capnweb() {
    let err = decode(r#"["bogus",1]"#).unwrap_err();
    assert_eq!(err.to_string(), r#"bad RPC message: ["bogus",1]"#);
    for text in [
        r#"["PUSH",1]"#,
        r#"["push "]"#,
        r#"["\ud800",1]"#,
        r#"["",1]"#,
    ] {
        assert_malformed(text);
    }
    // Quotes stay bounded however big the frame is.
    let huge = format!("[\"bogus\",\"{}\"]", "x".repeat(100_000));
    assert!(assert_malformed(&huge).len() < 200);
}

#[test]
fn wrong_arity_and_field_types_are_malformed() {
    for text in [
        "",
        " ",
        "null",
        "1",
        "\"push\"",
        "{}",
        "[]",
        "[1]",
        "[null]",
        "[[\"push\",1]]",
        r#"["push"]"#,
        r#"["push",1,2]"#,
        r#"["pull"]"#,
        r#"["pull",1,2]"#,
        r#"["pull",null]"#,
        r#"["pull",[1]]"#,
        r#"["resolve",1]"#,
        r#"["resolve","1",2]"#,
        r#"["resolve",1,2,3]"#,
        r#"["reject"]"#,
        r#"["reject",true,1]"#,
        r#"["release",1]"#,
        r#"["release",1,"1"]"#,
        r#"["release","1",1]"#,
        r#"["release",1,1,1]"#,
        r#"["abort"]"#,
        r#"["stream"]"#,
        r#"["pipe",1]"#,
    ] {
        assert_malformed(text);
    }
}

#[test]
fn broken_json_is_malformed() {
    for text in [
        r#"["push",1"#,
        r#"["push",]"#,
        r#"["push",{"a" 1}]"#,
        r#"["push",{1:2}]"#,
        r#"["push",{"a":1,}]"#,
        r#"["push",[[1,]]]"#,
        r#"["push",tru]"#,
        r#"["push",nul]"#,
        r#"["push",'x']"#,
        r#"["push","unterminated]"#,
        "[\"push\",\"\u{0}\"]",
        r#"["push",1]]"#,
        r#"["push",1]x"#,
        r#"["pull",1]["pull",2]"#,
        "[\"pull\",1]\n[\"pull\",2]",
        "\u{feff}[\"pull\",1]",
        "hello, world",
    ] {
        assert_malformed(text);
    }
    // Whitespace (including a trailing newline) around the message is fine, as in JSON.parse.
    assert_eq!(decode(" [\"pull\",1]\n").unwrap(), Message::Pull(1));
}

#[test]
fn ids_must_be_integers_that_fit_i64() {
    for text in [
        r#"["pull",1.5]"#,
        r#"["pull","x"]"#,
        r#"["pull",1e300]"#,
        r#"["pull",9223372036854775808]"#,
        r#"["pull",-9223372036854775809]"#,
        r#"["resolve",0.5,1]"#,
        r#"["push",["export",1.5]]"#,
        r#"["push",["export","x"]]"#,
        r#"["push",["pipeline",1e19]]"#,
    ] {
        assert_malformed(text);
    }
    assert_eq!(
        decode(r#"["pull",-9223372036854775808]"#).unwrap(),
        Message::Pull(i64::MIN)
    );
    // Integral numbers written with an exponent are still integers to JavaScript.
    assert_eq!(decode(r#"["pull",1e3]"#).unwrap(), Message::Pull(1000));
    assert_eq!(decode(r#"["pull",-0]"#).unwrap(), Message::Pull(0));
}

#[test]
fn release_counts_must_be_positive_u32() {
    for n in [
        "0",
        "-1",
        "1099511627776",
        "4294967296",
        "1.5",
        "-0",
        "null",
        "\"1\"",
    ] {
        assert_malformed(&format!("[\"release\",1,{n}]"));
    }
    assert_eq!(
        decode(r#"["release",1,4294967295]"#).unwrap(),
        Message::Release(1, u32::MAX)
    );
}

#[test]
fn unknown_or_malformed_special_values() {
    for text in [
        "[]",
        "[1]",
        "[null]",
        "[{}]",
        r#"["foo"]"#,
        // Fetch values are supported (codec_fetch.rs); malformed ones are not.
        r#"["url"]"#,
        r#"["headers",[["a"]]]"#,
        r#"["\ud800"]"#,
        r#"["undefined",1]"#,
        r#"["nan",1]"#,
        "[[1],2]",
        "[[1] 2]",
        r#"["export"]"#,
        r#"["export",1,2]"#,
        r#"["promise",[1]]"#,
        r#"["readable"]"#,
        r#"["writable",null]"#,
        r#"["import"]"#,
        r#"["import",0,"x"]"#,
        r#"["import",0,["a",{}]]"#,
        r#"["import",0,[-1]]"#,
        r#"["import",0,[1.5]]"#,
        r#"["import",0,[4294967296]]"#,
        r#"["import",0,[],1]"#,
        r#"["import",0,[],[],1]"#,
        r#"["pipeline",0,null]"#,
        r#"["remap",1,[],[]]"#,
        r#"["remap",1,[],[],[],1]"#,
        r#"["remap","x",[],[],[]]"#,
        r#"["remap",1,[],{},[]]"#,
    ] {
        match value_err(text) {
            CodecError::Malformed(msg) => {
                assert!(msg.contains("unknown special value"), "{text}: {msg}")
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn a_million_brackets_do_not_overflow_the_stack() {
    let brackets = "[".repeat(1_000_000);
    assert_malformed(&brackets);
    assert_limit(decode(&format!("[\"push\",{brackets}")), "max_depth");
    let objects = "{\"a\":".repeat(1_000_000);
    assert_limit(decode(&format!("[\"push\",{objects}")), "max_depth");
    let args = "[\"pipeline\",0,[],[".repeat(1_000_000);
    assert_limit(decode(&format!("[\"push\",{args}")), "max_depth");
    let props = "[\"error\",\"E\",\"m\",null,{\"p\":".repeat(1_000_000);
    assert_limit(decode(&format!("[\"push\",{props}")), "max_depth");
}

#[test]
fn hostile_nesting_needs_little_stack_even_in_debug_builds() {
    // The parser keeps its own stack on the heap, so even a huge depth limit is safe on a small
    // thread stack (async runtimes, worker threads).
    let handle = std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(|| {
            let mut errors = Vec::new();
            for pattern in [
                "[[",
                "{\"a\":",
                "[\"pipeline\",0,[],[",
                "[\"error\",\"E\",\"m\",null,{\"p\":",
                "[\"remap\",1,[],[],[",
            ] {
                let deep = format!("[\"push\",{}", pattern.repeat(100_000));
                errors.push(decode_with(&deep, &limits(100_000)).unwrap_err());
            }
            errors
        })
        .unwrap();
    for err in handle.join().unwrap() {
        assert!(
            matches!(
                err,
                CodecError::Limit {
                    limit: "max_depth",
                    ..
                }
            ),
            "{err}"
        );
    }
}

#[test]
fn depth_limit_counts_like_capnweb() {
    // Default 256: a scalar inside 255 containers is fine, inside 256 it is not.
    assert!(decode(&nested_arrays(255, "1")).is_ok());
    assert_limit(decode(&nested_arrays(256, "1")), "max_depth");
    // An empty innermost array has no value inside it to be too deep.
    assert!(decode(&nested_arrays(256, "")).is_ok());
    assert_limit(decode(&nested_arrays(257, "")), "max_depth");
    assert!(decode(&nested_objects(255)).is_ok());
    assert_limit(decode(&nested_objects(256)), "max_depth");

    let small = limits(3);
    assert!(decode_with(&nested_arrays(2, "1"), &small).is_ok());
    assert_limit(decode_with(&nested_arrays(3, "1"), &small), "max_depth");
    // Call args count as one level, and so does each `[[…]]` inside them.
    assert!(decode_with(r#"["push",["pipeline",0,["f"],[[[1]]]]]"#, &small).is_ok());
    assert_limit(
        decode_with(r#"["push",["pipeline",0,["f"],[[[[[1]]]]]]]"#, &small),
        "max_depth",
    );
    // Error props count as one level.
    let props = r#"["push",["error","E","m",null,{"a":{"b":1}}]]"#;
    assert!(decode_with(props, &small).is_ok());
    assert_limit(decode_with(props, &limits(2)), "max_depth");
    // Remap captures and instructions count as one level.
    let remap = r#"["push",["remap",1,[],[],[[[1]]]]]"#;
    assert!(decode_with(remap, &small).is_ok());
    assert_limit(decode_with(remap, &limits(2)), "max_depth");
    // Depth 0 rejects even the top-level scalar, as capnweb does.
    assert_limit(decode_with(r#"["push",1]"#, &limits(0)), "max_depth");
    assert!(decode_with(r#"["pull",1]"#, &limits(0)).is_ok());
}

#[test]
fn bigint_digit_limit() {
    let max = Limits::default().max_bigint_digits;
    let ok = format!("[\"push\",[\"bigint\",\"-{}\"]]", "9".repeat(max));
    assert!(matches!(decode(&ok), Ok(Message::Push(Expr::BigInt(d))) if d.len() == max + 1));
    let over = format!("[\"push\",[\"bigint\",\"{}\"]]", "9".repeat(max + 1));
    assert_limit(decode(&over), "max_bigint_digits");
    let small = Limits {
        max_bigint_digits: 3,
        ..Limits::default()
    };
    assert!(decode_with(r#"["push",["bigint","123"]]"#, &small).is_ok());
    assert_limit(
        decode_with(r#"["push",["bigint","1234"]]"#, &small),
        "max_bigint_digits",
    );
}

#[test]
fn frame_size_limit_is_checked_first() {
    let small = Limits {
        max_frame_bytes: 10,
        ..Limits::default()
    };
    assert_eq!(
        decode_with(r#"["pull",1]"#, &small).unwrap(),
        Message::Pull(1)
    );
    assert_limit(decode_with(r#"["pull",12]"#, &small), "max_frame_bytes");
    // Even garbage gets the size error, not a parse error.
    assert_limit(decode_with("not json at all", &small), "max_frame_bytes");
    let binary = Frame::Binary(Bytes::from(vec![0xff; 11]));
    assert_limit(Json.decode(&binary, &small), "max_frame_bytes");
}

#[test]
fn garbage_binary_is_malformed() {
    let mut rng = common::Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..2_000 {
        let len = rng.below(64);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let result = Json.decode(&Frame::Binary(Bytes::from(bytes)), &Limits::default());
        assert!(
            matches!(result, Err(CodecError::Malformed(_))),
            "{result:?}"
        );
    }
}

#[test]
fn mutated_recorded_frames_never_panic() {
    let (_, text) = &common::sample_files()[0];
    let (frames, _) = common::message_frames(text);
    let alphabet = b"[]{}\",:-0123456789.eE\\u\\udd00 tfnx";
    let mut rng = common::Rng(42);
    let limits = limits(8);
    for round in 0..30_000 {
        let mut bytes = frames[round % frames.len()].frame.clone().into_bytes();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(bytes.len() + 1);
            match rng.below(4) {
                0 if at < bytes.len() => {
                    bytes.remove(at);
                }
                1 => bytes.insert(at, alphabet[rng.below(alphabet.len())]),
                2 if at < bytes.len() => bytes[at] = alphabet[rng.below(alphabet.len())],
                _ => bytes.truncate(at),
            }
        }
        // Any outcome is fine except a panic; successes must re-encode to something decodable.
        if let Ok(msg) = Json.decode(&Frame::Binary(Bytes::from(bytes)), &limits) {
            let again = Json.encode(&msg).unwrap();
            Json.decode(&again, &Limits::default()).unwrap();
        }
    }
}
