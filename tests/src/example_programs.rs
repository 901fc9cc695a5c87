//! The example programs (the streaming ones, the topologies, the browser example's server and
//! the `capstan` command line) as child processes: built once with the cargo running the tests,
//! run with stdin, stdout and stderr piped, every wait bounded, and killed when dropped (a
//! failing assertion included).

use std::{
    collections::HashMap,
    io::Read,
    path::PathBuf,
    process::{Command as StdCommand, Stdio},
    sync::OnceLock,
    thread,
    time::{Duration, Instant},
};

use tokio::{
    io::AsyncWriteExt,
    process::{ChildStdin, Command},
};

use crate::interop::{ChildProcess, Finished, setup::workspace_root};

/// The programs built together, on first use (`capstan` is the command-line client).
const PROGRAMS: [&str; 9] = [
    "chat", "tail", "console", "reverse", "relay", "plugins", "pubsub", "browser", "capstan",
];
/// How long building them may take (normally a link: their library is already built).
const BUILD_DEADLINE: Duration = Duration::from_secs(600);

/// The path of the example program `name` (one of `PROGRAMS`). Blocks while
/// cargo builds them, the first time; async tests go through [`Program::start`].
pub fn example_binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<HashMap<String, PathBuf>, String>> = OnceLock::new();
    match BUILT.get_or_init(build_programs) {
        Ok(paths) => paths
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not one of {PROGRAMS:?}"))
            .clone(),
        Err(e) => panic!("cannot build the example programs: {e}"),
    }
}

fn build_programs() -> Result<HashMap<String, PathBuf>, String> {
    let mut cargo = StdCommand::new(env!("CARGO"));
    cargo.args(["build", "-p", "examples", "--message-format=json"]);
    for name in PROGRAMS {
        cargo.args(["--bin", name]);
    }
    let mut child = cargo
        .current_dir(workspace_root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start cargo: {e}"))?;
    // Drain the pipes on threads, so cargo never blocks on a full pipe.
    let stdout = drain(child.stdout.take().expect("piped"));
    let stderr = drain(child.stderr.take().expect("piped"));
    let deadline = Instant::now() + BUILD_DEADLINE;
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if Instant::now() < deadline => thread::sleep(Duration::from_millis(50)),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("cargo build took more than {BUILD_DEADLINE:?}"));
            }
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    if !status.success() {
        let stderr = stderr.join().unwrap_or_default();
        return Err(format!("cargo build exited with {status}:\n{stderr}"));
    }
    let mut paths = HashMap::new();
    for message in stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
    {
        let name = message["target"]["name"].as_str().unwrap_or_default();
        if let (true, Some(exe)) = (PROGRAMS.contains(&name), message["executable"].as_str()) {
            paths.insert(name.to_owned(), PathBuf::from(exe));
        }
    }
    match PROGRAMS.iter().find(|name| !paths.contains_key(**name)) {
        Some(missing) => Err(format!("cargo build reported no executable for {missing}")),
        None => Ok(paths),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// A running example program, with its stdin. Dropping it kills the program.
pub struct Program {
    process: ChildProcess,
    stdin: Option<ChildStdin>,
}

impl Program {
    /// Starts example `program` with `args`, logging at `info` to its stderr.
    pub async fn start(program: &str, args: &[&str]) -> Program {
        let owned = program.to_owned();
        let path = tokio::task::spawn_blocking(move || example_binary(&owned))
            .await
            .expect("the build does not panic");
        let mut command = Command::new(path);
        command
            .args(args)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1");
        let name = format!("{program} {}", args.join(" "));
        let (process, stdin) = ChildProcess::spawn_with_stdin(&name, command);
        Program {
            process,
            stdin: Some(stdin),
        }
    }

    /// Writes one line to the program's stdin.
    pub async fn write_line(&mut self, line: &str) {
        let name = self.process.name().to_owned();
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        let written = async {
            stdin.write_all(format!("{line}\n").as_bytes()).await?;
            stdin.flush().await
        };
        tokio::time::timeout(Duration::from_secs(5), written)
            .await
            .unwrap_or_else(|_| panic!("{name} took no input for 5 s"))
            .unwrap_or_else(|e| panic!("writing to {name}: {e}"));
    }

    /// Closes the program's stdin: it sees end of input.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The next line the program prints, waiting at most `within`.
    pub async fn next_line(&mut self, within: Duration) -> String {
        self.process.next_line(within).await
    }

    /// Waits (at most `within`) for the line `want`, skipping any others.
    pub async fn expect_line(&mut self, want: &str, within: Duration) {
        self.process.expect_line(want, within).await
    }

    /// Waits (at most `within`) for `LISTENING <port>` and returns the port.
    pub async fn listening_port(&mut self, within: Duration) -> u16 {
        self.process.listening_port(within).await
    }

    /// Waits (at most `within`) until the program's stderr contains `text`.
    pub async fn expect_stderr(&self, text: &str, within: Duration) {
        self.process.expect_stderr(text, within).await
    }

    /// The process ID, while it runs.
    pub fn id(&self) -> Option<u32> {
        self.process.id()
    }

    /// Waits (at most `within`) for the program to exit (its stdin closed first), killing it at
    /// the deadline.
    pub async fn finish(mut self, within: Duration) -> Finished {
        self.stdin = None;
        self.process.finish(within).await
    }
}
