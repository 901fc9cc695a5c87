//! The outbound side: calls made through a stub, wrapped in layers.

use std::{
    sync::Arc,
    task::{Context, Poll},
};

use tower::{Layer, Service, ServiceExt, util::BoxCloneSyncService};

use super::{OutboundRequest, into_rpc_error};
use crate::{CallFuture, RpcError, RpcTarget, Stub, value::Value};

/// A layered stub's service, boxed.
pub type OutboundService = BoxCloneSyncService<OutboundRequest, Value, RpcError>;

/// The innermost outbound service: makes the call through the request's stub.
///
/// ```
/// use rpc_core::{Stub, Value, RpcError};
/// use rpc_core::middleware::{OutboundRequest, StubCall};
/// use tower::ServiceExt;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let hello = Stub::from_fn(|_| async { Ok::<_, RpcError>(Value::from("hi")) });
/// let reply = StubCall.oneshot(OutboundRequest::new(hello, None, vec![])).await.unwrap();
/// assert_eq!(reply, Value::from("hi"));
/// # });
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct StubCall;

impl Service<OutboundRequest> for StubCall {
    type Response = Value;
    type Error = RpcError;
    type Future = CallFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: OutboundRequest) -> CallFuture {
        let promise = match &request.method {
            Some(method) => request.stub.call(method, request.args),
            None => request.stub.call_function(request.args),
        };
        Box::pin(promise.resolve())
    }
}

/// A tower layer that can wrap a stub's calls ([`Stub::layer`]): any [`Layer`] over
/// [`StubCall`] whose service answers [`OutboundRequest`]s with a [`Value`]. Implemented for
/// every such layer; there is nothing to implement by hand.
pub trait OutboundLayer {
    /// The layer around [`StubCall`], boxed, its errors turned into `RpcError`s.
    fn into_service(self) -> OutboundService;
}

impl<L> OutboundLayer for L
where
    L: Layer<StubCall>,
    L::Service: Service<OutboundRequest, Response = Value> + Clone + Send + Sync + 'static,
    <L::Service as Service<OutboundRequest>>::Error: Into<tower::BoxError>,
    <L::Service as Service<OutboundRequest>>::Future: Send + 'static,
{
    fn into_service(self) -> OutboundService {
        BoxCloneSyncService::new(
            self.layer(StubCall)
                .map_err(|e: <L::Service as Service<OutboundRequest>>::Error| {
                    into_rpc_error(e.into())
                }),
        )
    }
}

/// The object behind a layered stub: each call goes through the service to the inner stub.
///
/// A local object, so a layered stub can be passed anywhere a stub can; a peer given one calls
/// through the layers too.
pub(crate) struct Layered {
    pub(crate) interface: &'static str,
    pub(crate) inner: Stub,
    pub(crate) service: OutboundService,
}

impl Layered {
    fn send(&self, method: Option<&str>, args: Vec<Value>) -> CallFuture {
        let mut request = OutboundRequest::new(self.inner.clone(), method, args);
        request.interface = self.interface;
        Box::pin(self.service.clone().oneshot(request))
    }
}

impl RpcTarget for Layered {
    fn call(self: Arc<Self>, method: &str, args: Vec<Value>) -> CallFuture {
        self.send(Some(method), args)
    }

    fn call_as_function(self: Arc<Self>, args: Vec<Value>) -> CallFuture {
        self.send(None, args)
    }

    fn get(self: Arc<Self>, property: &str) -> CallFuture {
        // Property reads are not calls: they go straight through.
        Box::pin(self.inner.get(property).resolve())
    }

    fn interface_name(&self) -> &'static str {
        self.interface
    }
}
