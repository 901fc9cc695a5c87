//! The example programs themselves, as child processes on 127.0.0.1: stdin in, stdout checked,
//! every wait bounded, every process killed if the test fails.

use std::time::Duration;

use tests::example_programs::Program;

use crate::TempFile;

/// For starting up (the first test may wait for cargo to link the programs; that wait has
/// its own deadline) and for each expected line.
const WAIT: Duration = Duration::from_secs(10);

/// A server program started on port 0, and the `127.0.0.1:<port>` it printed.
async fn server(program: &str, args: &[&str]) -> (Program, String) {
    let mut server = Program::start(program, args).await;
    let port = server.listening_port(WAIT).await;
    (server, format!("127.0.0.1:{port}"))
}

/// Asserts that `program` exits by itself with code 0 within `WAIT`.
async fn exits_cleanly(program: Program) -> String {
    let finished = program.finish(WAIT).await;
    assert!(finished.succeeded(), "{}", finished.describe());
    finished.stdout
}

#[tokio::test]
async fn chat_programs_talk_and_leave_on_end_of_input() {
    let (_server, addr) = server("chat", &["server", "127.0.0.1:0"]).await;
    let mut alice = Program::start("chat", &["client", &addr, "alice"]).await;
    alice.expect_line("* alice joined", WAIT).await;
    let mut bob = Program::start("chat", &["client", &addr, "bob"]).await;
    bob.expect_line("* bob joined", WAIT).await;
    alice.expect_line("* bob joined", WAIT).await;

    alice.write_line("hello from alice").await;
    bob.expect_line("[alice] hello from alice", WAIT).await;
    bob.write_line("hello from bob").await;
    alice.expect_line("[bob] hello from bob", WAIT).await;

    // End of input leaves the room; the client exits once its incoming stream has ended.
    alice.close_stdin();
    bob.expect_line("* alice left", WAIT).await;
    let alice_saw = exits_cleanly(alice).await;
    assert!(alice_saw.ends_with("* alice left\n"), "{alice_saw}");
    bob.close_stdin();
    exits_cleanly(bob).await;
}

#[tokio::test]
async fn chat_programs_speak_websocket_with_ws() {
    let (_server, addr) = server("chat", &["--ws", "server", "127.0.0.1:0"]).await;
    let mut dave = Program::start("chat", &["--ws", "client", &addr, "dave"]).await;
    dave.expect_line("* dave joined", WAIT).await;
    dave.write_line("over websocket").await;
    dave.expect_line("[dave] over websocket", WAIT).await;
    dave.close_stdin();
    dave.expect_line("* dave left", WAIT).await;
    exits_cleanly(dave).await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_chat_server_shuts_down_cleanly_on_ctrl_c() {
    let (server, addr) = server("chat", &["server", "127.0.0.1:0"]).await;
    let mut erin = Program::start("chat", &["client", &addr, "erin"]).await;
    erin.expect_line("* erin joined", WAIT).await;

    // Ctrl-C is SIGINT. Erin's stdin stays open: the server's shutdown is what ends her.
    let pid = server.id().expect("the server runs").to_string();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    erin.expect_line("* the server is shutting down", WAIT)
        .await;
    exits_cleanly(erin).await;
    let finished = server.finish(WAIT).await;
    assert!(finished.succeeded(), "{}", finished.describe());
    assert!(
        finished.stderr.contains("shutting down"),
        "{}",
        finished.describe()
    );
}

#[tokio::test]
async fn tail_follow_prints_n_lines_then_cancels() {
    let file = TempFile::new("alpha\nbeta\n");
    let path = file.path().to_str().expect("a UTF-8 temp path").to_owned();
    let (server, addr) = server("tail", &["serve", "127.0.0.1:0", &path]).await;

    let mut follower = Program::start("tail", &["follow", &addr, "--lines", "3"]).await;
    follower.expect_line("alpha", WAIT).await;
    follower.expect_line("beta", WAIT).await;
    // The third line is written after the follower is already reading.
    file.append("gamma\ndelta\n");
    follower.expect_line("gamma", WAIT).await;
    let printed = exits_cleanly(follower).await;
    assert_eq!(printed, "alpha\nbeta\ngamma\n");
    server.expect_stderr("stopped polling", WAIT).await;
}

#[tokio::test]
async fn the_console_program_answers_as_lines_arrive_and_says_bye_on_eof() {
    let (_server, addr) = server("console", &["serve", "127.0.0.1:0"]).await;
    let mut client = Program::start("console", &["connect", &addr]).await;
    // One line at a time: each answer arrives while the input is still open.
    client.write_line("add 1 2").await;
    assert_eq!(client.next_line(WAIT).await, "3");
    client.write_line("upper hi").await;
    assert_eq!(client.next_line(WAIT).await, "HI");
    client.write_line("echo x").await;
    assert_eq!(client.next_line(WAIT).await, "x");
    client.write_line("what").await;
    assert!(client.next_line(WAIT).await.starts_with("error: "));
    client.close_stdin();
    assert_eq!(client.next_line(WAIT).await, "bye");
    exits_cleanly(client).await;
}
