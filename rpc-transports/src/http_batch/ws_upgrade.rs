//! The WebSocket side of the hyper service: answer the handshake, then run a session on the
//! upgraded connection.

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use rpc_core::codec::Auto;
use rpc_core::{Session, Stub};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::HttpConfig;
use super::http_response::BatchResponse;
use crate::FramingConfig;
use crate::websocket::{WebSocketTransport, socket_config};

/// True for an HTTP/1.1 WebSocket opening handshake (RFC 6455 §4.2.1).
pub(crate) fn is_websocket_upgrade<B>(request: &Request<B>) -> bool {
    let headers = request.headers();
    request.method() == Method::GET
        && header_has_token(headers.get(header::CONNECTION), "upgrade")
        && header_has_token(headers.get(header::UPGRADE), "websocket")
        && headers.contains_key(header::SEC_WEBSOCKET_KEY)
}

/// Answers the handshake with 101 and starts a session once hyper hands over the connection.
pub(crate) fn upgrade<B>(
    mut request: Request<B>,
    main: Stub,
    config: &HttpConfig,
) -> BatchResponse {
    let headers = request.headers();
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|v| v.as_bytes() != b"13")
    {
        let mut response = Response::new(Full::new(Bytes::from_static(
            b"Only WebSocket version 13 is supported.",
        )));
        *response.status_mut() = StatusCode::UPGRADE_REQUIRED;
        response.headers_mut().insert(
            header::SEC_WEBSOCKET_VERSION,
            header::HeaderValue::from_static("13"),
        );
        return response;
    }
    let accept = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .map(|key| derive_accept_key(key.as_bytes()))
        .unwrap_or_default();
    let on_upgrade = hyper::upgrade::on(&mut request);
    let limits = config.limits.clone();
    let reflection = config.reflection;
    tokio::spawn(async move {
        let upgraded = match on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(e) => {
                tracing::debug!(error = %e, "WebSocket upgrade failed");
                return;
            }
        };
        let framing = FramingConfig::from_limits(&limits);
        let socket = WebSocketStream::from_raw_socket(
            TokioIo::new(upgraded),
            Role::Server,
            Some(socket_config(framing)),
        )
        .await;
        // The session runs on its own tasks until either side closes.
        // JSON until the peer speaks: browsers only take text frames; a Rust peer that sends
        // MessagePack (binary frames) is answered in kind.
        Session::builder()
            .codec(Auto::prefer_json())
            .limits(limits)
            .reflection(reflection)
            .main(main)
            .start(WebSocketTransport::new(socket));
    });

    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(
        header::CONNECTION,
        header::HeaderValue::from_static("Upgrade"),
    );
    headers.insert(
        header::UPGRADE,
        header::HeaderValue::from_static("websocket"),
    );
    if let Ok(accept) = header::HeaderValue::from_str(&accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}

/// True when a comma-separated header holds `token`, ignoring case (`Connection: keep-alive,
/// Upgrade` is an upgrade).
fn header_has_token(value: Option<&header::HeaderValue>, token: &str) -> bool {
    value
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
}
