//! WebSocket client and server: one protocol message per WebSocket message.
//!
//! This is the transport capnweb peers use (`newWebSocketRpcSession`): text messages carry
//! Cap'n Web JSON, so a session built with the [`Json`](rpc_core::codec::Json) codec talks to
//! a browser or Node peer as is. Session ends map to close frames the way capnweb does it: code
//! 3000 with the reason (see [`WebSocketTransport`]).
//!
//! Only `ws://` is supported; put TLS in a reverse proxy.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use futures::{SinkExt, StreamExt};
//! use rpc_core::Frame;
//! use rpc_transports::websocket;
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let url = format!("ws://{}/", listener.local_addr()?);
//!
//! // An echo server, closing with a reason once the client has said "bye".
//! tokio::spawn(async move {
//!     let (tcp, _) = listener.accept().await?;
//!     let mut conn = websocket::accept(tcp).await?;
//!     while let Some(frame) = conn.next().await {
//!         let frame = frame?;
//!         let bye = frame == Frame::Text("bye".into());
//!         conn.send(frame).await?;
//!         if bye {
//!             conn.send(Frame::Close("done".into())).await?;
//!         }
//!     }
//!     std::io::Result::Ok(())
//! });
//!
//! let mut client = websocket::connect(&url).await?;
//! client.send(Frame::Text("hello".into())).await?;
//! assert_eq!(client.next().await.unwrap()?, Frame::Text("hello".into()));
//! client.send(Frame::Text("bye".into())).await?;
//! assert_eq!(client.next().await.unwrap()?, Frame::Text("bye".into()));
//! assert_eq!(client.next().await.unwrap()?, Frame::Close("3000 done".into()));
//! assert!(client.next().await.is_none());
//! # Ok(())
//! # }
//! ```

mod close;
mod transport;

use std::io;

use tokio::net::TcpStream;
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

#[cfg(feature = "axum")]
pub(crate) use close::{CloseState, NO_STATUS_CODE, NORMAL_CLOSE_CODE, describe_peer_close};
pub use close::{MAX_CLOSE_REASON_BYTES, SESSION_CLOSE_CODE, truncate_close_reason};
pub use tokio_tungstenite;
pub use transport::WebSocketTransport;

use crate::FramingConfig;

/// Connects to a `ws://` URL with the default [`FramingConfig`] (32 MiB messages).
///
/// See the [module example](self).
pub async fn connect(url: &str) -> io::Result<WebSocketTransport<MaybeTlsStream<TcpStream>>> {
    connect_with(url, FramingConfig::default()).await
}

/// Connects to a `ws://` URL, accepting messages up to `config.max_frame_bytes`.
///
/// Sets `TCP_NODELAY`: RPC messages are small and latency-bound.
pub async fn connect_with(
    url: &str,
    config: FramingConfig,
) -> io::Result<WebSocketTransport<MaybeTlsStream<TcpStream>>> {
    let (socket, _response) =
        tokio_tungstenite::connect_async_with_config(url, Some(socket_config(config)), true)
            .await
            .map_err(transport::to_io_error)?;
    Ok(WebSocketTransport::new(socket))
}

/// Runs the server side of the WebSocket handshake on an accepted TCP connection, with the
/// default [`FramingConfig`] (32 MiB messages).
///
/// See the [module example](self).
pub async fn accept(stream: TcpStream) -> io::Result<WebSocketTransport<TcpStream>> {
    accept_with(stream, FramingConfig::default()).await
}

/// Like [`accept`], accepting messages up to `config.max_frame_bytes`; a larger message ends
/// the stream with an `InvalidData` error.
pub async fn accept_with(
    stream: TcpStream,
    config: FramingConfig,
) -> io::Result<WebSocketTransport<TcpStream>> {
    stream.set_nodelay(true)?;
    let socket = tokio_tungstenite::accept_async_with_config(stream, Some(socket_config(config)))
        .await
        .map_err(transport::to_io_error)?;
    Ok(WebSocketTransport::new(socket))
}

/// How much each WebSocket reads from its socket at a time. tungstenite allocates this up
/// front for the connection's whole life; its default, 128 KiB, made an idle connection cost
/// 134 KiB a side (the bench's `connections` workload: 268 KiB for both ends, 40 KiB with
/// this). A browser's calls are small; a large message is read in more pieces, which cost
/// JSON payloads of 64 KiB about a fifth of their throughput in the same bench.
const READ_BUFFER_BYTES: usize = 16 * 1024;

/// Tungstenite settings for a frame limit: one message, and each of its WebSocket frames, may
/// be at most `max_frame_bytes` long.
pub(crate) fn socket_config(config: FramingConfig) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(Some(config.max_frame_bytes))
        .max_frame_size(Some(config.max_frame_bytes))
}
