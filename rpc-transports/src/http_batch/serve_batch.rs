//! The framework-independent batch server: one request body in, one response body out.

use futures::StreamExt;
use rpc_core::codec::Json;
use rpc_core::{Frame, RpcError, Session, Stub};

use super::HttpConfig;
use super::server_transport::{BatchServerEnds, batch_server_transport};

/// Why a batch got no 200 answer. [`status`](BatchError::status) gives the HTTP status to
/// answer with, and `Display` a body text.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum BatchError {
    /// The body is larger than [`HttpConfig::max_body_bytes`]: 413.
    TooLarge {
        /// The configured limit, in bytes.
        limit: usize,
    },
    /// The body is not UTF-8: 400.
    NotUtf8,
    /// The session aborted, for example on a malformed message: 500, as capnweb's Node server
    /// answers. A trailing newline is such a case: it makes an empty last message, which is
    /// not valid JSON.
    Aborted(RpcError),
}

impl BatchError {
    /// The HTTP status code for this error.
    pub fn status(&self) -> u16 {
        match self {
            BatchError::TooLarge { .. } => 413,
            BatchError::NotUtf8 => 400,
            BatchError::Aborted(_) => 500,
        }
    }
}

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BatchError::TooLarge { limit } => {
                write!(f, "the request body is larger than {limit} bytes")
            }
            BatchError::NotUtf8 => f.write_str("the request body is not UTF-8"),
            BatchError::Aborted(error) => f.write_str(error.message()),
        }
    }
}

impl std::error::Error for BatchError {}

/// Runs one HTTP batch: the body's `\n`-separated messages go through a fresh session whose
/// main object is `main`, and the messages it answers come back `\n`-joined.
///
/// This is capnweb's `newHttpBatchRpcResponse` without the HTTP around it, for any server
/// framework:
/// - an empty body is zero messages;
/// - every line is fed to the session in order; then the batch waits until every result the
///   client pulled has settled (exported promises too), closes the session, and returns
///   everything it wrote, in completion order, with no trailing newline;
/// - results that were not pulled are never sent, and stubs die with the session.
///
/// A call that never finishes (for example one awaiting a callback into the client, which can
/// never answer within the same request) holds the response forever, as in capnweb; bound it
/// with a timeout around this future if your methods do that.
///
/// ```
/// use rpc_core::{RpcError, Stub, Value};
/// use rpc_transports::http_batch::{BatchError, HttpConfig, serve_batch};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let main = || Stub::from_fn(|args| async move {
///     let n = args[0].as_i64().unwrap_or(0);
///     Ok::<_, RpcError>(Value::from(n * 2))
/// });
/// let config = HttpConfig::default();
///
/// let body = "[\"push\",[\"pipeline\",0,[],[21]]]\n[\"pull\",1]";
/// assert_eq!(serve_batch(body.as_bytes(), main(), &config).await.unwrap(), "[\"resolve\",1,42]");
///
/// // A trailing newline is an empty, malformed message: the session aborts (HTTP 500).
/// let error = serve_batch(b"[\"pull\",1]\n", main(), &config).await.unwrap_err();
/// assert_eq!(error.status(), 500);
/// assert_eq!(serve_batch(b"\xff", main(), &config).await.unwrap_err(), BatchError::NotUtf8);
/// # }
/// ```
pub async fn serve_batch(
    body: &[u8],
    main: impl Into<Stub>,
    config: &HttpConfig,
) -> Result<String, BatchError> {
    if body.len() > config.max_body_bytes {
        return Err(BatchError::TooLarge {
            limit: config.max_body_bytes,
        });
    }
    let text = std::str::from_utf8(body).map_err(|_| BatchError::NotUtf8)?;
    // capnweb splits on "\n" and treats an empty body as no messages at all.
    let lines = match text {
        "" => Vec::new(),
        text => text.split('\n').map(str::to_owned).collect(),
    };
    let (transport, ends) = batch_server_transport(lines);
    let session = Session::builder()
        .codec(Json)
        .limits(config.limits.clone())
        .reflection(config.reflection)
        .main(main)
        .start(transport);
    run(session, ends).await
}

async fn run(session: Session, ends: BatchServerEnds) -> Result<String, BatchError> {
    let BatchServerEnds {
        consumed,
        mut written,
    } = ends;
    // A session that aborts stops reading, so "every line handled" may never come.
    tokio::select! {
        _ = consumed => {}
        _ = session.closed() => {}
    }
    session.drain().await;
    if let Some(error) = session.broken_error() {
        return Err(BatchError::Aborted(error));
    }
    // Closing makes the writer send everything queued, then the close frame.
    session.close();
    let mut messages = Vec::new();
    while let Some(frame) = written.next().await {
        match frame {
            Frame::Text(text) => messages.push(text),
            // The JSON codec writes only text; keep the batch readable whatever happens.
            Frame::Binary(data) => messages.push(String::from_utf8_lossy(&data).into_owned()),
            Frame::Close(_) => break,
        }
    }
    Ok(messages.join("\n"))
}
