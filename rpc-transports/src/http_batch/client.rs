//! The batch client: everything a session sends in one turn goes out as one POST.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::channel::mpsc;
use futures::{Sink, Stream};
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Request, Uri, header};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rpc_core::codec::Json;
use rpc_core::{Frame, Session, Stub};
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::sync::Notify;

use super::HttpConfig;

/// What the stream yields after the last response line, so the session's error reads like
/// capnweb's "Batch RPC request ended.".
const BATCH_ENDED: &str = "Batch RPC request ended.";

/// Scheduler turns given to the sending side before each look at whether it went quiet.
const QUIET_TURNS: usize = 3;
/// The quiet period on a multi-thread runtime when none is configured.
const WORKER_THREADS_QUIET: Duration = Duration::from_millis(5);
/// An upper bound on the wait (at least ten quiet periods), for a session that never stops
/// sending.
const MAX_WAIT: Duration = Duration::from_millis(100);

/// A transport that sends one HTTP batch, as capnweb's `newHttpBatchRpcSession` does.
///
/// - The sink buffers every text frame. After the first one it waits for the sending side to
///   go quiet (a few scheduler turns, as capnweb waits one macrotask, and on worker threads a
///   short quiet period: [`HttpConfig::batch_quiet`]), so all the calls made together, and
///   the pulls of the promises then awaited, join the batch.
/// - Then it POSTs them, `\n`-joined, as `text/plain;charset=UTF-8`, and the stream yields
///   each line of the response as a text frame, then `Frame::Close("Batch RPC request
///   ended.")`, then ends. The session breaks there: unresolved promises reject and every stub
///   is dead, with a [`Disconnected`](rpc_core::ErrorKind::Disconnected) error.
/// - Frames sent after the POST are dropped (for example the releases of the results).
/// - A non-2xx answer ends the stream with the error `RPC request failed: <status>`.
/// - A session closed before the POST sends nothing.
///
/// Binary frames cannot travel in a batch: sending one fails. Use the JSON codec
/// ([`session`] does).
#[derive(Debug)]
pub struct BatchClientTransport {
    responses: mpsc::UnboundedReceiver<io::Result<Frame>>,
    outbox: Arc<Outbox>,
}

#[derive(Debug, Default)]
struct Outbox {
    state: Mutex<OutboxState>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct OutboxState {
    messages: Vec<String>,
    /// The batch went out: later messages are dropped.
    posted: bool,
    /// The session closed its sink (or dropped the transport).
    closed: bool,
}

impl Outbox {
    fn lock(&self) -> MutexGuard<'_, OutboxState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn update(&self, f: impl FnOnce(&mut OutboxState)) {
        f(&mut self.lock());
        self.changed.notify_one();
    }
}

/// A batch transport for an `http://` URL, with the default [`HttpConfig`]. Must be called
/// within a tokio runtime: the POST runs on its own task.
pub fn batch_transport(url: &str) -> io::Result<BatchClientTransport> {
    batch_transport_with(url, &HttpConfig::default())
}

/// Like [`batch_transport`]; a response body over `config.max_body_bytes` fails the stream.
pub fn batch_transport_with(url: &str, config: &HttpConfig) -> io::Result<BatchClientTransport> {
    let uri: Uri = url
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{url}: {e}")))?;
    if uri.scheme_str() != Some("http") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{url}: only http:// URLs are supported"),
        ));
    }
    let outbox = Arc::new(Outbox::default());
    let (responses_tx, responses) = mpsc::unbounded();
    tokio::spawn(run_batch(uri, config.clone(), outbox.clone(), responses_tx));
    Ok(BatchClientTransport { responses, outbox })
}

/// Starts a JSON session on a [`batch_transport`] for `url`: its main stub reaches the
/// server's main object, and `main`, if any, is what the server may call back (only within
/// the batch, so in practice rarely).
///
/// ```no_run
/// use rpc_core::Value;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let session = rpc_transports::http_batch::session("http://127.0.0.1:8080/rpc", None)?;
/// let api = session.main();
/// // Both calls go out in one POST.
/// let (a, b) = tokio::join!(api.call("add", vec![1.into(), 2.into()]), api.call("hello", vec![]));
/// println!("{:?} {:?}", a, b);
/// # Ok(())
/// # }
/// ```
pub fn session(url: &str, main: Option<Stub>) -> io::Result<Session> {
    session_with(url, main, &HttpConfig::default())
}

