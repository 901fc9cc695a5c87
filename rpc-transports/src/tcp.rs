//! TCP: length-prefixed frames over a socket, one transport per connection.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures::Stream;
use tokio::net::{TcpStream, ToSocketAddrs};

use crate::framing::{FramedTransport, FramingConfig};

/// A framed TCP connection. `get_ref()` gives the `TcpStream`, e.g. for `peer_addr()`.
pub type TcpTransport = FramedTransport<TcpStream>;

/// Connects to `addr` with the default [`FramingConfig`].
///
/// Sets `TCP_NODELAY`: RPC frames are small and latency-bound, so waiting to coalesce them
/// (Nagle) would add a delay to every round trip.
///
/// ```
/// use futures::{SinkExt, StreamExt};
/// use rpc_core::Frame;
/// use rpc_transports::tcp::{self, TcpListener};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let mut client = tcp::connect(listener.local_addr()?).await?;
/// let (mut server, _peer) = listener.accept().await?;
///
/// client.send(Frame::Binary("ping".into())).await?;
/// assert_eq!(server.next().await.unwrap()?, Frame::Binary("ping".into()));
/// # Ok(())
/// # }
/// ```
pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpTransport> {
    connect_with(addr, FramingConfig::default()).await
}

/// Connects to `addr` with the given framing settings; sets `TCP_NODELAY` like [`connect`].
pub async fn connect_with(
    addr: impl ToSocketAddrs,
    config: FramingConfig,
) -> io::Result<TcpTransport> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(FramedTransport::with_config(stream, config))
}

/// Accepts TCP connections, each as its own [`TcpTransport`] (so each gets its own session).
///
/// See [`connect`] for an example.
#[derive(Debug)]
pub struct TcpListener {
    inner: tokio::net::TcpListener,
    config: FramingConfig,
}

impl TcpListener {
    /// Listens on `addr` (use port 0 to let the system choose; see [`local_addr`](Self::local_addr)).
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<Self> {
        Ok(Self::from_tokio(tokio::net::TcpListener::bind(addr).await?))
    }

    /// Wraps an already bound tokio listener, with the default framing settings.
    pub fn from_tokio(listener: tokio::net::TcpListener) -> Self {
        TcpListener {
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
    pub async fn accept(&self) -> io::Result<(TcpTransport, SocketAddr)> {
        futures::future::poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Turns the listener into an endless stream of accepted connections.
    ///
    /// An `Err` item is a failed accept (for example too many open files); the stream goes on
    /// after it, so a server loop can log it and continue.
    pub fn incoming(self) -> TcpIncoming {
        TcpIncoming { listener: self }
    }

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpTransport, SocketAddr)>> {
        let (stream, peer) = ready!(self.inner.poll_accept(cx))?;
        stream.set_nodelay(true)?;
        Poll::Ready(Ok((
            FramedTransport::with_config(stream, self.config),
            peer,
        )))
    }
}

/// The stream of connections returned by [`TcpListener::incoming`]; it never ends.
#[derive(Debug)]
pub struct TcpIncoming {
    listener: TcpListener,
}

impl Stream for TcpIncoming {
    type Item = io::Result<TcpTransport>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.listener
            .poll_accept(cx)
            .map(|accepted| Some(accepted.map(|(transport, _peer)| transport)))
    }
}
