//! Encode/decode cost of a typical call and its result, per codec, in ns/op.
//!
//! `cargo bench -p rpc-core --bench codec` measures; under `cargo test --all-targets` (no
//! `--bench` argument) it only runs a few iterations of each case to check that they work.

use std::hint::black_box;
use std::time::Instant;

use rpc_core::Limits;
use rpc_core::codec::{Codec, Json, MsgPack};
use rpc_core::protocol::{CallExpr, Expr, Message, PathKey};

/// `["push", ["pipeline", 0, ["add"], [2, 3]]]`: `api.add(2, 3)`.
fn call() -> Message {
    Message::Push(Expr::Pipeline(Box::new(CallExpr {
        id: 0,
        path: Some(vec![PathKey::from("add")]),
        args: Some(vec![Expr::Int(2), Expr::Int(3)]),
    })))
}

/// `["resolve", 1, 5]`: its result.
fn result() -> Message {
    Message::Resolve(1, Expr::Int(5))
}

/// Runs `f` `iters` times; returns ns per run.
fn time(iters: u64, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

fn main() {
    let measuring = std::env::args().any(|arg| arg == "--bench");
    let iters = if measuring { 1_000_000 } else { 10 };
    let limits = Limits::default();
    let codecs: [(&str, &dyn Codec); 2] = [("msgpack", &MsgPack), ("json", &Json)];
    let messages = [("call", call()), ("result", result())];
    let mut json = String::from("{");
    for (codec_name, codec) in codecs {
        for (message_name, message) in &messages {
            let frame = codec.encode(message).expect("encodes");
            let decoded = codec.decode(&frame, &limits).expect("decodes");
            assert_eq!(&decoded, message, "{codec_name} round-trips {message_name}");
            // Warm up, then measure.
            time(iters / 10 + 1, || {
                black_box(codec.encode(black_box(message)).unwrap());
            });
            let encode = time(iters, || {
                black_box(codec.encode(black_box(message)).unwrap());
            });
            let decode = time(iters, || {
                black_box(codec.decode(black_box(&frame), &limits).unwrap());
            });
            if measuring {
                println!(
                    "{codec_name} {message_name}: encode {encode:.0} ns/op, decode {decode:.0} ns/op"
                );
            }
            if json.len() > 1 {
                json.push(',');
            }
            json += &format!(
                "\"{codec_name}_{message_name}_encode_ns\":{encode:.1},\"{codec_name}_{message_name}_decode_ns\":{decode:.1}"
            );
        }
    }
    json.push('}');
    if measuring {
        println!("{json}");
    } else {
        println!("codec: smoke run passed (use `cargo bench` to measure)");
    }
}
