//! Unix domain sockets: length-prefixed frames over a local socket path.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use tokio::net::UnixStream;
use tokio::net::unix::SocketAddr;

use crate::framing::{FramedTransport, FramingConfig};

/// A framed Unix socket connection. `get_ref()` gives the `UnixStream`.
pub type UnixTransport = FramedTransport<UnixStream>;

/// Connects to the socket at `path` with the default [`FramingConfig`].
///
/// ```
/// use futures::{SinkExt, StreamExt};
/// use rpc_core::Frame;
/// use rpc_transports::unix::{self, UnixListener};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("capstan-doc-{}.sock", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path)?;
/// let mut client = unix::connect(&path).await?;
/// let (mut server, _peer) = listener.accept().await?;
///
/// client.send(Frame::Binary("ping".into())).await?;
/// assert_eq!(server.next().await.unwrap()?, Frame::Binary("ping".into()));
/// std::fs::remove_file(&path)?;
/// # Ok(())
/// # }
/// ```
pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixTransport> {
    connect_with(path, FramingConfig::default()).await
}

/// Connects to the socket at `path` with the given framing settings.
pub async fn connect_with(
    path: impl AsRef<Path>,
    config: FramingConfig,
) -> io::Result<UnixTransport> {
    let stream = UnixStream::connect(path).await?;
    Ok(FramedTransport::with_config(stream, config))
}

/// Accepts Unix socket connections, each as its own [`UnixTransport`].
///
/// Like the operating system's listener, it leaves the socket file in place when dropped;
/// remove it yourself. See [`connect`] for an example.
#[derive(Debug)]
pub struct UnixListener {
    inner: tokio::net::UnixListener,
    config: FramingConfig,
}

impl UnixListener {
    /// Listens on a new socket file at `path`. Must be called inside a tokio runtime.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<Self> {
        Ok(Self::from_tokio(tokio::net::UnixListener::bind(path)?))
    }

    /// Wraps an already bound tokio listener, with the default framing settings.
    pub fn from_tokio(listener: tokio::net::UnixListener) -> Self {
        UnixListener {
            inner: listener,
            config: FramingConfig::default(),
        }
    }

    /// Uses `config` for every connection accepted from now on.
    pub fn with_config(mut self, config: FramingConfig) -> Self {
        self.config = config;
        self
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Waits for the next connection; returns its transport and the peer's address.
    pub async fn accept(&self) -> io::Result<(UnixTransport, SocketAddr)> {
        futures::future::poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Turns the listener into an endless stream of accepted connections.
    ///
    /// An `Err` item is a failed accept; the stream goes on after it.
    pub fn incoming(self) -> UnixIncoming {
        UnixIncoming { listener: self }
    }

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixTransport, SocketAddr)>> {
        self.inner.poll_accept(cx).map(|accepted| {
            accepted.map(|(stream, peer)| (FramedTransport::with_config(stream, self.config), peer))
        })
    }
}

/// The stream of connections returned by [`UnixListener::incoming`]; it never ends.
#[derive(Debug)]
pub struct UnixIncoming {
    listener: UnixListener,
}

impl Stream for UnixIncoming {
    type Item = io::Result<UnixTransport>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.listener
            .poll_accept(cx)
            .map(|accepted| Some(accepted.map(|(transport, _peer)| transport)))
    }
}
