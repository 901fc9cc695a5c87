//! `TestServer`: a calculator served on 127.0.0.1 by an `rpc_core::Server`, over TCP or
//! WebSocket, one session per connection.

use std::net::SocketAddr;

use rpc_core::{Limits, Server, Session, SessionBuilder, codec::Json};
use rpc_transports::{FramingConfig, tcp, websocket};
use tokio::task::JoinHandle;

use super::{PATIENCE, RawConn, panics};
use crate::{CalculatorClient, CalculatorImpl, CalculatorServer, eventually};

/// The codec a server (and its well-behaved clients) speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// Capnweb JSON only.
    Json,
    /// The default codec: MessagePack, or JSON when the peer speaks it.
    Auto,
}

impl Wire {
    /// A session builder speaking this codec.
    pub fn builder(self) -> SessionBuilder {
        match self {
            Wire::Json => Session::builder().codec(Json),
            Wire::Auto => Session::builder(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tcp,
    WebSocket,
}

/// A calculator server accepting many connections. Dropping it stops accepting.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The server, for its connection count.
    pub server: Server,
    /// The implementation every connection's main object shares.
    pub imp: CalculatorImpl,
    wire: Wire,
    kind: Kind,
    framing: FramingConfig,
    accepting: JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl TestServer {
    /// A TCP server with default limits.
    pub async fn tcp(wire: Wire) -> Self {
        Self::tcp_with(
            wire,
            Server::new(),
            Limits::default(),
            FramingConfig::default(),
        )
        .await
    }

    /// A TCP server with the given server, session limits and framing.
    pub async fn tcp_with(
        wire: Wire,
        server: Server,
        limits: Limits,
        framing: FramingConfig,
    ) -> Self {
        panics::watch();
        let listener = tcp::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1")
            .with_config(framing);
        let addr = listener.local_addr().expect("local address");
        let imp = CalculatorImpl::default();
        let configure = configure(wire, limits, imp.clone());
        let accepting = tokio::spawn({
            let server = server.clone();
            async move { server.serve(listener.incoming(), configure).await }
        });
        TestServer {
            addr,
            server,
            imp,
            wire,
            kind: Kind::Tcp,
            framing,
            accepting,
        }
    }

    /// A WebSocket server (`websocket::accept` on each TCP connection) with default limits.
    pub async fn websocket(wire: Wire) -> Self {
        Self::websocket_with(wire, Limits::default(), FramingConfig::default()).await
    }

    /// A WebSocket server with the given session limits and message size limit.
    pub async fn websocket_with(wire: Wire, limits: Limits, framing: FramingConfig) -> Self {
        panics::watch();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        // Handshakes run one at a time; a failed one is an `Err` the server logs and skips.
        let incoming = futures::stream::unfold(listener, move |listener| async move {
            let accepted = match listener.accept().await {
                Ok((tcp, _)) => websocket::accept_with(tcp, framing).await,
                Err(e) => Err(e),
            };
            Some((accepted, listener))
        });
        let imp = CalculatorImpl::default();
        let configure = configure(wire, limits, imp.clone());
        let server = Server::new();
        let accepting = tokio::spawn({
            let server = server.clone();
            async move { server.serve(incoming, configure).await }
        });
        TestServer {
            addr,
            server,
            imp,
            wire,
            kind: Kind::WebSocket,
            framing,
            accepting,
        }
    }

    fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    /// A raw connection to the server.
    pub async fn raw(&self) -> RawConn {
        let connect = async {
            match self.kind {
                Kind::Tcp => RawConn::new(tcp::connect(self.addr).await.expect("connect")),
                Kind::WebSocket => {
                    // Our own frames may exceed the server's limit: the client's must not stop them.
                    let big = FramingConfig::default().with_max_frame_bytes(1 << 30);
                    RawConn::new(websocket::connect_with(&self.url(), big).await.expect("ws"))
                }
            }
        };
        tokio::time::timeout(PATIENCE, connect)
            .await
            .expect("connected in time")
    }

    /// A well-behaved client session on a new connection.
    pub async fn client(&self) -> Session {
        let connect = async {
            match self.kind {
                Kind::Tcp => {
                    let t = tcp::connect_with(self.addr, self.framing)
                        .await
                        .expect("connect");
                    self.wire.builder().start(t)
                }
                Kind::WebSocket => {
                    let t = websocket::connect_with(&self.url(), self.framing)
                        .await
                        .expect("ws connect");
                    self.wire.builder().start(t)
                }
            }
        };
        tokio::time::timeout(PATIENCE, connect)
            .await
            .expect("connected in time")
    }

    /// After a hostile input: a fresh well-behaved client still gets answers, every earlier
    /// connection is gone from the server (none hangs on), and nothing panicked.
    pub async fn assert_healthy(&self, case: &str) {
        let client = self.client().await;
        let calc: CalculatorClient = client.main_as();
        let sum = tokio::time::timeout(PATIENCE, calc.add(20, 22))
            .await
            .unwrap_or_else(|_| panic!("[{case}] a fresh client got no answer: the server hangs"))
            .unwrap_or_else(|e| panic!("[{case}] a fresh client's call failed: {e}"));
        assert_eq!(sum, 42, "[{case}]");
        drop(calc);
        client.close();
        let server = self.server.clone();
        eventually(&format!("[{case}] every connection to end"), || {
            server.connections() == 0
        })
        .await;
        assert_eq!(panics::on_this_thread(), 0, "[{case}] something panicked");
    }
}

fn configure(
    wire: Wire,
    limits: Limits,
    imp: CalculatorImpl,
) -> impl Fn() -> SessionBuilder + Send + 'static {
    move || {
        wire.builder()
            .limits(limits.clone())
            .main(CalculatorServer::new(imp.clone()))
    }
}
