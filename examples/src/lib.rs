//! Runnable Capstan examples; each program is in `src/bin`. Interfaces shared between programs
//! and tests live here.

pub mod browser;
pub mod chat;
pub mod conformance;
pub mod console;
pub mod net;
pub mod plugins;
pub mod pubsub;
pub mod relay;
pub mod reverse;
pub mod tail;

use std::io::BufRead;

use futures::Stream;

/// Installs a `tracing` subscriber that prints to stderr, filtered by `RUST_LOG` (default:
/// warnings only).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The lines of stdin, read on a thread of their own; the stream ends at end of input.
///
/// Not `tokio::io::stdin`: its read cannot be cancelled, so a program that wants to exit while
/// stdin is still open (the chat client, when the room closes) would hang until the next line.
/// A plain thread does not keep the process alive.
pub fn stdin_lines() -> impl Stream<Item = String> + Send + 'static {
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
