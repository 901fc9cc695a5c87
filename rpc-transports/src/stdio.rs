//! Stdio: length-prefixed frames over a process's stdin and stdout.
//!
//! The child side calls [`stdio`]; the parent side starts the child with [`spawn_child`].
//! Stderr stays free for logs, which is why it is inherited rather than piped.

use std::io;
use std::process::Stdio;

use tokio::io::{Stdin, Stdout};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::framing::{FramedTransport, FramingConfig};
use crate::io_halves::ReadWriteHalves;

/// This process's stdin (read) and stdout (write) as a transport.
pub type StdioTransport = FramedTransport<ReadWriteHalves<Stdin, Stdout>>;

/// A child process's stdout (read) and stdin (write) as a transport.
///
/// Closing its sink closes the child's stdin, so the child sees end-of-file; the child's
/// later frames can still be received until it closes its stdout.
pub type ChildTransport = FramedTransport<ReadWriteHalves<ChildStdout, ChildStdin>>;

/// A transport over this process's stdin and stdout, for a process started by [`spawn_child`].
///
/// Nothing else may write to stdout while it is in use (stray output corrupts the framing); log
/// to stderr instead. Tokio reads stdin on a blocking thread, so a runtime shutting down while
/// the parent keeps stdin open may wait for that read.
///
/// ```no_run
/// use futures::{SinkExt, StreamExt};
///
/// # #[tokio::main]
/// # async fn main() -> std::io::Result<()> {
/// // An echo server speaking to its parent.
/// let mut transport = rpc_transports::stdio::stdio();
/// while let Some(frame) = transport.next().await {
///     transport.send(frame?).await?;
/// }
/// # Ok(())
/// # }
/// ```
pub fn stdio() -> StdioTransport {
    stdio_with(FramingConfig::default())
}

/// Like [`stdio`], with the given framing settings.
pub fn stdio_with(config: FramingConfig) -> StdioTransport {
    FramedTransport::from_halves_with_config(tokio::io::stdin(), tokio::io::stdout(), config)
}

/// Spawns `cmd` with piped stdin and stdout (stderr inherited) and returns the child with a
/// transport to it.
///
/// The child is not killed when dropped unless `cmd` asked for it (`kill_on_drop`); wait for it
/// with `child.wait()` after closing the transport.
///
/// ```no_run
/// use futures::{SinkExt, StreamExt};
/// use rpc_core::Frame;
///
/// # #[tokio::main]
/// # async fn main() -> std::io::Result<()> {
/// let cmd = tokio::process::Command::new("my-rpc-server");
/// let (mut child, mut transport) = rpc_transports::stdio::spawn_child(cmd)?;
/// transport.send(Frame::Binary("hello".into())).await?;
/// let reply = transport.next().await;
/// transport.close().await?; // closes the child's stdin
/// child.wait().await?;
/// # Ok(())
/// # }
/// ```
pub fn spawn_child(cmd: Command) -> io::Result<(Child, ChildTransport)> {
    spawn_child_with(cmd, FramingConfig::default())
}

/// Like [`spawn_child`], with the given framing settings.
pub fn spawn_child_with(
    mut cmd: Command,
    config: FramingConfig,
) -> io::Result<(Child, ChildTransport)> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn()?;
    let transport = from_child_with(&mut child, config)?;
    Ok((child, transport))
}

/// Takes the piped stdin and stdout of an already spawned child and frames them.
///
/// Fails with `InvalidInput`, leaving the child untouched, if either pipe is missing (not
/// piped, or already taken).
pub fn from_child(child: &mut Child) -> io::Result<ChildTransport> {
    from_child_with(child, FramingConfig::default())
}

/// Like [`from_child`], with the given framing settings.
pub fn from_child_with(child: &mut Child, config: FramingConfig) -> io::Result<ChildTransport> {
    match (child.stdin.take(), child.stdout.take()) {
        (Some(stdin), Some(stdout)) => Ok(FramedTransport::from_halves_with_config(
            stdout, stdin, config,
        )),
        (stdin, stdout) => {
            // Put back whichever pipe was there, so a failure leaves the child as it was.
            child.stdin = stdin;
            child.stdout = stdout;
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the child's stdin and stdout must both be piped and not yet taken",
            ))
        }
    }
}
