//! The topology examples (`reverse`, `relay`, `plugins`, `pubsub`): their library logic driven
//! in-process over real TCP on 127.0.0.1, and each program run once as a child process.

use std::{sync::atomic::Ordering, time::Duration};

use examples::{
    plugins::{KINDS, PluginProcess},
    pubsub::{BrokerClient, BrokerImpl, BrokerServer, inbox},
    relay::{Greeter, RelayClient, RelayImpl, RelayServer, ServiceClient},
    reverse::{AgentClient, HubImpl, HubServer, Registry, run_agent},
};
use rpc_core::{ErrorKind, Session, SessionBuilder, TypedStub};
use rpc_transports::tcp;
use tests::{
    INITIAL, eventually,
    example_programs::{Program, example_binary},
    wait_for_stats,
};

const WAIT: Duration = Duration::from_secs(5);

/// A listener on 127.0.0.1 serving `configure`d sessions, and its address. The server's
/// sessions are reachable through `Session::current()` only, so tests watch client tables.
async fn serve(configure: impl Fn() -> SessionBuilder + Send + 'static) -> std::net::SocketAddr {
    let listener = tcp::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(rpc_core::serve(listener.incoming(), configure));
    addr
}

/// A server session serving `main` and a client session, over one TCP connection.
async fn tcp_pair(main: impl Into<rpc_core::Stub>) -> (Session, Session) {
    let listener = tcp::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let connecting = tcp::connect(listener.local_addr().unwrap());
    let (client, accepted) = tokio::time::timeout(WAIT, async {
        futures::join!(connecting, listener.accept())
    })
    .await
    .expect("connected within 5 s");
    let server = Session::builder().main(main).start(accepted.unwrap().0);
    (server, Session::builder().start(client.unwrap()))
}

async fn client(addr: std::net::SocketAddr) -> Session {
    let transport = tokio::time::timeout(WAIT, tcp::connect(addr))
        .await
        .unwrap()
        .unwrap();
    Session::builder().start(transport)
}

#[tokio::test]
async fn the_hub_calls_agents_that_dialed_in_and_forgets_them_when_they_leave() {
    let registry = Registry::new();
    let addr = serve({
        let registry = registry.clone();
        move || Session::builder().main(HubServer::new(HubImpl::new(registry.clone())))
    })
    .await;
    let a = run_agent(tcp::connect(addr).await.unwrap(), "a")
        .await
        .unwrap();
    let b = run_agent(tcp::connect(addr).await.unwrap(), "b")
        .await
        .unwrap();
    assert_eq!(registry.names(), ["a", "b"]);

    // The hub is the caller; each agent's own main object answers.
    let agent_a: AgentClient = registry.agent("a").unwrap();
    assert_eq!(agent_a.run("hostname").await.unwrap(), "a");
    assert_eq!(
        registry.agent("b").unwrap().run("uptime").await.unwrap(),
        "b: up 3 days"
    );
    // A second agent under a taken name is refused.
    let err = run_agent(tcp::connect(addr).await.unwrap(), "a")
        .await
        .unwrap_err();
    assert!(err.message().contains("already"), "{err}");

    // The agent hangs up: the hub's stub reports it, and the registry forgets it.
    a.close();
    eventually("agent a left the registry", || registry.names() == ["b"]).await;
    let lost = agent_a
        .as_stub()
        .broken_error()
        .expect("a's stub is broken");
    assert_eq!(lost.kind(), ErrorKind::Disconnected, "{lost}");
    drop(b);
}

#[tokio::test]
async fn calls_reach_a_registered_capability_through_the_relay() {
    let relay = RelayImpl::new();
    let addr = serve({
        let relay = relay.clone();
        move || Session::builder().main(RelayServer::new(relay.clone()))
    })
    .await;
    let (a, b) = (client(addr).await, client(addr).await);
    let greeter = Greeter {
        owner: "alice".into(),
        ..Greeter::default()
    };
    a.main_as::<RelayClient>()
        .register("greeter", ServiceClient::local(greeter.clone()))
        .await
        .unwrap();
    assert_eq!(relay.names(), ["greeter"]);

    let service = b.main_as::<RelayClient>().lookup("greeter").await.unwrap();
    // B holds a remote stub (from the relay), never a direct line to A.
    assert!(!service.as_stub().is_local());
    for _ in 0..3 {
        assert_eq!(
            service.handle("bob").await.unwrap(),
            "alice says hello to bob"
        );
    }
    assert_eq!(
        greeter.handled.load(Ordering::SeqCst),
        3,
        "A ran every call"
    );
    let missing = b
        .main_as::<RelayClient>()
        .lookup("nobody")
        .await
        .unwrap_err();
    assert!(missing.message().contains("no service"), "{missing}");

    // A leaves: the relay drops the entry, and B's calls fail with A's lost connection while
    // B's own session to the relay goes on.
    a.close();
    eventually("the relay forgot greeter", || relay.names().is_empty()).await;
    let err = service.handle("bob").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Disconnected, "{err}");
    assert!(b.broken_error().is_none());
    drop(service);
    wait_for_stats(&b, INITIAL).await;
}

