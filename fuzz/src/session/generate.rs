//! Structured lines: messages built with [`arbitrary`] from the rest of a line, so the fuzzer
//! reaches deep into the protocol without having to discover its grammar byte by byte.

use arbitrary::Unstructured;
use bytes::Bytes;
use rpc_core::{
    codec::Codec,
    protocol::{
        CallExpr, ErrorExpr, Expr, Id, Message, PathKey, RemapExpr, RequestExpr, RequestInit,
        ResponseExpr, TypedArrayKind,
    },
};

use super::Step;

/// Method and property names: the object's own, the stream and counter methods, and a few that
/// must be refused.
const NAMES: &[&str] = &[
    "square",
    "add",
    "echo",
    "throwError",
    "makeCounter",
    "incrementCounter",
    "callFunction",
    "subscribe",
    "slow",
    "countTo",
    "sumStream",
    "writeTo",
    "increment",
    "value",
    "write",
    "writeMany",
    "writePacked",
    "close",
    "abort",
    "noSuchMethod",
    "constructor",
    "__proto__",
    "toString",
    "then",
    "",
];

/// Most steps one structured line produces.
const MAX_STRUCTURED_STEPS: usize = 48;

/// Deepest nesting of generated values.
const MAX_GEN_DEPTH: usize = 4;

/// Reads steps from `u` until it runs dry.
pub(super) fn structured(u: &mut Unstructured<'_>, codec: &dyn Codec, steps: &mut Vec<Step>) {
    for _ in 0..MAX_STRUCTURED_STEPS {
        if u.is_empty() {
            return;
        }
        let Ok(step) = structured_step(u) else {
            return;
        };
        let step = match step {
            Either::Wait(ms) => Step::Wait(ms),
            Either::Message(message) => match codec.encode(&message) {
                Ok(frame) => Step::Frame(frame),
                Err(_) => continue,
            },
        };
        steps.push(step);
    }
}

enum Either {
    Message(Message),
    Wait(u64),
}

fn structured_step(u: &mut Unstructured<'_>) -> arbitrary::Result<Either> {
    Ok(Either::Message(match u.choose_index(20)? {
        0..=4 => Message::Push(call_or_remap(u)?),
        5 if u.ratio(1, 2)? => Message::Stream(packed_write(u)?),
        5 => Message::Stream(Expr::Pipeline(Box::new(call(u, 0)?))),
        6..=8 => Message::Pull(id(u)?),
        9..=11 => Message::Release(id(u)?, u.int_in_range(0..=3)?),
        12 | 13 => Message::Resolve(id(u)?, value(u, 0)?),
        14 => Message::Reject(id(u)?, value(u, 0)?),
        15 => Message::Pipe,
        16 => Message::Abort(value(u, 0)?),
        _ => return Ok(Either::Wait(u.int_in_range(0..=20)?)),
    }))
}

/// A `writePacked` (a Capstan peer's run of plain stream items) to a small ID: mostly a
/// well-formed run, sometimes a count that does not match, a corrupted byte or trailing bytes.
fn packed_write(u: &mut Unstructured<'_>) -> arbitrary::Result<Expr> {
    const ITEMS: &[&[u8]] = &[
        b"\x07",
        b"\xc0",
        b"\xc3",
        b"\xa2ab",
        b"\x91\x01",
        b"\x81\xa1k\x01",
        b"\xce\x00\x01\x00\x00",
        b"\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00",
        b"\xc4\x02\x00\x01",
        b"\x92\x81\xa1a\xc0\x90",
    ];
    let n = u.int_in_range(0..=6)?;
    let mut run = Vec::new();
    for _ in 0..n {
        run.extend_from_slice(u.choose(ITEMS)?);
    }
    let mut count = n as i64;
    match u.choose_index(8)? {
        0 => count += u.int_in_range(-2..=2)?,
        1 if !run.is_empty() => {
            let at = u.choose_index(run.len())?;
            run[at] = u.arbitrary()?;
        }
        2 => {
            let extra = u.int_in_range(0..=4)?;
            run.extend_from_slice(u.bytes(extra)?);
        }
        _ => {}
    }
    let args = vec![Expr::Bytes(Bytes::from(run), None), Expr::Int(count)];
    Ok(Expr::pipeline(
        id_small(u)?,
        Some(vec![PathKey::from("writePacked")]),
        Some(args),
    ))
}

