//! Helpers shared by the codec test files: the recorded capnweb samples, a tiny PRNG, and
//! shorthands for each codec.

#![allow(dead_code)]

use std::path::PathBuf;

use rpc_core::codec::CodecError;
use rpc_core::protocol::{Message, PathKey};

/// One frame from the samples file.
pub struct Sample {
    /// Where it came from, for assertion messages.
    pub origin: String,
    /// The frame text, exactly as capnweb sent it.
    pub frame: String,
}

/// The samples file kept in the repository, plus the shared original when it sits beside the
/// clone (the copy guards against the shared tree being absent).
pub fn sample_files() -> Vec<(PathBuf, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for path in [
        root.join("tests/data/capnweb-wire-samples.txt"),
        root.join("../../shared/docs/capnweb-wire-samples.txt"),
    ] {
        if let Ok(text) = std::fs::read_to_string(&path) {
            files.push((path, text));
        }
    }
    assert!(!files.is_empty(), "the in-repo samples copy is missing");
    files
}

/// Every recorded message frame, and the number of scenarios they came from.
pub fn message_frames(text: &str) -> (Vec<Sample>, usize) {
    let mut frames = Vec::new();
    let mut scenario = String::from("preamble");
    let mut scenarios = 0;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("=== Appendix") {
            break;
        }
        if let Some(title) = trimmed.strip_prefix("=== ") {
            scenario = title.trim_end_matches(" ===").to_owned();
            scenarios += 1;
            continue;
        }
        // A frame line is `C->S frame` or `S->C frame`, possibly after a parenthesised note.
        let body = match trimmed.strip_prefix('(') {
            Some(rest) => match rest.split_once(") ") {
                Some((_, after)) => after,
                None => continue,
            },
            None => trimmed,
        };
        let Some(frame) = body
            .strip_prefix("C->S ")
            .or_else(|| body.strip_prefix("S->C "))
        else {
            continue;
        };
        frames.push(Sample {
            origin: format!("line {} ({scenario})", n + 1),
            frame: frame.to_owned(),
        });
    }
    (frames, scenarios)
}

/// The appendix: single expressions as capnweb's `serialize()` writes them.
pub fn appendix_values(text: &str) -> Vec<Sample> {
    let Some(start) = text.find("=== Appendix") else {
        return Vec::new();
    };
    text[start..]
        .lines()
        .enumerate()
        .skip(1)
        .filter_map(|(n, line)| {
            let line = line.trim();
            if line.is_empty() {
                return None;
            }
            // Columns are separated by runs of spaces; the encoding is the last column.
            let (js, encoded) = line.rsplit_once("  ")?;
            Some(Sample {
                origin: format!("appendix row {n}: {}", js.trim()),
                frame: encoded.trim().to_owned(),
            })
        })
        .collect()
}

/// xorshift64*: deterministic noise for mutation tests, no dependency needed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Asserts that decoding failed on the limit called `name`, and that the error names it.
pub fn assert_limit(result: Result<Message, CodecError>, name: &str) {
    match result {
        Err(err @ CodecError::Limit { limit, .. }) => {
            assert_eq!(limit, name);
            assert!(err.to_string().contains(name), "{err}");
        }
        other => panic!("expected the {name} limit, got {other:?}"),
    }
}

/// A path key naming a property.
pub fn name(s: &str) -> PathKey {
    PathKey::from(s)
}

pub mod msgpack;

/// Shorthands for driving the JSON codec with text.
pub mod json {
    use rpc_core::codec::{Codec, CodecError, Json};
    use rpc_core::protocol::{Expr, Message};
    use rpc_core::{Frame, Limits};

    pub fn decode(text: &str) -> Result<Message, CodecError> {
        decode_with(text, &Limits::default())
    }

    pub fn decode_with(text: &str, limits: &Limits) -> Result<Message, CodecError> {
        Json.decode(&Frame::Text(text.to_owned()), limits)
    }

    pub fn encode(msg: &Message) -> String {
        match Json.encode(msg).unwrap() {
            Frame::Text(text) => text,
            other => panic!("json must produce text frames, got {other:?}"),
        }
    }

    /// The expression inside `["resolve",1,<value>]`.
    pub fn value(text: &str) -> Expr {
        match decode(&format!("[\"resolve\",1,{text}]")) {
            Ok(Message::Resolve(1, e)) => e,
            other => panic!("{text}: {other:?}"),
        }
    }

    pub fn value_err(text: &str) -> CodecError {
        decode(&format!("[\"resolve\",1,{text}]")).expect_err(text)
    }

    /// The text of `e` on the wire, without the surrounding message.
    pub fn wire(e: Expr) -> String {
        let text = encode(&Message::Resolve(1, e));
        text["[\"resolve\",1,".len()..text.len() - 1].to_owned()
    }
}
