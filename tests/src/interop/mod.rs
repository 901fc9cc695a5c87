//! The harness behind `tests/tests/interop.rs`: Capstan against the real `capnweb` npm package
//! under Node, using the scripts in `tests/interop` and the `conformance` example program.
//!
//! - [`setup`] installs the Node packages (`npm ci`, once) and builds `conformance` (once per
//!   test binary).
//! - [`ChildProcess`] runs an external program with its output captured, reads its
//!   `LISTENING <port>` line, waits for it with a deadline, and kills it when dropped.
//! - [`JsReport`] reads the `N passed, M failed` summary of a JS battery run.

mod child;
mod js_report;
pub mod setup;

pub use child::{ChildProcess, Finished};
pub use js_report::JsReport;
