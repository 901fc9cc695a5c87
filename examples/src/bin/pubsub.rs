//! Publish/subscribe with callbacks: subscribers pass a callback and keep the subscription
//! capability; dropping it unsubscribes. Broker, two subscribers and a publisher run in this
//! process, over TCP on 127.0.0.1.
//!
//! Run it with `cargo run -p examples --bin pubsub`.

use std::time::Duration;

use examples::pubsub::{BrokerClient, BrokerImpl, BrokerServer, inbox};
use rpc_core::Session;
use rpc_transports::tcp;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::init_tracing();

    let listener = tcp::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let broker = BrokerImpl::new();
    tokio::spawn(rpc_core::serve(listener.incoming(), {
        let broker = broker.clone();
        move || Session::builder().main(BrokerServer::new(broker.clone()))
    }));
    println!("broker: listening on {addr}");

    let mut connections = Vec::new();
    let mut connect = async || -> Result<BrokerClient, Box<dyn std::error::Error>> {
        let session = Session::builder().start(tcp::connect(addr).await?);
        let client = session.main_as();
        connections.push(session);
        Ok(client)
    };
    let (ann, bob, publisher) = (connect().await?, connect().await?, connect().await?);

    let (ann_inbox, mut ann_events) = inbox();
    let (bob_inbox, mut bob_events) = inbox();
    let ann_sub = ann.subscribe("news", ann_inbox).await?;
    let bob_sub = bob.subscribe("news", bob_inbox).await?;
    println!("ann, bob: subscribed to `{}`", ann_sub.topic().await?);

    let reached = publisher.publish("news", "hello, subscribers").await?;
    println!("publisher: `news` reached {reached} subscriber(s)");
    for (name, events) in [("ann", &mut ann_events), ("bob", &mut bob_events)] {
        let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await?
            .ok_or("the inbox closed")?;
        println!("{name} <- #{} {}: {}", event.seq, event.topic, event.body);
    }

    // Unsubscribing is dropping the capability; the broker forgets ann once it is released.
    drop(ann_sub);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while broker.subscribers() != 1 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let reached = publisher.publish("news", "bob only").await?;
    println!("publisher: after ann dropped her subscription, `news` reached {reached}");
    drop(bob_sub);
    for session in connections {
        session.close();
    }
    Ok(())
}
