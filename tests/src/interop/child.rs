//! External processes for the interop tests: output captured, every wait bounded, and the
//! process killed when its handle is dropped (a failing assertion included).

use std::{
    process::{ExitStatus, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader},
    process::{Child, ChildStdin, Command},
    sync::mpsc,
    task::JoinHandle,
};

/// A running program. Dropping it kills the program (`kill_on_drop`).
pub struct ChildProcess {
    name: String,
    child: Child,
    stdout_lines: mpsc::UnboundedReceiver<String>,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

/// How a program ended, and everything it printed.
#[derive(Debug)]
pub struct Finished {
    /// The program's name, for messages.
    pub name: String,
    /// The exit status; `None` when it overran its deadline and was killed.
    pub status: Option<ExitStatus>,
    /// Everything it wrote to stdout.
    pub stdout: String,
    /// Everything it wrote to stderr.
    pub stderr: String,
}

impl Finished {
    /// True when the program exited by itself with code 0.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// The exit and both outputs, for a failure message.
    pub fn describe(&self) -> String {
        let how = match self.status {
            Some(status) => format!("exited with {status}"),
            None => "overran its deadline and was killed".to_owned(),
        };
        format!(
            "{} {how}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.name, self.stdout, self.stderr
        )
    }
}

impl ChildProcess {
    /// Starts `command` with stdout and stderr captured. Panics if it cannot start.
    pub fn spawn(name: &str, mut command: Command) -> ChildProcess {
        command.stdin(Stdio::null());
        Self::spawn_configured(name, command).0
    }

    /// Like [`ChildProcess::spawn`], with the program's stdin piped to the caller.
    pub fn spawn_with_stdin(name: &str, mut command: Command) -> (ChildProcess, ChildStdin) {
        command.stdin(Stdio::piped());
        let (process, stdin) = Self::spawn_configured(name, command);
        (process, stdin.expect("piped stdin"))
    }

    fn spawn_configured(name: &str, mut command: Command) -> (ChildProcess, Option<ChildStdin>) {
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (lines_tx, stdout_lines) = mpsc::unbounded_channel();
        let readers = vec![
            tokio::spawn(collect(
                child.stdout.take().expect("piped stdout"),
                stdout.clone(),
                Some(lines_tx),
            )),
            tokio::spawn(collect(
                child.stderr.take().expect("piped stderr"),
                stderr.clone(),
                None,
            )),
        ];
        let stdin = child.stdin.take();
        let process = ChildProcess {
            name: name.to_owned(),
            child,
            stdout_lines,
            stdout,
            stderr,
            readers,
        };
        (process, stdin)
    }

    /// The program's name, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next line the program prints, waiting at most `within`.
    pub async fn next_line(&mut self, within: Duration) -> String {
        match tokio::time::timeout(within, self.stdout_lines.recv()).await {
            Ok(Some(line)) => line,
            Ok(None) => panic!("{} closed its stdout\n{}", self.name, self.output_so_far()),
            Err(_) => panic!(
                "{} printed nothing for {within:?}\n{}",
                self.name,
                self.output_so_far()
            ),
        }
    }

    /// Waits (at most `within`) for the line `want`, skipping any others.
    pub async fn expect_line(&mut self, want: &str, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.stdout_lines.recv()).await {
                Ok(Some(line)) if line == want => return,
                Ok(Some(_)) => continue,
                Ok(None) => panic!(
                    "{} ended before `{want}`\n{}",
                    self.name,
                    self.output_so_far()
                ),
                Err(_) => panic!(
                    "no `{want}` from {} in {within:?}\n{}",
                    self.name,
                    self.output_so_far()
                ),
            }
        }
    }

    /// Waits (at most `within`) until the program's stderr contains `text`.
    pub async fn expect_stderr(&self, text: &str, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while !self.stderr.lock().unwrap().contains(text) {
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "no `{text}` on {}'s stderr\n{}",
                    self.name,
                    self.output_so_far()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The process ID, while it runs.
    pub fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// Waits (at most `within`) for the `LISTENING <port>` line and returns the port. Panics,
    /// showing the output so far, if the program exits or stays silent.
    pub async fn listening_port(&mut self, within: Duration) -> u16 {
        let wait = async {
            while let Some(line) = self.stdout_lines.recv().await {
                if let Some(port) = line.strip_prefix("LISTENING ") {
                    return port.trim().parse::<u16>().ok();
                }
            }
            None
        };
        match tokio::time::timeout(within, wait).await {
            Ok(Some(port)) => port,
            Ok(None) => panic!(
                "{} ended without printing `LISTENING <port>`\n{}",
                self.name,
                self.output_so_far()
            ),
            Err(_) => panic!(
                "{} printed no `LISTENING <port>` within {within:?}\n{}",
                self.name,
                self.output_so_far()
            ),
        }
    }

    /// Waits (at most `within`) for the program to exit, killing it at the deadline, and
    /// returns how it ended with its whole output.
    pub async fn finish(mut self, within: Duration) -> Finished {
        let status = match tokio::time::timeout(within, self.child.wait()).await {
            Ok(Ok(status)) => Some(status),
            Ok(Err(e)) => panic!("waiting for {}: {e}", self.name),
            Err(_) => {
                let _ = self.child.kill().await;
                None
            }
        };
        // The pipes close with the process; the readers then have the last lines.
        for reader in self.readers.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
        }
        Finished {
            name: self.name.clone(),
            status,
            stdout: self.stdout.lock().unwrap().clone(),
            stderr: self.stderr.lock().unwrap().clone(),
        }
    }

    /// Kills the program now and returns how it ended with its whole output.
    pub async fn kill(self) -> Finished {
        // A zero deadline: `finish` kills at once unless the program has already exited.
        self.finish(Duration::ZERO).await
    }

    /// Everything the program has written to stderr so far.
    pub fn stderr_so_far(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// What the program has printed so far, for a failure message.
    pub fn output_so_far(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout.lock().unwrap(),
            self.stderr.lock().unwrap()
        )
    }
}

/// Copies a pipe, line by line, into `buffer` (and `lines`, when given) until it closes.
async fn collect(
    pipe: impl AsyncRead + Unpin,
    buffer: Arc<Mutex<String>>,
    lines: Option<mpsc::UnboundedSender<String>>,
) {
    let mut reader = BufReader::new(pipe).lines();
    while let Ok(Some(line)) = reader.next_line().await {
        {
            let mut buffer = buffer.lock().unwrap();
            buffer.push_str(&line);
            buffer.push('\n');
        }
        if let Some(lines) = &lines {
            let _ = lines.send(line);
        }
    }
}
