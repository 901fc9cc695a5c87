//! An axum route serving RPC on one path, as capnweb servers do: WebSocket upgrade and HTTP
//! batch POST side by side.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use axum::Router;
//! use rpc_core::{RpcError, Stub, Value};
//! use rpc_transports::axum_route::rpc_route;
//! use rpc_transports::http_batch;
//!
//! let hello = || Stub::from_fn(|_args| async { Ok::<_, RpcError>(Value::from("hello")) });
//! let app = Router::new().route("/rpc", rpc_route(hello));
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let url = format!("http://{}/rpc", listener.local_addr()?);
//! tokio::spawn(async move { axum::serve(listener, app).await });
//!
//! let session = http_batch::session(&url, None)?;
//! assert_eq!(session.main().call_function(vec![]).await.unwrap(), Value::from("hello"));
//! # Ok(())
//! # }
//! ```

mod socket;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{MethodRouter, any};
use rpc_core::codec::Auto;
use rpc_core::{Session, Stub};

pub use socket::AxumWebSocketTransport;

use crate::http_batch::{HttpConfig, batch_response, method_not_allowed};

/// A route for one path: a WebSocket upgrade starts a WebSocket session, `POST` runs an HTTP
/// batch ([`serve_batch`](crate::http_batch::serve_batch)), anything else gets 405. Each
/// session gets a fresh main object from `main_factory`.
///
/// Uses the default [`HttpConfig`]; see [`rpc_route_with`]. The batch body limit is this
/// route's own (`max_body_bytes`), not axum's `DefaultBodyLimit`.
pub fn rpc_route<F, M, S>(main_factory: F) -> MethodRouter<S>
where
    F: Fn() -> M + Send + Sync + 'static,
    M: Into<Stub>,
    S: Clone + Send + Sync + 'static,
{
    rpc_route_with(main_factory, HttpConfig::default())
}

/// Like [`rpc_route`], with `config`: its limits apply to every session, `limits.max_frame_bytes`
/// caps WebSocket messages and `max_body_bytes` batch bodies.
pub fn rpc_route_with<F, M, S>(main_factory: F, config: HttpConfig) -> MethodRouter<S>
where
    F: Fn() -> M + Send + Sync + 'static,
    M: Into<Stub>,
    S: Clone + Send + Sync + 'static,
{
    let main_factory = Arc::new(main_factory);
    let config = Arc::new(config);
    any(
        move |upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>, request: Request| {
            let main_factory = main_factory.clone();
            let config = config.clone();
            async move {
                match upgrade {
                    Ok(upgrade) => websocket_session(upgrade, main_factory().into(), &config),
                    Err(_) if request.method() == Method::POST => {
                        let main = main_factory().into();
                        batch_response(request.into_body(), main, &config)
                            .await
                            .map(Body::new)
                    }
                    Err(_) => method_not_allowed().map(Body::new),
                }
            }
        },
    )
}

fn websocket_session(upgrade: WebSocketUpgrade, main: Stub, config: &HttpConfig) -> Response {
    let limits = config.limits.clone();
    let reflection = config.reflection;
    upgrade
        .max_message_size(limits.max_frame_bytes)
        .max_frame_size(limits.max_frame_bytes)
        .on_upgrade(move |socket| async move {
            // The session runs on its own tasks until either side closes.
            // JSON until the peer speaks: browsers only take text frames; a Rust peer that sends
            // MessagePack (binary frames) is answered in kind.
            Session::builder()
                .codec(Auto::prefer_json())
                .limits(limits)
                .reflection(reflection)
                .main(main)
                .start(AxumWebSocketTransport::new(socket));
        })
}