/// A table ID: mostly small, sometimes extreme.
fn id(u: &mut Unstructured<'_>) -> arbitrary::Result<Id> {
    Ok(match u.choose_index(16)? {
        0 => *u.choose(&[i64::MIN, i64::MAX, -(1 << 53), 1 << 53, u32::MAX as i64])?,
        _ => u.int_in_range(-4..=10)?,
    })
}

fn name(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    Ok(u.choose(NAMES)?.to_string())
}

fn path(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<PathKey>> {
    let len = u.int_in_range(0..=2)?;
    (0..len)
        .map(|_| {
            Ok(if u.ratio(1, 5)? {
                PathKey::Index(u.int_in_range(0..=3)?)
            } else {
                PathKey::Name(name(u)?)
            })
        })
        .collect()
}

fn call(u: &mut Unstructured<'_>, depth: usize) -> arbitrary::Result<CallExpr> {
    let id = id(u)?;
    let path = if u.ratio(1, 8)? { None } else { Some(path(u)?) };
    let args = if u.ratio(1, 4)? {
        None
    } else {
        let n = u.int_in_range(0..=3)?;
        Some(
            (0..n)
                .map(|_| value(u, depth + 1))
                .collect::<arbitrary::Result<_>>()?,
        )
    };
    Ok(CallExpr { id, path, args })
}

fn call_or_remap(u: &mut Unstructured<'_>) -> arbitrary::Result<Expr> {
    Ok(match u.choose_index(8)? {
        0 => remap(u, 0)?,
        1 => Expr::Import(Box::new(call(u, 0)?)),
        _ => Expr::Pipeline(Box::new(call(u, 0)?)),
    })
}

fn remap(u: &mut Unstructured<'_>, depth: usize) -> arbitrary::Result<Expr> {
    let id = id(u)?;
    let subject_path = path(u)?;
    let captures = (0..u.int_in_range(0..=2)?)
        .map(|_| {
            Ok(if u.ratio(1, 2)? {
                Expr::import(id_small(u)?, None, None)
            } else {
                Expr::Export(-u.int_in_range(1..=4)?)
            })
        })
        .collect::<arbitrary::Result<_>>()?;
    let instructions = (0..u.int_in_range(0..=3)?)
        .map(|_| {
            Ok(match u.choose_index(3)? {
                0 => Expr::pipeline(u.int_in_range(-3..=3)?, Some(path(u)?), None),
                1 => {
                    let args = (0..u.int_in_range(0..=2)?)
                        .map(|_| {
                            Ok(match u.choose_index(3)? {
                                0 => Expr::pipeline(u.int_in_range(-3..=3)?, None, None),
                                _ => value(u, depth + 2)?,
                            })
                        })
                        .collect::<arbitrary::Result<_>>()?;
                    Expr::pipeline(u.int_in_range(-3..=3)?, Some(path(u)?), Some(args))
                }
                _ => value(u, depth + 1)?,
            })
        })
        .collect::<arbitrary::Result<_>>()?;
    Ok(Expr::Remap(Box::new(RemapExpr {
        id,
        path: subject_path,
        captures,
        instructions,
    })))
}

fn id_small(u: &mut Unstructured<'_>) -> arbitrary::Result<Id> {
    u.int_in_range(-4..=4)
}

fn short_string(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    Ok(match u.choose_index(4)? {
        0 => {
            let len = u.int_in_range(0..=12)?;
            let bytes = u.bytes(len)?;
            String::from_utf8_lossy(bytes).into_owned()
        }
        1 => "secret".to_owned(),
        _ => name(u)?,
    })
}

/// A value expression, references included.
fn value(u: &mut Unstructured<'_>, depth: usize) -> arbitrary::Result<Expr> {
    let scalar_only = depth >= MAX_GEN_DEPTH;
    let choice = u.choose_index(if scalar_only { 10 } else { 26 })?;
    Ok(match choice {
        0 => Expr::Null,
        1 => Expr::Undefined,
        2 => Expr::Bool(u.arbitrary()?),
        3 => Expr::Int(u.int_in_range(-3..=10)?),
        4 => Expr::Float(f64::from_bits(u.arbitrary()?)),
        5 => Expr::String(short_string(u)?),
        6 => Expr::BigInt(if u.ratio(1, 2)? {
            "-12345678901234567890".to_owned()
        } else {
            u.int_in_range(0..=u64::MAX)?.to_string()
        }),
        7 => Expr::Date(if u.ratio(1, 4)? {
            None
        } else {
            Some(f64::from_bits(u.arbitrary()?))
        }),
        8 => {
            let len = u.int_in_range(0..=16)?;
            let kind = if u.ratio(1, 2)? {
                None
            } else {
                Some(*u.choose(&TypedArrayKind::ALL)?)
            };
            let size = kind.map_or(1, TypedArrayKind::element_size);
            let bytes = Bytes::copy_from_slice(u.bytes(len - len % size)?);
            Expr::Bytes(bytes, kind)
        }
        9 => Expr::Utf16(vec![0xd800, u.arbitrary()?]),
        10 => Expr::Export(-u.int_in_range(1..=4)?),
        11 => Expr::Promise(-u.int_in_range(1..=4)?),
        12 => Expr::Import(Box::new(call(u, depth)?)),
        13 | 14 => Expr::Pipeline(Box::new(call(u, depth)?)),
        15 => Expr::Readable(u.int_in_range(-1..=6)?),
        16 => Expr::Writable(-u.int_in_range(0..=4)?),
        17 => remap(u, depth)?,
        18 => Expr::Error(Box::new(ErrorExpr {
            name: (*u.choose(&["Error", "RangeError", "TypeError", "Nope"])?).to_owned(),
            message: short_string(u)?,
            stack: if u.ratio(1, 4)? {
                Some(short_string(u)?)
            } else {
                None
            },
            props: if u.ratio(1, 4)? {
                Some(vec![("code".to_owned(), value(u, depth + 1)?)])
            } else {
                None
            },
        })),
        19 => Expr::Object(
            (0..u.int_in_range(0..=3)?)
                .map(|_| Ok((short_string(u)?, value(u, depth + 1)?)))
                .collect::<arbitrary::Result<_>>()?,
        ),
        20 => Expr::Url((*u.choose(&["https://a/", "x:", "nope"])?).to_owned()),
        21 => Expr::Headers(vec![(short_string(u)?, short_string(u)?)]),
        22 => Expr::Blob {
            mime: short_string(u)?,
            pipe: u.int_in_range(-1..=6)?,
        },
        23 => Expr::Response(Box::new(ResponseExpr {
            body: u
                .choose(&[Expr::Null, Expr::Readable(1), Expr::String("b".into())])?
                .clone(),
            status: Some(*u.choose(&[200u16, 204, 99, 600])?),
            status_text: None,
            headers: None,
        })),
        24 => Expr::Request(Box::new(RequestExpr {
            url: "https://a/".to_owned(),
            init: RequestInit {
                method: Some((*u.choose(&["GET", "POST", "bad method"])?).to_owned()),
                body: if u.ratio(1, 2)? {
                    Some(Expr::Readable(u.int_in_range(-1..=6)?))
                } else {
                    None
                },
                ..RequestInit::default()
            },
        })),
        _ => Expr::Array(
            (0..u.int_in_range(0..=3)?)
                .map(|_| value(u, depth + 1))
                .collect::<arbitrary::Result<_>>()?,
        ),
    })
}
