//! Shared code of Capstan's fuzz targets: the codec round-trip oracle and the session harness.
//!
//! The targets in `fuzz_targets/` are thin wrappers around [`codec::check`] and
//! [`session::run`]; keeping the logic here lets the checks be read (and reused) in one place.

pub mod codec;
pub mod session;
