//! The token level of the JSON parser: whitespace, literals, numbers and strings.
//!
//! Hand-written rather than serde_json because JavaScript strings may hold lone surrogates, which
//! `JSON.stringify` escapes as `\udxxx` and serde_json refuses.

use crate::codec::CodecError;
use crate::codec::shared::truncate;

/// A cursor over one frame's text.
pub(super) struct Lexer<'a> {
    pub(super) text: &'a str,
    pub(super) pos: usize,
}

/// A number token.
pub(super) struct Num {
    /// The exact value when the literal is an integer (no fraction or exponent) that fits `i64`.
    pub(super) int: Option<i64>,
    /// True when the literal has no fraction or exponent, whether or not it fits `i64`.
    integer_literal: bool,
    /// The value as JavaScript's `JSON.parse` would give it.
    pub(super) float: f64,
}

impl Num {
    /// The value as an ID: an integral number that fits `i64`.
    pub(super) fn as_id(&self) -> Option<i64> {
        match self.int {
            Some(i) => Some(i),
            // An integer literal that did not parse as `i64` is out of range, even if its rounded
            // float value (say -2^63 for -2^63-1) would fit.
            None if self.integer_literal => None,
            // The upper bound is exclusive: 2^63 itself does not fit.
            None if self.float.fract() == 0.0
                && self.float >= -9_223_372_036_854_775_808.0
                && self.float < 9_223_372_036_854_775_808.0 =>
            {
                Some(self.float as i64)
            }
            None => None,
        }
    }
}

/// A decoded string: valid Unicode, or UTF-16 code units when it holds a lone surrogate.
pub(super) enum JsStr<'a> {
    Borrowed(&'a str),
    Owned(String),
    Utf16(Vec<u16>),
}

impl JsStr<'_> {
    /// The string as Rust text; lone surrogates become U+FFFD (for object keys, names and paths,
    /// which the model keeps as `String`).
    pub(super) fn into_lossy(self) -> String {
        match self {
            JsStr::Borrowed(s) => s.to_owned(),
            JsStr::Owned(s) => s,
            JsStr::Utf16(units) => String::from_utf16_lossy(&units),
        }
    }

    /// The text when it is valid Unicode (tags, base64, bigint digits).
    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            JsStr::Borrowed(s) => Some(s),
            JsStr::Owned(s) => Some(s),
            JsStr::Utf16(_) => None,
        }
    }
}

/// Accumulates an escaped string, switching to UTF-16 at the first lone surrogate.
enum StrBuf {
    Utf8(String),
    Utf16(Vec<u16>),
}

impl StrBuf {
    fn push_str(&mut self, s: &str) {
        match self {
            StrBuf::Utf8(buf) => buf.push_str(s),
            StrBuf::Utf16(units) => units.extend(s.encode_utf16()),
        }
    }

    fn push_char(&mut self, c: char) {
        let mut tmp = [0u8; 4];
        self.push_str(c.encode_utf8(&mut tmp));
    }

    fn push_lone_surrogate(&mut self, unit: u16) {
        if let StrBuf::Utf8(buf) = self {
            *self = StrBuf::Utf16(buf.encode_utf16().collect());
        }
        if let StrBuf::Utf16(units) = self {
            units.push(unit);
        }
    }
}

