//! A gateway: client A registers a capability at a relay; client B looks it up and calls it,
//! and each call goes B→relay→A. Relay and both clients run in this process, over TCP on
//! 127.0.0.1.
//!
//! Run it with `cargo run -p examples --bin relay`.

use examples::relay::{Greeter, RelayClient, RelayImpl, RelayServer, ServiceClient};
use rpc_core::Session;
use rpc_transports::tcp;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::init_tracing();

    let listener = tcp::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let relay = RelayImpl::new();
    tokio::spawn(rpc_core::serve(listener.incoming(), {
        let relay = relay.clone();
        move || Session::builder().main(RelayServer::new(relay.clone()))
    }));
    println!("relay: listening on {addr}");

    // A publishes a service it owns.
    let a = Session::builder().start(tcp::connect(addr).await?);
    let greeter = Greeter {
        owner: "alice".into(),
        ..Greeter::default()
    };
    let a_relay: RelayClient = a.main_as();
    a_relay
        .register("greeter", ServiceClient::local(greeter.clone()))
        .await?;
    println!("alice: registered `greeter` at the relay");

    // B finds it and calls it; the call travels B→relay→A and the answer comes back.
    let b = Session::builder().start(tcp::connect(addr).await?);
    let b_relay: RelayClient = b.main_as();
    let service = b_relay.lookup("greeter").await?;
    println!("bob: {}", service.handle("bob").await?);
    println!(
        "alice: handled {} request(s) for others",
        greeter.handled.load(std::sync::atomic::Ordering::SeqCst)
    );

    // When A leaves, B's reference breaks with A's connection.
    a.close();
    match service.handle("bob again").await {
        Ok(answer) => println!("bob: unexpectedly got {answer}"),
        Err(e) => println!("bob: after alice left: {e}"),
    }
    Ok(())
}
