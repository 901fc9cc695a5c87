//! Rules both codecs enforce the same way, so a value means the same thing whichever codec
//! carried it.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::CodecError;
use crate::Limits;
use crate::protocol::TypedArrayKind;

/// 2^53: beyond it a JavaScript number can no longer hold every integer, so the JSON codec sends
/// larger `Int`s as `bigint` and decodes larger integer literals as floats.
pub(crate) const MAX_SAFE_INT: i64 = 1 << 53;

/// capnweb strips padding on send but accepts both forms, and JavaScript's decoders ignore
/// non-zero trailing bits, so we accept both too.
pub(crate) const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Rejects a frame of `len` bytes before any parsing work is spent on it.
pub(crate) fn check_frame_size(len: usize, limits: &Limits) -> Result<(), CodecError> {
    if len > limits.max_frame_bytes {
        return Err(CodecError::Limit {
            limit: "max_frame_bytes",
            detail: format!(
                "frame of {len} bytes exceeds {} bytes",
                limits.max_frame_bytes
            ),
        });
    }
    Ok(())
}

/// Rejects a value that sits inside `depth` containers when that reaches `max_depth`.
///
/// This is capnweb's rule exactly: every value, scalars included, is checked against the number of
/// containers around it (escaped arrays, objects, error props, call args), with the top-level
/// expression at depth 0. Callers check before descending, so the check also bounds recursion.
pub(crate) fn check_depth(depth: usize, limits: &Limits) -> Result<(), CodecError> {
    if depth >= limits.max_depth {
        return Err(depth_error(limits));
    }
    Ok(())
}

/// The `max_depth` error.
pub(crate) fn depth_error(limits: &Limits) -> CodecError {
    CodecError::Limit {
        limit: "max_depth",
        detail: format!(
            "value nested inside {} or more containers",
            limits.max_depth
        ),
    }
}

/// Checks a `bigint` payload: an optional `-` then at least one ASCII digit, within the digit limit.
pub(crate) fn check_bigint(digits: &str, limits: &Limits) -> Result<(), CodecError> {
    let body = digits.strip_prefix('-').unwrap_or(digits);
    if body.len() > limits.max_bigint_digits {
        return Err(CodecError::Limit {
            limit: "max_bigint_digits",
            detail: format!(
                "bigint of {} digits exceeds {} digits",
                body.len(),
                limits.max_bigint_digits
            ),
        });
    }
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CodecError::Malformed(format!(
            "unknown special value: invalid bigint {:?}",
            truncate(digits, 40)
        )));
    }
    Ok(())
}

/// Typed arrays cannot hold a partial element; capnweb aborts on such data, and so do we.
pub(crate) fn check_bytes_len(len: usize, kind: Option<TypedArrayKind>) -> Result<(), CodecError> {
    if let Some(kind) = kind {
        if len % kind.element_size() != 0 {
            return Err(CodecError::Malformed(format!(
                "unknown special value: {len} bytes is not a whole number of {} elements",
                kind.name()
            )));
        }
    }
    Ok(())
}

/// At most `max` bytes of `text`, cut on a character boundary, for error messages that must not
/// grow with hostile input.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// The tags a special value may carry. `utf16` is MessagePack's alone; JSON carries lone
/// surrogates in its strings.
pub(crate) enum Tag {
    Undefined,
    Inf,
    NegInf,
    NaN,
    BigInt,
    Date,
    Bytes,
    Utf16,
    Error,
    Import,
    Pipeline,
    Remap,
    Export,
    Promise,
    Readable,
    Writable,
    Url,
    Headers,
    Request,
    Response,
    Blob,
}

impl Tag {
    pub(crate) fn parse(tag: &str) -> Option<Tag> {
        Some(match tag {
            "undefined" => Tag::Undefined,
            "inf" => Tag::Inf,
            "-inf" => Tag::NegInf,
            "nan" => Tag::NaN,
            "bigint" => Tag::BigInt,
            "date" => Tag::Date,
            "bytes" => Tag::Bytes,
            "utf16" => Tag::Utf16,
            "error" => Tag::Error,
            "import" => Tag::Import,
            "pipeline" => Tag::Pipeline,
            "remap" => Tag::Remap,
            "export" => Tag::Export,
            "promise" => Tag::Promise,
            "readable" => Tag::Readable,
            "writable" => Tag::Writable,
            "url" => Tag::Url,
            "headers" => Tag::Headers,
            "request" => Tag::Request,
            "response" => Tag::Response,
            "blob" => Tag::Blob,
            _ => return None,
        })
    }

    /// Whether `len` (tag included) is a valid length for this special value.
    pub(crate) fn arity_ok(&self, len: usize) -> bool {
        match self {
            Tag::Undefined | Tag::Inf | Tag::NegInf | Tag::NaN => len == 1,
            Tag::Bytes => (2..=3).contains(&len),
            Tag::Error => (3..=5).contains(&len),
            Tag::Import | Tag::Pipeline => (2..=4).contains(&len),
            Tag::Remap => len == 5,
            Tag::Request | Tag::Response | Tag::Blob => len == 3,
            _ => len == 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("aé", 2), "a...");
    }

    #[test]
    fn bigint_rules() {
        let limits = Limits {
            max_bigint_digits: 3,
            ..Limits::default()
        };
        assert!(check_bigint("-123", &limits).is_ok());
        assert!(matches!(
            check_bigint("1234", &limits),
            Err(CodecError::Limit {
                limit: "max_bigint_digits",
                ..
            })
        ));
        for bad in ["", "-", "1a", "+1", " 1", "1.0"] {
            assert!(matches!(
                check_bigint(bad, &limits),
                Err(CodecError::Malformed(_))
            ));
        }
    }
}