/// Like [`session`], with `config` (its limits apply to the session, its body limit to the
/// response).
pub fn session_with(url: &str, main: Option<Stub>, config: &HttpConfig) -> io::Result<Session> {
    let transport = batch_transport_with(url, config)?;
    let mut builder = Session::builder().codec(Json).limits(config.limits.clone());
    if let Some(main) = main {
        builder = builder.main(main);
    }
    Ok(config.session_setup.apply(builder).start(transport))
}

/// Waits for the batch to fill, posts it, and feeds the response to the stream.
async fn run_batch(
    uri: Uri,
    config: HttpConfig,
    outbox: Arc<Outbox>,
    responses: mpsc::UnboundedSender<io::Result<Frame>>,
) {
    // Nothing is sent until the session has something to say.
    loop {
        let notified = outbox.changed.notified();
        {
            let state = outbox.lock();
            if state.closed {
                return;
            }
            if !state.messages.is_empty() {
                break;
            }
        }
        notified.await;
    }
    wait_for_quiet(&outbox, config.batch_quiet).await;
    let body = {
        let mut state = outbox.lock();
        if state.closed {
            return;
        }
        state.posted = true;
        std::mem::take(&mut state.messages).join("\n")
    };
    match post(uri, body, config.max_body_bytes).await {
        Ok(text) => {
            if !text.is_empty() {
                for line in text.split('\n') {
                    let _ = responses.unbounded_send(Ok(Frame::Text(line.to_owned())));
                }
            }
            let _ = responses.unbounded_send(Ok(Frame::Close(BATCH_ENDED.to_owned())));
        }
        Err(e) => {
            let _ = responses.unbounded_send(Err(e));
        }
    }
}

/// Waits until the session stops adding messages. Scheduler turns alone (capnweb's one
/// macrotask) are exact on a current-thread runtime; on worker threads the caller may still be
/// mid-way through its calls on another thread, hence a quiet period there.
async fn wait_for_quiet(outbox: &Outbox, quiet: Option<Duration>) {
    let quiet = quiet.unwrap_or_else(|| match Handle::current().runtime_flavor() {
        RuntimeFlavor::CurrentThread => Duration::ZERO,
        _ => WORKER_THREADS_QUIET,
    });
    let max_wait = MAX_WAIT.max(quiet * 10);
    let started = Instant::now();
    let mut seen = outbox.lock().messages.len();
    loop {
        for _ in 0..QUIET_TURNS {
            tokio::task::yield_now().await;
        }
        if !quiet.is_zero() {
            tokio::time::sleep(quiet).await;
        }
        let now = outbox.lock().messages.len();
        if now == seen || started.elapsed() >= max_wait {
            return;
        }
        seen = now;
    }
}

async fn post(uri: Uri, body: String, max_response_bytes: usize) -> io::Result<String> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = Request::post(uri)
        .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let response = client.request(request).await.map_err(|e| {
        let kind = if e.is_connect() {
            io::ErrorKind::ConnectionRefused
        } else {
            io::ErrorKind::Other
        };
        io::Error::new(kind, e)
    })?;
    let status = response.status();
    if !status.is_success() {
        return Err(io::Error::other(format!("RPC request failed: {status}")));
    }
    let body = Limited::new(response.into_body(), max_response_bytes)
        .collect()
        .await
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?
        .to_bytes();
    String::from_utf8(body.into())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the response is not UTF-8"))
}

impl Stream for BatchClientTransport {
    type Item = io::Result<Frame>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.responses).poll_next(cx)
    }
}

impl Sink<Frame> for BatchClientTransport {
    type Error = io::Error;

    fn poll_ready(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, frame: Frame) -> io::Result<()> {
        match frame {
            Frame::Text(text) => self.outbox.update(|state| {
                if !state.posted {
                    state.messages.push(text);
                }
            }),
            Frame::Binary(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "an HTTP batch carries text (JSON) frames only",
                ));
            }
            Frame::Close(_) => self.outbox.update(|state| state.closed = true),
        }
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.outbox.update(|state| state.closed = true);
        Poll::Ready(Ok(()))
    }
}

impl Drop for BatchClientTransport {
    fn drop(&mut self) {
        // Lets the batch task end if the session goes away before sending anything.
        self.outbox.update(|state| state.closed = true);
    }
}
