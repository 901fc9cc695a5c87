//! `tail -f` as a server-streaming method, behind the `tail` program.
//!
//! Each follower gets the file's complete lines from the start, then new lines as the file
//! grows (it is polled), for as long as it reads. A follower that has seen enough drops its
//! stream, and the producer stops polling: nothing keeps reading a file for a client that has
//! gone. (When exactly it notices is explained at `produce`.)

use std::{
    io::{self, SeekFrom},
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use futures::StreamExt;
use rpc_core::{RpcError, RpcStream, Session, StreamSender, rpc_interface};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// How often the file is checked for new data.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// A followed file.
#[rpc_interface]
pub trait Tail {
    /// The file's lines, from the start, then each line appended later; it never ends by
    /// itself. Drop it to stop.
    async fn follow(&self) -> Result<RpcStream<String>, RpcError>;
}

/// What the producers did, for tests and logs.
#[derive(Debug, Default)]
pub struct TailLog {
    /// Producers still polling.
    pub following: AtomicUsize,
    /// Producers that stopped because their follower went away (cancelled or disconnected).
    pub stopped: AtomicUsize,
    /// Lines sent, over all followers.
    pub lines_sent: AtomicU64,
}

/// The server side of [`Tail`]: follows one file.
#[derive(Debug, Clone)]
pub struct TailImpl {
    path: PathBuf,
    log: Arc<TailLog>,
}

impl TailImpl {
    /// Follows `path`. A file that does not exist yet reads as empty until it appears.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        TailImpl {
            path: path.into(),
            log: Arc::default(),
        }
    }

    /// What the producers did.
    pub fn log(&self) -> Arc<TailLog> {
        self.log.clone()
    }
}

impl Tail for TailImpl {
    async fn follow(&self) -> Result<RpcStream<String>, RpcError> {
        let (tx, lines) = RpcStream::channel(64);
        self.log.following.fetch_add(1, Ordering::SeqCst);
        let file = NewLines::new(self.path.clone());
        // The caller's session, so the producer can stop the moment the connection goes.
        let session = Session::current();
        tokio::spawn(produce(file, tx, session, self.log.clone()));
        Ok(lines)
    }
}

/// Why a producer stopped.
#[derive(Debug)]
enum Stop {
    /// A write was refused: the follower dropped its stream.
    Cancelled,
    /// The follower's connection ended.
    Disconnected,
    /// The file could not be read.
    Failed,
}

/// Polls the file and sends each new complete line until the follower goes or reading fails.
///
/// A stream's writer learns that its reader cancelled when its next write is refused: the
/// reader has no message of its own to send. So while the file is idle the producer also
/// watches the session, to stop at once when the follower disconnects; a follower that cancels
/// but stays connected is noticed at the next new line.
async fn produce(
    mut file: NewLines,
    tx: StreamSender<String>,
    session: Option<Session>,
    log: Arc<TailLog>,
) {
    let disconnected = async move {
        match session {
            Some(session) => drop(session.closed().await),
            None => std::future::pending().await,
        }
    };
    tokio::pin!(disconnected);
    let mut sent = 0u64;
    let stop = 'polling: loop {
        match file.read().await {
            Ok(lines) => {
                for line in lines {
                    if tx.send(line).await.is_err() {
                        break 'polling Stop::Cancelled;
                    }
                    sent += 1;
                    log.lines_sent.fetch_add(1, Ordering::SeqCst);
                }
            }
            Err(e) => {
                tracing::warn!(path = %file.path.display(), error = %e, "cannot read the file");
                let _ = tx
                    .fail(RpcError::error(format!("reading the file: {e}")))
                    .await;
                break Stop::Failed;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(POLL_INTERVAL) => {}
            () = tx.closed() => break Stop::Cancelled,
            () = &mut disconnected => break Stop::Disconnected,
        }
    };
    log.following.fetch_sub(1, Ordering::SeqCst);
    if !matches!(stop, Stop::Failed) {
        log.stopped.fetch_add(1, Ordering::SeqCst);
        tracing::info!(path = %file.path.display(), sent, ?stop, "follower gone; stopped polling");
    }
}

/// Reads what a growing file has gained since the last read, as complete lines.
struct NewLines {
    path: PathBuf,
    /// Bytes consumed so far.
    offset: u64,
    /// The start of a line whose newline has not been written yet.
    partial: Vec<u8>,
}

impl NewLines {
    fn new(path: PathBuf) -> Self {
        NewLines {
            path,
            offset: 0,
            partial: Vec::new(),
        }
    }

    /// The lines completed since the last call. The file is reopened each time, so a file
    /// replaced by a new one (log rotation) is followed; a shorter file starts over.
    async fn read(&mut self) -> io::Result<Vec<String>> {
        let mut file = match tokio::fs::File::open(&self.path).await {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        if file.metadata().await?.len() < self.offset {
            self.offset = 0;
            self.partial.clear();
        }
        file.seek(SeekFrom::Start(self.offset)).await?;
        let read = file.read_to_end(&mut self.partial).await?;
        self.offset += read as u64;
        let Some(last_newline) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return Ok(Vec::new());
        };
        let rest = self.partial.split_off(last_newline + 1);
        let complete = std::mem::replace(&mut self.partial, rest);
        // `complete` ends with its last newline; drop it so the split yields just the lines.
        Ok(complete[..complete.len() - 1]
            .split(|&b| b == b'\n')
            .map(|line| {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                String::from_utf8_lossy(line).into_owned()
            })
            .collect())
    }
}

/// The follower's side: prints (hands to `show`) each line; with `limit`, stops after that
/// many lines by dropping the stream, which cancels the server's producer. Without a limit it
/// runs until the stream fails (the server went away).
pub async fn run_follower(
    tail: &TailClient,
    limit: Option<usize>,
    mut show: impl FnMut(String),
) -> Result<usize, RpcError> {
    let mut lines = tail.follow().await?;
    let mut seen = 0;
    while limit.is_none_or(|limit| seen < limit) {
        match lines.next().await {
            Some(line) => show(line?),
            None => break,
        }
        seen += 1;
    }
    drop(lines);
    Ok(seen)
}
