//! The codec oracle: decoding never panics, and whatever decodes round-trips.

use bytes::Bytes;
use rpc_core::codec::{Codec, CodecError, Json, MsgPack};
use rpc_core::protocol::{CallExpr, Expr, Message};
use rpc_core::{Frame, Limits};

/// Limits small enough that short fuzz inputs reach every limit check.
pub fn tiny_limits() -> Limits {
    Limits {
        max_frame_bytes: 96,
        max_depth: 4,
        max_bigint_digits: 5,
        ..Limits::default()
    }
}

/// How closely a message must survive a trip through a codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fidelity {
    /// Equal, but NaN equals NaN.
    Exact,
    /// Equal as JavaScript values: a number may change between `Int` and `Float` (JSON has one
    /// number type: `1.0` decodes as a float and is written back as `1`, which decodes as an
    /// integer), and `-0` may lose its sign (as capnweb's encoding does).
    JsNumbers,
    /// Only the encoding must be stable: the codec accepts what it wrote, and writing that
    /// again gives the same bytes. For JSON carrying what MessagePack decoded, which is lossy
    /// by design (integers beyond 2^53 become `bigint`, invalid dates lose their payload).
    Encoding,
}

/// Feeds `data` to `codec` as a binary frame and, when it is UTF-8, as a text frame, under the
/// default limits and under [`tiny_limits`]. Every message that decodes must round-trip through
/// `codec` with `fidelity`, and through `other` with `other_fidelity`.
pub fn check(
    codec: &dyn Codec,
    fidelity: Fidelity,
    other: &dyn Codec,
    other_fidelity: Fidelity,
    data: &[u8],
) {
    let mut frames = vec![Frame::Binary(Bytes::copy_from_slice(data))];
    if let Ok(text) = std::str::from_utf8(data) {
        frames.push(Frame::Text(text.to_owned()));
    }
    for frame in &frames {
        for limits in [Limits::default(), tiny_limits()] {
            match codec.decode(frame, &limits) {
                Ok(message) => {
                    round_trip(codec, &message, &limits, fidelity);
                    round_trip(other, &message, &Limits::default(), other_fidelity);
                }
                Err(error) => check_error(&error, &limits),
            }
        }
    }
}

/// A limit error must name a real limit; any other error is fine as long as it did not panic.
fn check_error(error: &CodecError, limits: &Limits) {
    if let CodecError::Limit { limit, .. } = error {
        assert!(
            matches!(
                *limit,
                "max_frame_bytes" | "max_depth" | "max_bigint_digits"
            ),
            "unknown limit {limit:?} under {limits:?}"
        );
    }
}

/// Encodes `message` with `codec` and decodes it again. The codec must accept its own encoding,
/// the result must match `message` as `fidelity` says, and encoding the result must give the
/// same bytes again (which is how messages holding NaN, never `==`, are compared).
///
/// The re-decode runs under `limits` when the re-encoded frame fits `limits.max_frame_bytes`
/// (a re-encoding may be longer than the input: escapes, canonical numbers), otherwise under the
/// same limits with the default frame size: depth and bigint digits never grow in a re-encoding.
pub fn round_trip(codec: &dyn Codec, message: &Message, limits: &Limits, fidelity: Fidelity) {
    let frame = match codec.encode(message) {
        Ok(frame) => frame,
        Err(e) => panic!(
            "{} cannot encode a message it or its peer decoded: {e}\n{message:?}",
            codec.name()
        ),
    };
    let relaxed;
    let limits = if frame.len() > limits.max_frame_bytes {
        relaxed = Limits {
            max_frame_bytes: Limits::default().max_frame_bytes,
            ..limits.clone()
        };
        &relaxed
    } else {
        limits
    };
    let again = match codec.decode(&frame, limits) {
        Ok(again) => again,
        Err(e) => panic!(
            "{} rejects its own encoding: {e}\nmessage: {message:?}\nframe: {frame:?}",
            codec.name()
        ),
    };
    let same = match fidelity {
        Fidelity::Exact => same_message(message, &again, false),
        Fidelity::JsNumbers => same_message(message, &again, true),
        Fidelity::Encoding => true,
    };
    assert!(
        same,
        "{} round trip changed the message\nbefore: {message:?}\nafter:  {again:?}\nframe: {frame:?}",
        codec.name()
    );
    let frame_again = codec.encode(&again).expect("re-encode");
    assert_eq!(
        frame,
        frame_again,
        "{} encoding is not stable\nbefore: {message:?}\nafter:  {again:?}",
        codec.name()
    );
}

