//! Arbitrary bytes into the MessagePack codec, as a binary frame and (when UTF-8) as a text frame,
//! under the default and tiny limits. No panics; whatever decodes must round-trip through
//! MessagePack and JSON. See `capstan_fuzz::codec`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| capstan_fuzz::codec::msgpack_target(data));
