#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod codec;
mod frame;
mod limits;
pub mod protocol;
pub mod transport;

pub use frame::Frame;
pub use limits::Limits;
pub use transport::Transport;
