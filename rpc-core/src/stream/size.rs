//! How many bytes a chunk counts for in a stream's window.

use crate::value::Value;

/// Roughly the encoded size of `value`: exact enough to bound memory, cheap to compute.
/// capnweb counts the JSON length; this counts payload bytes plus a little per item.
pub(crate) fn approx_size(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len() + 2,
        Value::Utf16(u) => u.len() * 2 + 2,
        Value::Bytes(b, _) => b.len() + 8,
        Value::BigInt(b) => b.as_str().len() + 12,
        Value::Array(items) => 2 + items.iter().map(approx_size).sum::<usize>(),
        Value::Object(o) => {
            2 + o
                .iter()
                .map(|(k, v)| k.len() + 3 + approx_size(v))
                .sum::<usize>()
        }
        Value::Error(e) => e.name().len() + e.message().len() + 16,
        _ => 8,
    }
}
