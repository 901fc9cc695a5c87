//! The Capstan book. Each page is a markdown file in `docs/`, included here so that every code
//! block in it compiles and runs as a doc test.

#[doc = include_str!("../../README.md")]
pub mod readme {}

#[doc = include_str!("../browser.md")]
pub mod browser {}

#[doc = include_str!("../security.md")]
pub mod security {}

#[doc = include_str!("../middleware.md")]
pub mod middleware {}

#[doc = include_str!("../auth.md")]
pub mod auth {}
