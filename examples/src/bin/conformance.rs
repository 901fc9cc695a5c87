//! The conformance peer: `Conformance` (see `shared/conformance.md`) for capnweb to test against.
//!
//! - `conformance serve ADDR`: serves it at `ws://ADDR/rpc` (WebSocket) and `POST
//!   http://ADDR/rpc` (HTTP batch), printing `LISTENING <port>` once it accepts connections.
//! - `conformance connect URL`: connects to a WebSocket server and offers it as this side's main
//!   object, until the server closes the connection.

use examples::conformance::{ConformanceImpl, ConformanceServer};
use rpc_core::{Session, codec::Json};
use rpc_transports::{http_batch, websocket};

#[tokio::main]
async fn main() {
    examples::init_tracing();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["serve", addr] => serve(addr).await,
        ["connect", url] => connect(url).await,
        _ => {
            eprintln!("usage: conformance serve ADDR | conformance connect URL");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("conformance: {e}");
        std::process::exit(1);
    }
}

async fn serve(addr: &str) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("LISTENING {}", listener.local_addr()?.port());
    http_batch::serve(listener, || ConformanceServer::new(ConformanceImpl)).await;
    Ok(())
}

async fn connect(url: &str) -> std::io::Result<()> {
    let transport = websocket::connect(url).await?;
    let session = Session::builder()
        .codec(Json)
        .main(ConformanceServer::new(ConformanceImpl))
        .start(transport);
    let reason = session.closed().await;
    tracing::info!(%reason, "the server closed the connection");
    Ok(())
}
