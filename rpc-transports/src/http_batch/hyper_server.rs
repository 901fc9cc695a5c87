//! A plain hyper 1 server: batch POST and WebSocket upgrade on every path.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Body;
use hyper::server::conn::http1;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use rpc_core::Stub;
use tokio::net::TcpListener;

use super::HttpConfig;
use super::http_response::{BatchResponse, batch_response, method_not_allowed};
use super::ws_upgrade::{is_websocket_upgrade, upgrade};

/// A hyper service answering RPC on any path, as capnweb's `newWorkersRpcResponse` does:
///
/// - a WebSocket upgrade request starts a WebSocket session;
/// - `POST` runs an HTTP batch ([`serve_batch`](super::serve_batch));
/// - any other request gets 405.
///
/// Every session, batch or WebSocket, gets a fresh main object from the factory. Serve it on a
/// connection with upgrades enabled (`serve_connection(..).with_upgrades()`), or let
/// [`serve`] do it. The request body may be any [`Body`], so the service also fits behind
/// tower layers that change it.
pub struct RpcService<F> {
    main_factory: Arc<F>,
    config: Arc<HttpConfig>,
}

impl<F> Clone for RpcService<F> {
    fn clone(&self) -> Self {
        RpcService {
            main_factory: self.main_factory.clone(),
            config: self.config.clone(),
        }
    }
}

impl<F> std::fmt::Debug for RpcService<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The service for `main_factory`, with the default [`HttpConfig`].
pub fn hyper_service<F, M>(main_factory: F) -> RpcService<F>
where
    F: Fn() -> M + Send + Sync + 'static,
    M: Into<Stub>,
{
    hyper_service_with(main_factory, HttpConfig::default())
}

/// The service for `main_factory`, with `config`.
pub fn hyper_service_with<F, M>(main_factory: F, config: HttpConfig) -> RpcService<F>
where
    F: Fn() -> M + Send + Sync + 'static,
    M: Into<Stub>,
{
    RpcService {
        main_factory: Arc::new(main_factory),
        config: Arc::new(config),
    }
}

impl<F, M, B> hyper::service::Service<Request<B>> for RpcService<F>
where
    F: Fn() -> M + Send + Sync + 'static,
    M: Into<Stub>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = BatchResponse;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<BatchResponse, Infallible>> + Send>>;

    fn call(&self, request: Request<B>) -> Self::Future {
        if is_websocket_upgrade(&request) {
            let main = (self.main_factory)().into();
            let response = upgrade(request, main, &self.config);
            return Box::pin(std::future::ready(Ok(response)));
        }
        if request.method() != Method::POST {
            return Box::pin(std::future::ready(Ok(method_not_allowed())));
        }
        let main = (self.main_factory)().into();
        let config = self.config.clone();
        Box::pin(async move { Ok(batch_response(request.into_body(), main, &config).await) })
    }
}

/// Serves RPC over HTTP/1.1 on `listener` until the future is dropped: every connection gets
/// [`RpcService`] (batch POST and WebSocket upgrade on any path).
///
/// ```no_run
/// use rpc_core::{RpcError, Stub, Value};
///
/// # #[tokio::main]
/// # async fn main() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// rpc_transports::http_batch::serve(listener, || {
///     Stub::from_fn(|_args| async { Ok::<_, RpcError>(Value::from("hello")) })
/// })
/// .await;
/// # Ok(())
/// # }
/// ```
pub async fn serve<F, M>(listener: TcpListener, main_factory: F)
where
    F: Fn() -> M + Send + Sync + 'static,
    M: Into<Stub>,
{
    serve_with(listener, main_factory, HttpConfig::default()).await
}

/// Like [`serve`], with `config`.
pub async fn serve_with<F, M>(listener: TcpListener, main_factory: F, config: HttpConfig)
where
    F: Fn() -> M + Send + Sync + 'static,
    M: Into<Stub>,
{
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(config.max_connections));
    let service = hyper_service_with(main_factory, config);
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Usually out of file descriptors: wait a little rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "max_connections limit reached; closing a new connection");
            drop(tcp);
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let service = service.clone();
        tokio::spawn(async move {
            // The place is held by the socket itself, so it lasts through a WebSocket upgrade.
            let io = Counted {
                io: tcp,
                _slot: slot,
            };
            let connection = http1::Builder::new()
                .serve_connection(TokioIo::new(io), service)
                .with_upgrades();
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "HTTP connection ended with an error");
            }
        });
    }
}

/// A socket that holds its place among the server's connections until it is dropped.
struct Counted<IO> {
    io: IO,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

impl<IO: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Counted<IO> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<IO: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Counted<IO> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
