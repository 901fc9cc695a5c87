//! `.map()`: a closure recorded once on the caller's side and replayed on the callee's, so that
//! mapping over a remote array costs one round trip.
//!
//! - [`record`] turns a Rust closure into `["remap", …]` by running it once on placeholders.
//! - [`apply`] replays received instructions on each element.

pub(crate) mod apply;
pub(crate) mod record;

pub(crate) use apply::{Mapper, apply};
