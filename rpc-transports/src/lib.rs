//! Framed transports for Capstan.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod frame_codec;
mod framing;
mod io_halves;

#[cfg(feature = "memory")]
pub mod memory;
#[cfg(feature = "stdio")]
pub mod stdio;
#[cfg(feature = "tcp")]
pub mod tcp;
#[cfg(feature = "memory")]
pub mod testing;
#[cfg(all(feature = "unix", unix))]
pub mod unix;

pub use framing::{FramedTransport, FramingConfig};
pub use io_halves::ReadWriteHalves;
pub use rpc_core::{Frame, Transport};

#[cfg(feature = "memory")]
pub use memory::MemoryTransport;
#[cfg(feature = "stdio")]
pub use stdio::{ChildTransport, StdioTransport};
#[cfg(feature = "tcp")]
pub use tcp::{TcpListener, TcpTransport};
#[cfg(all(feature = "unix", unix))]
pub use unix::{UnixListener, UnixTransport};
