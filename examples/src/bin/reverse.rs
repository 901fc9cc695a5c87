//! Server→client calls: an agent behind NAT dials the hub, serves its own main object over
//! the connection it opened, and the hub calls it. Hub and two agents run in this process,
//! over TCP on 127.0.0.1.
//!
//! Run it with `cargo run -p examples --bin reverse`.

use std::time::Duration;

use examples::reverse::{HubImpl, HubServer, Registry, run_agent};
use rpc_core::Session;
use rpc_transports::tcp;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::init_tracing();

    // The hub listens; every connection gets a `Hub` that adds its agent to the registry.
    let listener = tcp::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let registry = Registry::new();
    tokio::spawn(rpc_core::serve(listener.incoming(), {
        let registry = registry.clone();
        move || Session::builder().main(HubServer::new(HubImpl::new(registry.clone())))
    }));
    println!("hub: listening on {addr}");

    // The agents dial out; nobody ever dials them.
    let mut agents = Vec::new();
    for name in ["agent-a", "agent-b"] {
        agents.push(run_agent(tcp::connect(addr).await?, name).await?);
        println!("{name}: connected to the hub and registered");
    }

    // The hub calls each agent through the connection the agent opened.
    for name in registry.names() {
        let agent = registry.agent(&name).ok_or("the agent left")?;
        println!("hub -> {name}: uptime = {}", agent.run("uptime").await?);
    }

    // An agent that disconnects leaves the registry.
    agents.remove(0).close();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while registry.names().len() != 1 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!(
        "hub: agents still connected: {}",
        registry.names().join(", ")
    );
    Ok(())
}
