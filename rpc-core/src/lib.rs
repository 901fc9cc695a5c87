#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod callback;
pub mod codec;
pub mod deadline;
mod deliver;
mod error;
mod frame;
mod limits;
pub mod middleware;
mod pending;
mod promise;
pub mod protocol;
pub mod reconnect;
pub mod reflect;
mod remap;
mod serve;
mod session;
mod start;
pub mod stream;
mod stub;
mod target;
pub mod testing;
pub mod transport;
mod typed;
pub mod value;

#[doc(hidden)]
pub mod __private;

pub use callback::Callback;
pub use error::{ErrorKind, RpcError};
pub use frame::Frame;
pub use limits::Limits;
pub use promise::RpcPromise;
pub use reconnect::Reconnecting;
pub use rpc_macros::rpc_interface;
pub use serve::{Server, serve};
pub use session::{Extensions, Session, SessionBuilder, SessionStats};
pub use stream::{RpcSink, RpcStream, StreamSender};
pub use stub::Stub;
pub use target::{CallFuture, RpcTarget};
pub use transport::Transport;
pub use typed::{IntoArg, TypedStub};
pub use value::Value;
