//! Transport wrappers for tests: count frames, add link latency.
//!
//! Both wrap any [`Transport`](rpc_core::Transport) and are transports themselves, so a test can
//! prove how many frames (round trips) a session exchange takes, or that pipelined calls cost one
//! latency instead of several.

mod frame_counter;
mod latency;

pub use frame_counter::{FrameCounter, FrameCounts};
pub use latency::Latency;
