//! From a URL to a client session: the scheme picks the transport, and the codec defaults to
//! what a server on that transport speaks.

use std::{fmt, time::Duration};

use rpc_core::{
    Session,
    codec::{Auto, Json, MsgPack},
};
use rpc_transports::{http_batch, tcp, websocket};

/// The codec asked for on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CodecChoice {
    /// Cap'n Web's JSON, which capnweb speaks (text frames).
    Json,
    /// MessagePack, Capstan's compact encoding (binary frames).
    Msgpack,
    /// MessagePack first, then whatever the server answers in (Capstan's `Auto`).
    Auto,
}

/// Where to connect, parsed from the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `ws://HOST:PORT/PATH`: one message per WebSocket message.
    WebSocket(String),
    /// `tcp://HOST:PORT`: length-prefixed frames, Capstan's Rust-to-Rust transport.
    Tcp(String),
    /// `http://HOST:PORT/PATH`: one HTTP batch, as capnweb's `newHttpBatchRpcSession`.
    HttpBatch(String),
}

impl Endpoint {
    /// Parses `url`, or says which schemes there are.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| format!("`{url}` is not a URL; {SCHEMES}"))?;
        if rest.is_empty() {
            return Err(format!("`{url}` names no host; {SCHEMES}"));
        }
        match scheme.to_ascii_lowercase().as_str() {
            "ws" => Ok(Endpoint::WebSocket(url.to_owned())),
            "tcp" => Ok(Endpoint::Tcp(rest.trim_end_matches('/').to_owned())),
            "http" => Ok(Endpoint::HttpBatch(url.to_owned())),
            "wss" | "https" => Err(format!(
                "`{scheme}://` needs TLS, which this build of capstan does not include; {SCHEMES}"
            )),
            _ => Err(format!("unsupported scheme `{scheme}://`; {SCHEMES}")),
        }
    }

    /// The codec a server on this transport speaks when none is asked for: JSON on WebSocket
    /// and HTTP (what capnweb and browsers speak), MessagePack on TCP (Capstan to Capstan).
    fn default_codec(&self) -> CodecChoice {
        match self {
            Endpoint::WebSocket(_) | Endpoint::HttpBatch(_) => CodecChoice::Json,
            Endpoint::Tcp(_) => CodecChoice::Msgpack,
        }
    }

    /// True when the session outlives one round of calls (not an HTTP batch).
    pub fn is_lasting(&self) -> bool {
        !matches!(self, Endpoint::HttpBatch(_))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::WebSocket(url) | Endpoint::HttpBatch(url) => f.write_str(url),
            Endpoint::Tcp(addr) => write!(f, "tcp://{addr}"),
        }
    }
}

const SCHEMES: &str = "use ws://HOST:PORT/PATH, tcp://HOST:PORT or http://HOST:PORT/PATH";

/// A client session on `endpoint` (offering the server nothing), connected within `timeout`.
pub async fn connect(
    endpoint: &Endpoint,
    codec: Option<CodecChoice>,
    timeout: Duration,
) -> Result<Session, String> {
    let codec = codec.unwrap_or_else(|| endpoint.default_codec());
    let builder = match codec {
        CodecChoice::Json => Session::builder().codec(Json),
        CodecChoice::Msgpack => Session::builder().codec(MsgPack),
        CodecChoice::Auto => Session::builder().codec(Auto::default()),
    };
    let connecting = async {
        match endpoint {
            Endpoint::WebSocket(url) => websocket::connect(url).await.map(|t| builder.start(t)),
            Endpoint::Tcp(addr) => tcp::connect(addr.as_str()).await.map(|t| builder.start(t)),
            Endpoint::HttpBatch(url) => {
                if codec != CodecChoice::Json {
                    return Err(std::io::Error::other(
                        "an HTTP batch carries JSON only (drop --codec)",
                    ));
                }
                http_batch::session(url, None)
            }
        }
    };
    match tokio::time::timeout(timeout, connecting).await {
        Ok(Ok(session)) => Ok(session),
        Ok(Err(e)) => Err(format!("cannot connect to {endpoint}: {e}")),
        Err(_) => Err(format!(
            "cannot connect to {endpoint}: no answer within {timeout:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_pick_the_transport() {
        assert_eq!(
            Endpoint::parse("ws://127.0.0.1:80/rpc"),
            Ok(Endpoint::WebSocket("ws://127.0.0.1:80/rpc".into()))
        );
        assert_eq!(
            Endpoint::parse("tcp://127.0.0.1:9000/"),
            Ok(Endpoint::Tcp("127.0.0.1:9000".into()))
        );
        assert!(Endpoint::parse("wss://x/").unwrap_err().contains("TLS"));
        assert!(
            Endpoint::parse("ftp://x/")
                .unwrap_err()
                .contains("unsupported scheme")
        );
        assert!(
            Endpoint::parse("127.0.0.1:80")
                .unwrap_err()
                .contains("not a URL")
        );
        assert!(!Endpoint::parse("http://h/rpc").unwrap().is_lasting());
    }
}
