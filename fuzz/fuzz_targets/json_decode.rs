//! Arbitrary bytes into the Cap'n Web JSON codec, as a text frame (when UTF-8) and as a binary
//! frame, under the default and tiny limits. No panics; whatever decodes must round-trip through
//! JSON and MessagePack. See `capstan_fuzz::codec`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| capstan_fuzz::codec::json_target(data));
