//! Framed transports for Capstan.
//!
//! A transport moves [`Frame`]s both ways: it is any `Stream` of frames plus `Sink` of frames
//! (see [`rpc_core::Transport`]). A session runs over any of them. Each transport sits behind
//! a cargo feature; `memory`, `tcp`, `unix` and `stdio` are on by default:
//!
//! | Module | Feature | For |
//! |---|---|---|
//! | `memory` | `memory` | two sessions in one process; tests |
//! | `tcp` | `tcp` | servers and clients over the network, one transport per connection |
//! | `unix` | `unix` | processes on one machine, over a socket path (Unix only) |
//! | `stdio` | `stdio` | a parent and the child process it spawned, over the child's stdin/stdout |
//! | `testing` | `memory` | wrappers that count frames or add latency, to prove round trips |
//! | `websocket` | `websocket` | browsers and capnweb peers: one message per WebSocket message |
//! | `http_batch` | `http-batch` | one POST per batch of calls: hyper 1 server (which also upgrades WebSockets) and client |
//! | `axum_route` | `axum` | an axum route serving WebSocket upgrade and batch POST on one path |
//!
//! WebSocket and HTTP batch carry text frames as they are, so a session with the
//! [`Json`](rpc_core::codec::Json) codec speaks capnweb's wire format over them.
//!
//! TCP, Unix sockets and stdio are byte streams: they send each frame as a 4-byte big-endian
//! length and the payload ([`FramedTransport`], available without any feature, for any
//! `AsyncRead + AsyncWrite`). They carry binary frames only: a text frame goes out as its bytes
//! and comes back binary. [`FramingConfig`] sets their frame size limit.
//!
//! ```
//! # #[cfg(feature = "tcp")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use futures::{SinkExt, StreamExt};
//! use rpc_transports::{Frame, tcp};
//!
//! let listener = tcp::TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//!
//! // An echo server: every accepted connection is its own transport.
//! tokio::spawn(async move {
//!     let mut connections = listener.incoming();
//!     while let Some(Ok(mut conn)) = connections.next().await {
//!         tokio::spawn(async move {
//!             while let Some(Ok(frame)) = conn.next().await {
//!                 if conn.send(frame).await.is_err() {
//!                     break;
//!                 }
//!             }
//!         });
//!     }
//! });
//!
//! let mut client = tcp::connect(addr).await?;
//! client.send(Frame::Binary("hello".into())).await?;
//! assert_eq!(client.next().await.unwrap()?, Frame::Binary("hello".into()));
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "tcp"))]
//! # fn main() {}
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(feature = "axum")]
pub mod axum_route;
mod frame_codec;
mod framing;
mod io_halves;

#[cfg(feature = "http-batch")]
pub mod http_batch;
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
#[cfg(feature = "websocket")]
pub mod websocket;

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
#[cfg(feature = "websocket")]
pub use websocket::WebSocketTransport;
