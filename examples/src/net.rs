//! Listening, serving and connecting for the example programs, over TCP or WebSocket.

use std::{io, sync::Arc};

use rpc_core::{Session, SessionBuilder};
use rpc_transports::{tcp, websocket};
use tokio::net::TcpListener;

/// The transport a program speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// Length-prefixed frames over TCP.
    Tcp,
    /// One message per WebSocket message, at `ws://ADDR/`.
    WebSocket,
}

/// Binds `addr` and prints `LISTENING <port>` on stdout, so a parent process (or a test)
/// learns the port when the address asks for port 0.
pub async fn listen(addr: &str) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(addr).await?;
    println!("LISTENING {}", listener.local_addr()?.port());
    Ok(listener)
}

/// Starts a session configured by `configure` on every connection `listener` accepts; runs
/// until the process ends.
pub async fn serve<F>(listener: TcpListener, wire: Wire, configure: F)
where
    F: Fn() -> SessionBuilder + Send + Sync + 'static,
{
    match wire {
        Wire::Tcp => {
            let incoming = tcp::TcpListener::from_tokio(listener).incoming();
            rpc_core::serve(incoming, configure).await;
        }
        Wire::WebSocket => serve_websocket(listener, Arc::new(configure)).await,
    }
}

async fn serve_websocket<F>(listener: TcpListener, configure: Arc<F>)
where
    F: Fn() -> SessionBuilder + Send + Sync + 'static,
{
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _peer)) => tcp,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        // The handshake gets its own task, so a slow client cannot hold up the next accept.
        let configure = configure.clone();
        tokio::spawn(async move {
            match websocket::accept(tcp).await {
                Ok(transport) => {
                    configure().start(transport);
                }
                Err(e) => tracing::warn!(error = %e, "WebSocket handshake failed"),
            }
        });
    }
}

/// A client session (default settings) connected to `addr` (`HOST:PORT`).
pub async fn connect(addr: &str, wire: Wire) -> io::Result<Session> {
    Ok(match wire {
        Wire::Tcp => Session::builder().start(tcp::connect(addr).await?),
        Wire::WebSocket => {
            Session::builder().start(websocket::connect(&format!("ws://{addr}/")).await?)
        }
    })
}
