//! The streaming examples (`chat`, `tail`, `console`): their library logic driven in-process
//! over real TCP on 127.0.0.1 here, and the programs themselves as child processes in
//! `stream_examples/programs.rs`.

mod stream_examples {
    pub mod programs;
}

use std::{
    io::Write,
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use examples::{
    chat::{ChatRoomClient, ChatRoomServer, Room},
    console::{self, ConsoleClient, ConsoleImpl, ConsoleServer},
    net::{self, Wire},
    tail::{self, TailClient, TailImpl, TailServer},
};
use futures::StreamExt;
use rpc_core::{RpcStream, Session, Stub};
use rpc_transports::tcp;
use serde::de::DeserializeOwned;
use tests::{INITIAL, eventually, wait_for_stats};

const WAIT: Duration = Duration::from_secs(5);

/// A server session serving `main` and a client session, over one TCP connection.
async fn tcp_pair(main: impl Into<Stub>) -> (Session, Session) {
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

/// The next item of `stream`, which must come within 5 s.
async fn next<T: DeserializeOwned>(stream: &mut RpcStream<T>) -> T {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("an item within 5 s")
        .expect("the stream goes on")
        .expect("no error")
}

/// The next chat message, as the client prints it.
async fn heard(stream: &mut RpcStream<examples::chat::Message>) -> String {
    next(stream).await.to_string()
}

/// Asserts that `stream` ends cleanly within 5 s.
async fn ends<T: DeserializeOwned>(stream: &mut RpcStream<T>) {
    let end = tokio::time::timeout(WAIT, stream.next()).await;
    assert!(matches!(end, Ok(None)), "the stream ended cleanly");
}

#[tokio::test]
async fn chat_members_hear_each_other_and_a_half_close_leaves_cleanly() {
    let room = Room::new();
    let (alice_server, alice) = tcp_pair(ChatRoomServer::new(room.clone())).await;
    let (bob_server, bob) = tcp_pair(ChatRoomServer::new(room.clone())).await;
    let alice_room: ChatRoomClient = alice.main_as();
    let bob_room: ChatRoomClient = bob.main_as();

    let (alice_says, outgoing) = RpcStream::<String>::channel(8);
    let mut alice_hears = alice_room.join("alice", outgoing).await.unwrap();
    assert_eq!(heard(&mut alice_hears).await, "* alice joined");
    let (bob_says, outgoing) = RpcStream::<String>::channel(8);
    let mut bob_hears = bob_room.join("bob", outgoing).await.unwrap();
    assert_eq!(heard(&mut bob_hears).await, "* bob joined");
    assert_eq!(heard(&mut alice_hears).await, "* bob joined");

    // Both directions are open at once: each hears the other while still talking.
    alice_says.send("hi bob".into()).await.unwrap();
    assert_eq!(heard(&mut bob_hears).await, "[alice] hi bob");
    assert_eq!(heard(&mut alice_hears).await, "[alice] hi bob");
    bob_says.send("hi alice".into()).await.unwrap();
    assert_eq!(heard(&mut alice_hears).await, "[bob] hi alice");
    assert_eq!(heard(&mut bob_hears).await, "[bob] hi alice");

    // Alice half-closes: the room announces it, then ends her incoming stream.
    drop(alice_says);
    assert_eq!(heard(&mut alice_hears).await, "* alice left");
    ends(&mut alice_hears).await;
    assert_eq!(heard(&mut bob_hears).await, "* alice left");

    // Bob is still in the room, and leaves the same way.
    bob_says.send("anyone?".into()).await.unwrap();
    assert_eq!(heard(&mut bob_hears).await, "[bob] anyone?");
    drop(bob_says);
    assert_eq!(heard(&mut bob_hears).await, "* bob left");
    ends(&mut bob_hears).await;
    assert_eq!(room.members(), 0);

    drop((alice_hears, bob_hears, alice_room, bob_room));
    for session in [&alice, &bob, &alice_server, &bob_server] {
        wait_for_stats(session, INITIAL).await;
    }
}

#[tokio::test]
async fn the_chat_client_runs_over_websocket_and_exits_after_its_leave() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let room = Room::new();
    let server = tokio::spawn(net::serve(listener, Wire::WebSocket, {
        let room = room.clone();
        move || Session::builder().main(ChatRoomServer::new(room.clone()))
    }));
    let session = net::connect(&addr, Wire::WebSocket).await.unwrap();
    let client: ChatRoomClient = session.main_as();
    let lines = futures::stream::iter(["hello".to_owned(), "bye now".to_owned()]);
    let mut transcript = Vec::new();
    let run =
        examples::chat::run_client(&client, "carol", lines, |m| transcript.push(m.to_string()));
    // The lines end at once (a half-close); the client returns once the room has answered.
    tokio::time::timeout(WAIT, run).await.unwrap().unwrap();
    assert_eq!(
        transcript,
        [
            "* carol joined",
            "[carol] hello",
            "[carol] bye now",
            "* carol left"
        ]
    );
    eventually("carol is gone", || room.members() == 0).await;
    drop(client);
    wait_for_stats(&session, INITIAL).await;
    server.abort();
}

/// A file in the temp directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(contents: &str) -> TempFile {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "capstan-tail-{}-{}.log",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let file = TempFile(std::env::temp_dir().join(name));
        std::fs::write(&file.0, contents).unwrap();
        file
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn append(&self, text: &str) {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.0)
            .unwrap();
        file.write_all(text.as_bytes()).unwrap();
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn tail_follows_a_growing_file_and_a_cancel_stops_its_producer() {
    let file = TempFile::new("one\ntwo\nthr");
    let imp = TailImpl::new(file.path());
    let log = imp.log();
    let (server, client) = tcp_pair(TailServer::new(imp)).await;
    let tail: TailClient = client.main_as();

    let mut lines = tail.follow().await.unwrap();
    assert_eq!(next(&mut lines).await, "one");
    assert_eq!(next(&mut lines).await, "two");
    // "thr" has no newline yet; it arrives whole once it does, with what follows.
    file.append("ee\nfour\n");
    assert_eq!(next(&mut lines).await, "three");
    assert_eq!(next(&mut lines).await, "four");
    drop(lines);

    // A follower that stops after N lines, through the library's client.
    let mut seen = Vec::new();
    let count = tail::run_follower(&tail, Some(3), |line| seen.push(line));
    assert_eq!(tokio::time::timeout(WAIT, count).await.unwrap().unwrap(), 3);
    assert_eq!(seen, ["one", "two", "three"]);

    // Both readers have cancelled while staying connected, so each producer learns at its
    // next write (see `examples::tail`): a new line makes both stop.
    file.append("five\n");
    eventually("both producers stopped", || {
        log.following.load(Ordering::SeqCst) == 0 && log.stopped.load(Ordering::SeqCst) == 2
    })
    .await;
    let sent = log.lines_sent.load(Ordering::SeqCst);
    file.append("six\n");
    tokio::time::sleep(tail::POLL_INTERVAL * 3).await;
    assert_eq!(log.lines_sent.load(Ordering::SeqCst), sent, "nobody polls");

    drop(tail);
    wait_for_stats(&client, INITIAL).await;
    wait_for_stats(&server, INITIAL).await;
}

#[tokio::test]
async fn a_tail_producer_stops_when_its_follower_disconnects() {
    let file = TempFile::new("only\n");
    let imp = TailImpl::new(file.path());
    let log = imp.log();
    let (_server, client) = tcp_pair(TailServer::new(imp)).await;
    let tail: TailClient = client.main_as();
    let mut lines = tail.follow().await.unwrap();
    assert_eq!(next(&mut lines).await, "only");
    // The file stays idle: only the lost connection can tell the producer.
    client.close();
    eventually("the producer stopped", || {
        log.stopped.load(Ordering::SeqCst) == 1 && log.following.load(Ordering::SeqCst) == 0
    })
    .await;
}

#[tokio::test]
async fn the_console_answers_each_line_as_it_arrives_then_says_bye() {
    let (server, client) = tcp_pair(ConsoleServer::new(ConsoleImpl)).await;
    let api: ConsoleClient = client.main_as();
    let (input, lines) = RpcStream::<String>::channel(4);
    let mut results = api.session(lines).await.unwrap();
    // Each result comes back before the next line is sent: the session is interactive.
    for (line, result) in [
        ("add 1 2", "3"),
        ("upper hi", "HI"),
        ("echo x", "x"),
        ("nope", "error: unknown command `nope` (try `help`)"),
        ("add 40 2", "42"),
    ] {
        input.send(line.to_owned()).await.unwrap();
        assert_eq!(next(&mut results).await, result, "for `{line}`");
    }
    drop(input); // half-close, like Ctrl-D
    assert_eq!(next(&mut results).await, console::BYE);
    ends(&mut results).await;

    // The client helper, with all its input at once: results in order.
    let lines = ["add 2 2", "echo a b"].map(str::to_owned);
    let mut printed = Vec::new();
    let run = console::run_client(&api, futures::stream::iter(lines), |r| printed.push(r));
    tokio::time::timeout(WAIT, run).await.unwrap().unwrap();
    assert_eq!(printed, ["4", "a b", console::BYE]);

    drop((results, api));
    wait_for_stats(&client, INITIAL).await;
    wait_for_stats(&server, INITIAL).await;
}