/// The `json_decode` target's body: JSON round-trips as JavaScript values, and MessagePack
/// carries whatever JSON decoded exactly.
pub fn json_target(data: &[u8]) {
    check(&Json, Fidelity::JsNumbers, &MsgPack, Fidelity::Exact, data);
}

/// The `msgpack_decode` target's body: MessagePack round-trips exactly; JSON must at least
/// accept and stably re-encode whatever MessagePack decoded.
pub fn msgpack_target(data: &[u8]) {
    check(&MsgPack, Fidelity::Exact, &Json, Fidelity::Encoding, data);
}

/// Whether two messages are the same, NaN equal to NaN; with `js`, numbers compare as
/// JavaScript numbers (see [`Fidelity::JsNumbers`]).
pub fn same_message(a: &Message, b: &Message, js: bool) -> bool {
    use Message::*;
    match (a, b) {
        (Push(x), Push(y)) | (Stream(x), Stream(y)) | (Abort(x), Abort(y)) => same_expr(x, y, js),
        (Resolve(i, x), Resolve(j, y)) | (Reject(i, x), Reject(j, y)) => {
            i == j && same_expr(x, y, js)
        }
        (PushDeadline(x, m), PushDeadline(y, n)) => m == n && same_expr(x, y, js),
        _ => a == b,
    }
}

fn same_float(x: f64, y: f64) -> bool {
    x == y || (x.is_nan() && y.is_nan())
}

fn same_list(a: &[Expr], b: &[Expr], js: bool) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_expr(x, y, js))
}

fn same_fields(a: &[(String, Expr)], b: &[(String, Expr)], js: bool) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((k, x), (l, y))| k == l && same_expr(x, y, js))
}

fn same_call(a: &CallExpr, b: &CallExpr, js: bool) -> bool {
    a.id == b.id
        && a.path == b.path
        && match (&a.args, &b.args) {
            (Some(x), Some(y)) => same_list(x, y, js),
            (None, None) => true,
            _ => false,
        }
}

/// Whether two expressions are the same (see [`same_message`]).
pub fn same_expr(a: &Expr, b: &Expr, js: bool) -> bool {
    use Expr::*;
    match (a, b) {
        (Float(x), Float(y)) => same_float(*x, *y),
        (Int(i), Float(f)) | (Float(f), Int(i)) if js => *i as f64 == *f,
        (Date(Some(x)), Date(Some(y))) => same_float(*x, *y),
        (Array(x), Array(y)) => same_list(x, y, js),
        (Object(x), Object(y)) => same_fields(x, y, js),
        (Error(x), Error(y)) => {
            x.name == y.name
                && x.message == y.message
                && x.stack == y.stack
                && match (&x.props, &y.props) {
                    (Some(p), Some(q)) => same_fields(p, q, js),
                    (None, None) => true,
                    _ => false,
                }
        }
        (Import(x), Import(y)) | (Pipeline(x), Pipeline(y)) => same_call(x, y, js),
        (Remap(x), Remap(y)) => {
            x.id == y.id
                && x.path == y.path
                && same_list(&x.captures, &y.captures, js)
                && same_list(&x.instructions, &y.instructions, js)
        }
        _ => a == b,
    }
}
