//! Echoes every frame it receives on stdin back on stdout, until stdin closes.
//!
//! A test helper for the stdio transport: the parent spawns it with
//! `rpc_transports::stdio::spawn_child` and checks the echoes and the exit status.

use futures::{SinkExt, StreamExt};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut transport = rpc_transports::stdio::stdio();
    while let Some(frame) = transport.next().await {
        transport.send(frame?).await?;
    }
    transport.close().await
}
