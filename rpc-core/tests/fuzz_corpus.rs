//! Writes the fuzz targets' seed corpus (`fuzz/corpus/`) from the recorded capnweb frames.
//!
//! Ignored by default because it writes into the source tree; `fuzz/make-corpus.sh` runs it.
//! The generated files are committed, so the fuzzers need nothing but the repository.
//!
//! - `json_decode/`: every distinct frame of `capnweb-wire-samples.txt` (both directions), and
//!   every expression of the appendix and of `capnweb-serialize-vectors.txt` as
//!   `["resolve",1,<expr>]`.
//! - `msgpack_decode/`: the same frames converted with `MsgPack.encode` (those that decode).
//! - `session/`: each scenario's client frames, newline-joined, in four variants: the session
//!   target picks its codec and whether it answers the server's pulls from the input's length,
//!   and 0 to 3 trailing newlines (each just a 1 ms pause) select every combination. A few
//!   structured lines (`0x01` + pseudo-random bytes) seed the structured mode.

use std::{collections::BTreeMap, path::PathBuf};

use rpc_core::Limits;
use rpc_core::codec::{Json, MsgPack};

const SAMPLES: &str = include_str!("data/capnweb-wire-samples.txt");
const VECTORS: &str = include_str!("data/capnweb-serialize-vectors.txt");

/// One scenario of the samples file: its number and the frames in order, each with its
/// direction (`true` for client to server).
struct Scenario {
    number: usize,
    frames: Vec<(bool, String)>,
}

fn scenarios() -> Vec<Scenario> {
    let mut out: Vec<Scenario> = Vec::new();
    for line in SAMPLES.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("=== Appendix") {
            break;
        }
        if let Some(title) = trimmed.strip_prefix("=== ") {
            let number = title
                .split('.')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(out.len() + 1);
            out.push(Scenario {
                number,
                frames: Vec::new(),
            });
            continue;
        }
        let Some(scenario) = out.last_mut() else {
            continue;
        };
        if let Some(frame) = trimmed.strip_prefix("C->S ") {
            scenario.frames.push((true, frame.to_owned()));
        } else if let Some(frame) = trimmed.strip_prefix("S->C ") {
            scenario.frames.push((false, frame.to_owned()));
        }
    }
    out
}

fn appendix() -> Vec<String> {
    let start = SAMPLES.find("=== Appendix").expect("the appendix");
    SAMPLES[start..]
        .lines()
        .skip(1)
        .filter_map(|line| Some(line.trim().rsplit_once("  ")?.1.trim().to_owned()))
        .collect()
}

/// Every seed file, by path relative to `fuzz/corpus/`.
fn corpus() -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let scenarios = scenarios();
    assert!(scenarios.len() >= 25, "{} scenarios", scenarios.len());

    // Decoder seeds: distinct frames, in file order.
    let mut frames: Vec<(String, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let recorded = scenarios
        .iter()
        .flat_map(|s| s.frames.iter().map(|(_, f)| ("sample", f.clone())));
    let appendix = appendix()
        .into_iter()
        .map(|v| ("appendix", format!("[\"resolve\",1,{v}]")));
    let vectors = VECTORS
        .lines()
        .map(|v| ("vector", format!("[\"resolve\",1,{v}]")));
    let mut counters: BTreeMap<&str, usize> = BTreeMap::new();
    for (kind, frame) in recorded.chain(appendix).chain(vectors) {
        if seen.insert(frame.clone()) {
            let n = counters.entry(kind).or_default();
            *n += 1;
            frames.push((format!("{kind}-{n:03}"), frame));
        }
    }
    for (name, frame) in &frames {
        files.insert(format!("json_decode/{name}"), frame.clone().into_bytes());
        if let Ok(message) = Json::from_text(frame, &Limits::default()) {
            let bytes = MsgPack::to_vec(&message).expect("msgpack encodes what json decoded");
            files.insert(format!("msgpack_decode/{name}"), bytes);
        }
    }

    // Session seeds: each scenario's client frames.
    for scenario in &scenarios {
        let client: Vec<&str> = scenario
            .frames
            .iter()
            .filter(|(to_server, _)| *to_server)
            .map(|(_, f)| f.as_str())
            .collect();
        if client.is_empty() {
            continue;
        }
        let joined = client.join("\n");
        for extra in 0..4 {
            let mut input = joined.clone().into_bytes();
            input.extend(std::iter::repeat_n(b'\n', extra));
            let codec = if input.len() % 2 == 1 {
                "msgpack"
            } else {
                "json"
            };
            let mode = if (input.len() / 2) % 2 == 1 {
                "responding"
            } else {
                "silent"
            };
            files.insert(
                format!("session/scenario-{:02}-{codec}-{mode}", scenario.number),
                input,
            );
        }
    }
    // Structured seeds: deterministic noise after the 0x01 marker (no newlines inside).
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for n in 0..8 {
        let len = 64 + 32 * n;
        let mut input = vec![0x01];
        while input.len() < len {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let byte = (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8;
            if byte != b'\n' {
                input.push(byte);
            }
        }
        files.insert(format!("session/structured-{n}"), input);
    }
    files
}

#[test]
fn the_seed_corpus_is_small_and_complete() {
    let files = corpus();
    let total: usize = files.values().map(Vec::len).sum();
    assert!(total < 1024 * 1024, "{total} bytes");
    for target in ["json_decode/", "msgpack_decode/", "session/"] {
        let n = files.keys().filter(|k| k.starts_with(target)).count();
        assert!(n >= 25, "{target}: {n} files");
    }
}

#[test]
#[ignore = "writes fuzz/corpus/ into the source tree; run by fuzz/make-corpus.sh"]
fn write_fuzz_seed_corpus() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    for target in ["json_decode", "msgpack_decode", "session"] {
        let dir = root.join(target);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
    }
    let files = corpus();
    for (path, bytes) in &files {
        std::fs::write(root.join(path), bytes).unwrap();
    }
    println!("wrote {} seed files under {}", files.len(), root.display());
}
