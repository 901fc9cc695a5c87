//! The Capstan tour: a server and a client over TCP on 127.0.0.1, showing a plain call, a
//! server→client callback, a returned capability, and a pipelined chain.
//!
//! Run it with `cargo run -p examples --bin demo`.

use std::{
    sync::atomic::{AtomicI64, Ordering},
    time::Duration,
};

use rpc_core::middleware::TraceLayer;
use rpc_core::{Callback, RpcError, Session, rpc_interface};
use rpc_transports::tcp;

/// What the server offers.
#[rpc_interface]
pub trait Hub {
    /// Adds two numbers.
    async fn add(&self, a: i64, b: i64) -> Result<i64, RpcError>;
    /// Sends `count` news items to `inbox`, after returning.
    async fn subscribe(&self, inbox: Callback<String>, count: u32) -> Result<u32, RpcError>;
    /// A new counter, passed back by reference.
    async fn open_counter(&self, start: i64) -> Result<CounterClient, RpcError>;
}

/// A counter that lives on the server.
#[rpc_interface]
pub trait Counter {
    /// Adds `by`; returns the new value.
    async fn increment(&self, by: i64) -> Result<i64, RpcError>;
}

struct HubImpl;
struct CounterImpl(AtomicI64);

impl Hub for HubImpl {
    async fn add(&self, a: i64, b: i64) -> Result<i64, RpcError> {
        Ok(a + b)
    }

    async fn subscribe(&self, inbox: Callback<String>, count: u32) -> Result<u32, RpcError> {
        // Keep the callback and push to it after the call has returned.
        tokio::spawn(async move {
            for i in 1..=count {
                tokio::time::sleep(Duration::from_millis(20)).await;
                if inbox.call(format!("news item {i}")).await.is_err() {
                    break;
                }
            }
        });
        Ok(count)
    }

    async fn open_counter(&self, start: i64) -> Result<CounterClient, RpcError> {
        Ok(CounterClient::local(CounterImpl(AtomicI64::new(start))))
    }
}

impl Counter for CounterImpl {
    async fn increment(&self, by: i64) -> Result<i64, RpcError> {
        Ok(self.0.fetch_add(by, Ordering::SeqCst) + by)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::init_tracing();

    // The server: every connection gets its own session with a fresh `Hub`, each call traced
    // (`RUST_LOG=info` shows a `rpc.call` span per call, with its outcome and duration).
    let listener = tcp::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(rpc_core::serve(listener.incoming(), || {
        Session::builder()
            .main(HubServer::new(HubImpl))
            .layer(TraceLayer::new())
    }));
    println!("server: listening on {addr}");

    // The client.
    let session = Session::builder().start(tcp::connect(addr).await?);
    let hub: HubClient = session.main_as();
    println!("client: connected");

    println!("\n1. A plain call");
    println!("   add(2, 3) = {}", hub.add(2, 3).await?);

    println!("\n2. A server→client callback, called after the call returned");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let inbox = Callback::new(move |item: String| {
        let _ = tx.send(item);
        async { Ok(()) }
    });
    let promised = hub.subscribe(inbox, 3).await?;
    println!("   subscribe returned {promised}; now the server pushes:");
    for _ in 0..promised {
        let item = rx.recv().await.ok_or("the server stopped pushing")?;
        println!("   <- {item}");
    }

    println!("\n3. A returned capability");
    let counter = hub.open_counter(10).await?;
    println!("   counter.increment(5) = {}", counter.increment(5).await?);
    println!("   counter.increment(5) = {}", counter.increment(5).await?);

    println!("\n4. A pipelined chain: open_counter(100).increment(1) in one round trip");
    let value = hub.open_counter(100).increment(1).await?;
    println!("   = {value}");
    let sum = hub.add(hub.add(1, 2), hub.add(3, 4)).await?;
    println!("   add(add(1, 2), add(3, 4)) = {sum}, also one round trip");

    drop((counter, hub));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let stats = session.stats();
    println!(
        "\nclient tables after dropping everything: {} import(s), {} export(s)",
        stats.imports, stats.exports
    );
    session.close();
    Ok(())
}