#[tokio::test]
async fn subscribers_hear_publishes_and_dropping_the_subscription_unsubscribes() {
    // Explicit pairs, so the broker's side of each connection can be checked too.
    let broker = BrokerImpl::new();
    let mut servers = Vec::new();
    let mut clients = Vec::new();
    for _ in 0..3 {
        let (server, client) = tcp_pair(BrokerServer::new(broker.clone())).await;
        servers.push(server);
        clients.push(client);
    }
    let [ann, bob, publisher] = <[Session; 3]>::try_from(clients).unwrap();
    let (ann_inbox, mut ann_events) = inbox();
    let (bob_inbox, mut bob_events) = inbox();
    let ann_sub = ann
        .main_as::<BrokerClient>()
        .subscribe("news", ann_inbox)
        .await
        .unwrap();
    let bob_sub = bob
        .main_as::<BrokerClient>()
        .subscribe("news", bob_inbox)
        .await
        .unwrap();
    let (other_inbox, _other_events) = inbox();
    let other_sub = bob
        .main_as::<BrokerClient>()
        .subscribe("sport", other_inbox)
        .await
        .unwrap();
    assert_eq!(broker.subscribers(), 3);
    assert_eq!(ann_sub.topic().await.unwrap(), "news");

    let publish = publisher.main_as::<BrokerClient>();
    assert_eq!(publish.publish("news", "one").await.unwrap(), 2);
    for events in [&mut ann_events, &mut bob_events] {
        let event = tokio::time::timeout(WAIT, events.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((event.topic.as_str(), event.body.as_str()), ("news", "one"));
    }

    // Dropping the subscription is unsubscribing: released, removed, and the callback released.
    drop(ann_sub);
    eventually("ann unsubscribed", || broker.subscribers() == 2).await;
    assert_eq!(publish.publish("news", "two").await.unwrap(), 1);
    assert_eq!(
        tokio::time::timeout(WAIT, bob_events.recv())
            .await
            .unwrap()
            .unwrap()
            .body,
        "two"
    );
    assert!(
        ann_events.try_recv().is_err(),
        "ann heard nothing after leaving"
    );
    wait_for_stats(&ann, INITIAL).await;

    drop((bob_sub, other_sub));
    eventually("no subscribers", || broker.subscribers() == 0).await;
    drop(publish);
    for session in [&ann, &bob, &publisher].into_iter().chain(&servers) {
        wait_for_stats(session, INITIAL).await;
    }
}

#[tokio::test]
async fn the_host_calls_plugin_processes_over_stdio() {
    let program = tokio::task::spawn_blocking(|| example_binary("plugins"))
        .await
        .unwrap();
    let mut plugins = Vec::new();
    for kind in KINDS {
        plugins.push(PluginProcess::spawn(&program, kind).unwrap());
    }
    let mut pids = Vec::new();
    for (p, want) in plugins.iter().zip(["HELLO", "olleh", "5 chars"]) {
        let described = tokio::time::timeout(WAIT, p.plugin.describe())
            .await
            .unwrap()
            .unwrap();
        pids.push(described.split("pid ").nth(1).unwrap().to_owned());
        assert_eq!(p.plugin.apply("hello").await.unwrap(), want);
    }
    pids.sort();
    pids.dedup();
    assert_eq!(pids.len(), KINDS.len(), "one process per plugin");
    for p in plugins {
        assert!(p.stop(WAIT).await, "the plugin exits when the host closes");
    }
}

/// Runs `program` with no arguments and expects it to exit cleanly having printed `lines`.
async fn runs(program: &str, lines: &[&str]) {
    let finished = Program::start(program, &[])
        .await
        .finish(Duration::from_secs(20))
        .await;
    assert!(finished.succeeded(), "{}", finished.describe());
    for line in lines {
        assert!(
            finished.stdout.contains(line),
            "no `{line}` in\n{}",
            finished.describe()
        );
    }
}

#[tokio::test]
async fn the_topology_programs_run() {
    runs(
        "reverse",
        &[
            "hub -> agent-a: uptime = agent-a: up 3 days",
            "still connected: agent-b",
        ],
    )
    .await;
    runs(
        "relay",
        &["bob: alice says hello to bob", "handled 1 request(s)"],
    )
    .await;
    runs("pubsub", &["reached 2 subscriber(s)", "`news` reached 1"]).await;
    runs(
        "plugins",
        &["count (pid", "= CAPSTAN", "3 plugin(s) exited cleanly"],
    )
    .await;
}
