//! The inbound service: how a call from the peer reaches a local object.

use std::{
    sync::Arc,
    task::{Context, Poll},
};

use tokio::time::Instant;
use tower::{ServiceExt, util::BoxCloneSyncService};

use super::CallRequest;
use crate::{
    CallFuture, RpcError, RpcTarget, Session, pending::Outcome, session::SessionShared,
    start::catch_panic, value::Value,
};

/// The session's inbound service, with its layers, boxed.
pub type InboundService = BoxCloneSyncService<CallRequest, Value, RpcError>;

/// The innermost inbound service: calls the object. A handler's panic becomes an
/// [`ErrorKind::Panicked`](crate::ErrorKind::Panicked) error for that call only.
///
/// ```
/// use rpc_core::middleware::{Dispatch, InboundService};
///
/// // What `SessionBuilder::layer` wraps, before any layer.
/// let service: InboundService = InboundService::new(Dispatch);
/// # drop(service);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Dispatch;

impl tower::Service<CallRequest> for Dispatch {
    type Response = Value;
    type Error = RpcError;
    type Future = CallFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: CallRequest) -> CallFuture {
        Box::pin(catch_panic(call_target(
            request.target,
            request.method,
            request.args,
        )))
    }
}

fn call_target(target: Arc<dyn RpcTarget>, method: Option<String>, args: Vec<Value>) -> CallFuture {
    match method {
        Some(method) => target.call(&method, args),
        None => target.call_as_function(args),
    }
}

/// A tower layer that can wrap a session's inbound calls
/// ([`SessionBuilder::layer`](crate::SessionBuilder::layer)): any [`Layer`](tower::Layer)
/// over the [`InboundService`] whose service answers [`CallRequest`]s with a [`Value`].
/// Implemented for every such layer; there is nothing to implement by hand.
pub trait InboundLayer {
    /// The layer around `inner`, boxed, its errors turned into `RpcError`s.
    fn wrap(self, inner: InboundService) -> InboundService;
}

impl<L> InboundLayer for L
where
    L: tower::Layer<InboundService>,
    L::Service: tower::Service<CallRequest, Response = Value> + Clone + Send + Sync + 'static,
    <L::Service as tower::Service<CallRequest>>::Error: Into<tower::BoxError>,
    <L::Service as tower::Service<CallRequest>>::Future: Send + 'static,
{
    fn wrap(self, inner: InboundService) -> InboundService {
        InboundService::new(self.layer(inner).map_err(
            |e: <L::Service as tower::Service<CallRequest>>::Error| super::into_rpc_error(e.into()),
        ))
    }
}

/// A call that came from the peer of a session: it goes through that session's inbound
/// service. Carried along a delivery (and into the maps it runs), so every route by which a
/// peer reaches a local object passes the same layers.
#[derive(Clone)]
pub(crate) struct PeerCall {
    pub(crate) shared: Arc<SessionShared>,
    pub(crate) deadline: Option<Instant>,
}

impl PeerCall {
    /// Whether the session has inbound layers. Without them a call goes straight to the
    /// object, skipping [`dispatch`](Self::dispatch)'s extra future.
    pub(crate) fn is_layered(&self) -> bool {
        self.shared.inbound.is_some()
    }

    /// Calls `method` (or the object itself) on a local `target`.
    pub(crate) async fn dispatch(
        &self,
        target: &Arc<dyn RpcTarget>,
        method: Option<String>,
        args: Vec<Value>,
    ) -> Outcome {
        let Some(service) = &self.shared.inbound else {
            // Without layers, skip the request and the boxed service altogether.
            return catch_panic(call_target(target.clone(), method, args)).await;
        };
        let request = CallRequest {
            target: target.clone(),
            method,
            args,
            session: Session::from_shared(&self.shared),
            deadline: self.deadline,
        };
        service.clone().oneshot(request).await
    }
}