impl<'a> Lexer<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Lexer { text, pos: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    /// Skips JSON whitespace.
    pub(super) fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Skips whitespace, then consumes `b` if it is next.
    pub(super) fn eat(&mut self, b: u8) -> bool {
        self.ws();
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Skips whitespace and reports the next byte without consuming it.
    pub(super) fn peek_ws(&mut self) -> Option<u8> {
        self.ws();
        self.peek()
    }

    pub(super) fn syntax(&self, what: &str) -> CodecError {
        let near = truncate(self.text.get(self.pos..).unwrap_or(""), 20);
        CodecError::Malformed(format!(
            "invalid JSON at byte {}: {what} (near {near:?})",
            self.pos
        ))
    }

    /// Consumes the keyword `word` (`true`, `false`, `null`).
    pub(super) fn keyword(&mut self, word: &str) -> Result<(), CodecError> {
        if self.bytes()[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.syntax("unknown literal"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A number token, following the JSON grammar strictly (no `+`, no leading zeros, no `.5`).
    pub(super) fn number(&mut self) -> Result<Num, CodecError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.syntax("expected a digit")),
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.syntax("expected a digit after '.'"));
            }
            integral = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.syntax("expected an exponent"));
            }
            integral = false;
        }
        let token = &self.text[start..self.pos];
        let int = if integral {
            token.parse::<i64>().ok()
        } else {
            None
        };
        let float = match int {
            // Integer-to-float `as` rounds to nearest, exactly like parsing the literal would.
            Some(i) if token != "-0" => i as f64,
            _ => token
                .parse::<f64>()
                .map_err(|_| self.syntax("bad number"))?,
        };
        Ok(Num {
            int,
            integer_literal: integral,
            float,
        })
    }

    /// A string token; the cursor is on the opening quote.
    pub(super) fn string(&mut self) -> Result<JsStr<'a>, CodecError> {
        self.pos += 1;
        let start = self.pos;
        // Fast path: no escapes, so the token borrows straight from the frame.
        loop {
            match self.peek() {
                Some(b'"') => {
                    let s = &self.text[start..self.pos];
                    self.pos += 1;
                    return Ok(JsStr::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(b) if b < 0x20 => return Err(self.syntax("control character in string")),
                Some(_) => self.pos += 1,
                None => return Err(self.syntax("unterminated string")),
            }
        }
        let mut buf = StrBuf::Utf8(String::with_capacity(self.pos - start + 16));
        let mut run = start;
        loop {
            match self.peek() {
                Some(b'"') => {
                    buf.push_str(&self.text[run..self.pos]);
                    self.pos += 1;
                    return Ok(match buf {
                        StrBuf::Utf8(s) => JsStr::Owned(s),
                        StrBuf::Utf16(units) => JsStr::Utf16(units),
                    });
                }
                Some(b'\\') => {
                    buf.push_str(&self.text[run..self.pos]);
                    self.pos += 1;
                    self.escape(&mut buf)?;
                    run = self.pos;
                }
                Some(b) if b < 0x20 => return Err(self.syntax("control character in string")),
                Some(_) => self.pos += 1,
                None => return Err(self.syntax("unterminated string")),
            }
        }
    }

    /// One escape sequence; the cursor is just past the backslash.
    fn escape(&mut self, buf: &mut StrBuf) -> Result<(), CodecError> {
        let Some(b) = self.peek() else {
            return Err(self.syntax("unterminated escape"));
        };
        self.pos += 1;
        let c = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode_escape(buf),
            _ => return Err(self.syntax("unknown escape")),
        };
        buf.push_char(c);
        Ok(())
    }

    /// `\uXXXX`, pairing a high surrogate with an immediately following low one.
    fn unicode_escape(&mut self, buf: &mut StrBuf) -> Result<(), CodecError> {
        let unit = self.hex4()?;
        match unit {
            0xd800..=0xdbff => {
                let rest = &self.bytes()[self.pos..];
                if rest.starts_with(b"\\u") {
                    let save = self.pos;
                    self.pos += 2;
                    let low = self.hex4()?;
                    if (0xdc00..=0xdfff).contains(&low) {
                        let cp = 0x10000
                            + ((u32::from(unit) - 0xd800) << 10)
                            + (u32::from(low) - 0xdc00);
                        buf.push_char(char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER));
                        return Ok(());
                    }
                    // Not a pair: leave the second escape for the next round.
                    self.pos = save;
                }
                buf.push_lone_surrogate(unit);
            }
            0xdc00..=0xdfff => buf.push_lone_surrogate(unit),
            _ => buf
                .push_char(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER)),
        }
        Ok(())
    }

    fn hex4(&mut self) -> Result<u16, CodecError> {
        let mut unit = 0u16;
        for _ in 0..4 {
            let digit = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.syntax("bad \\u escape")),
            };
            unit = (unit << 4) | u16::from(digit);
            self.pos += 1;
        }
        Ok(unit)
    }
}
