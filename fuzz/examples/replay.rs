//! Shows what a `session` fuzz input does: the steps it sends (as Cap'n Web JSON) and what the
//! server answered. Usage: `cargo run --example replay -- FILE...` (from `fuzz/`).

use capstan_fuzz::session::{Step, plan, responds, transcript, uses_msgpack};
use rpc_core::{
    Frame, Limits,
    codec::{Codec, Json, MsgPack},
};

fn main() {
    for path in std::env::args().skip(1) {
        let data = std::fs::read(&path).expect("read the input");
        let codec: &dyn Codec = if uses_msgpack(&data) { &MsgPack } else { &Json };
        println!(
            "== {path}: {} bytes, {}, responder {}",
            data.len(),
            codec.name(),
            if responds(&data) { "on" } else { "off" }
        );
        for step in plan(&data, codec) {
            match step {
                Step::Wait(ms) => println!("   wait {ms} ms"),
                Step::Frame(Frame::Close(reason)) => println!("-> close {reason:?}"),
                Step::Frame(frame) => match codec.decode(&frame, &Limits::default()) {
                    Ok(message) => println!("-> {}", Json::to_text(&message)),
                    Err(e) => println!("-> (undecodable: {e}) {frame:?}"),
                },
            }
        }
        for message in transcript(&data) {
            println!("<- {}", Json::to_text(&message));
        }
    }
}
