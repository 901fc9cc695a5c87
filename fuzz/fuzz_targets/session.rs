//! A server session driven by a sequence of frames: raw lines and structured messages. No
//! panics, no hangs, and nothing left running once the peer hangs up. The input format is
//! documented in `capstan_fuzz::session`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| capstan_fuzz::session::run(data));
