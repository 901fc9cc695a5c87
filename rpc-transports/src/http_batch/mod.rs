//! HTTP batch: a whole session in one POST, as capnweb's `newHttpBatchRpcSession`.
//!
//! The client sends every message of one turn, `\n`-joined, in one POST; the server runs them
//! through a fresh session, waits for every result the client pulled, and answers the
//! messages that session wrote, `\n`-joined. Then both sessions end. Pipelining makes this
//! useful: a chain of dependent calls costs one round trip, and the server is stateless.
//!
//! - Server: [`serve_batch`] is the framework-independent core; [`RpcService`] (hyper 1) and
//!   [`serve`] put it on HTTP, together with WebSocket upgrade on the same path.
//! - Client: [`session`] (or [`batch_transport`] for your own session).
//!
//! Status codes: 405 for a method other than POST (and no WebSocket upgrade), 413 for a body
//! over [`HttpConfig::max_body_bytes`], 400 for a body that is not UTF-8, 500 when the session
//! aborts (a malformed message, including the empty one a trailing newline makes: capnweb's
//! Node server answers 500 too). Every batch answer carries `Access-Control-Allow-Origin: *`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use rpc_core::{RpcError, Stub, Value};
//! use rpc_transports::http_batch;
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let url = format!("http://{}/rpc", listener.local_addr()?);
//! tokio::spawn(http_batch::serve(listener, || {
//!     Stub::from_fn(|args| async move {
//!         let n = args[0].as_i64().unwrap_or(0);
//!         Ok::<_, RpcError>(Value::from(n + 1))
//!     })
//! }));
//!
//! let session = http_batch::session(&url, None)?;
//! let inc = session.main();
//! // One POST carries both calls; the second takes the first's result without waiting for it.
//! let two = inc.call_function(vec![Value::from(1)]);
//! let three = inc.call_function(vec![Value::Promise(two.clone())]);
//! let (two, three) = tokio::join!(two, three);
//! assert_eq!(two.unwrap(), Value::from(2));
//! assert_eq!(three.unwrap(), Value::from(3));
//!
//! // The batch is over: the session is gone.
//! assert!(inc.call_function(vec![Value::from(1)]).await.is_err());
//! # Ok(())
//! # }
//! ```

mod client;
mod http_response;
mod hyper_server;
mod serve_batch;
mod server_transport;
mod ws_upgrade;

use std::time::Duration;

use rpc_core::Limits;

pub use client::{
    BatchClientTransport, batch_transport, batch_transport_with, session, session_with,
};
pub use hyper_server::{RpcService, hyper_service, hyper_service_with, serve, serve_with};
pub use serve_batch::{BatchError, serve_batch};

#[cfg(feature = "axum")]
pub(crate) use http_response::{batch_response, method_not_allowed};

/// Settings for HTTP RPC, server and client.
///
/// ```
/// use rpc_core::Limits;
/// use rpc_transports::http_batch::HttpConfig;
///
/// let config = HttpConfig::default().with_max_body_bytes(1 << 20);
/// assert_eq!(config.max_body_bytes, 1 << 20);
/// assert_eq!(HttpConfig::default().max_body_bytes, Limits::default().max_frame_bytes);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpConfig {
    /// The limits of every session: batch sessions, and WebSocket sessions served on the same
    /// path (whose messages are also capped at `limits.max_frame_bytes`).
    pub limits: Limits,
    /// The largest batch body accepted, in bytes: 413 above it on the server; on the client,
    /// the largest response read. Defaults to `Limits::default().max_frame_bytes` (32 MiB).
    pub max_body_bytes: usize,
    /// Client only: how the batch client tells that the session has finished its turn of
    /// calls. After the first message it lets the scheduler run a few turns (capnweb waits one
    /// macrotask); then, with `Some(d)`, it also waits until no new message has come for `d`.
    ///
    /// `None`, the default, picks for the runtime: nothing more on a current-thread runtime,
    /// where those turns are exact, and 5 ms on a multi-thread runtime, where the caller may
    /// still be making its calls on another worker thread (or be paused by the OS) when the
    /// turns are over. Raise it if calls made together get split across batches on a loaded
    /// machine: a call that misses the POST fails with "Batch RPC request ended.".
    pub batch_quiet: Option<Duration>,
    /// Server only ([`serve_with`]): the most connections served at once; a connection over it
    /// is closed at once. Defaults to 10,000, like `rpc_core::Server`.
    pub max_connections: usize,
    /// Server only: whether peers may ask the served objects what they offer, with the reserved
    /// method `__describe__` (see `rpc_core::reflect`). Defaults to on, like
    /// `SessionBuilder::reflection`.
    pub reflection: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        let limits = Limits::default();
        HttpConfig {
            max_body_bytes: limits.max_frame_bytes,
            limits,
            batch_quiet: None,
            max_connections: 10_000,
            reflection: true,
        }
    }
}

impl HttpConfig {
    /// These settings with other session limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// These settings with a fixed client batch quiet period (see
    /// [`batch_quiet`](Self::batch_quiet)).
    pub fn with_batch_quiet(mut self, batch_quiet: Duration) -> Self {
        self.batch_quiet = Some(batch_quiet);
        self
    }

    /// These settings with another connection limit (see
    /// [`max_connections`](Self::max_connections)).
    pub fn with_max_connections(mut self, max_connections: usize) -> Self {
        self.max_connections = max_connections;
        self
    }

    /// These settings with reflection on or off (see [`reflection`](Self::reflection)).
    ///
    /// ```
    /// use rpc_transports::http_batch::HttpConfig;
    /// assert!(HttpConfig::default().reflection);
    /// assert!(!HttpConfig::default().with_reflection(false).reflection);
    /// ```
    pub fn with_reflection(mut self, reflection: bool) -> Self {
        self.reflection = reflection;
        self
    }

    /// These settings with another body size limit.
    pub fn with_max_body_bytes(mut self, max_body_bytes: usize) -> Self {
        self.max_body_bytes = max_body_bytes;
        self
    }
}
