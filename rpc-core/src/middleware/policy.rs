//! `PolicyLayer`: denies calls by a rule of the user's.

use std::{
    fmt,
    sync::Arc,
    task::{Context, Poll},
};

use tower::{Layer, Service};

use super::{CallInfo, error::poll_inner, into_rpc_error};
use crate::{CallFuture, RpcError, Value};

type Rule = dyn Fn(&dyn CallInfo) -> Result<(), RpcError> + Send + Sync;

/// Lets a call through when `rule` returns `Ok(())`; otherwise fails it with the rule's error,
/// without reaching the object.
///
/// The rule sees the interface, method, session and deadline ([`CallInfo`]). Per-connection
/// identity lives in the session's [`extensions`](crate::Session::extensions): an
/// `authenticate` method stores who the peer is, and the rule reads it.
///
/// ```
/// use rpc_core::{ErrorKind, RpcError, Session, Stub, Value, testing::memory_pair};
/// use rpc_core::middleware::{CallInfo, PolicyLayer};
///
/// #[derive(Clone)]
/// struct Admin;
///
/// // Only an admin may call `drop`; anyone may call the rest.
/// let policy = PolicyLayer::new(|call: &dyn CallInfo| {
///     let admin = call.session().and_then(|s| s.extensions().get::<Admin>()).is_some();
///     if call.method() == Some("drop") && !admin {
///         return Err(RpcError::with_kind(ErrorKind::Application, "PermissionDenied", "admins only"));
///     }
///     Ok(())
/// });
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// # let main = Stub::from_fn(|_| async { Ok::<_, RpcError>(Value::Null) });
/// let (a, b) = memory_pair();
/// let _server = Session::builder().main(main).layer(policy).start(a);
/// let client = Session::builder().start(b);
/// let err = client.main().call("drop", vec![]).await.unwrap_err();
/// assert_eq!((err.name(), err.message()), ("PermissionDenied", "admins only"));
/// # });
/// ```
#[derive(Clone)]
pub struct PolicyLayer {
    rule: Arc<Rule>,
}

impl PolicyLayer {
    /// A layer applying `rule` to every call.
    pub fn new<F>(rule: F) -> Self
    where
        F: Fn(&dyn CallInfo) -> Result<(), RpcError> + Send + Sync + 'static,
    {
        PolicyLayer {
            rule: Arc::new(rule),
        }
    }

    /// A layer that denies the methods named in `methods`, on any interface, with an
    /// [`ErrorKind::UnknownMethod`](crate::ErrorKind::UnknownMethod) error, as if they did not
    /// exist.
    ///
    /// ```
    /// use rpc_core::middleware::PolicyLayer;
    /// let read_only = PolicyLayer::deny_methods(["set", "delete"]);
    /// # drop(read_only);
    /// ```
    pub fn deny_methods<I, S>(methods: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let denied: Vec<String> = methods.into_iter().map(Into::into).collect();
        PolicyLayer::new(move |call| match call.method() {
            Some(method) if denied.iter().any(|d| d == method) => {
                Err(RpcError::unknown_method(method))
            }
            _ => Ok(()),
        })
    }
}

impl fmt::Debug for PolicyLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PolicyLayer")
    }
}

impl<S> Layer<S> for PolicyLayer {
    type Service = Policy<S>;

    fn layer(&self, inner: S) -> Policy<S> {
        Policy {
            inner,
            rule: self.rule.clone(),
        }
    }
}

/// The service [`PolicyLayer`] makes.
#[derive(Clone)]
pub struct Policy<S> {
    inner: S,
    rule: Arc<Rule>,
}

impl<S> fmt::Debug for Policy<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Policy")
    }
}

impl<S, R> Service<R> for Policy<S>
where
    R: CallInfo,
    S: Service<R, Response = Value>,
    S::Error: Into<tower::BoxError>,
    S::Future: Send + 'static,
{
    type Response = Value;
    type Error = RpcError;
    type Future = CallFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), RpcError>> {
        poll_inner(&mut self.inner, cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        if let Err(denied) = (self.rule)(&request) {
            tracing::debug!(
                interface = request.interface(),
                method = request.method().unwrap_or("()"),
                reason = denied.message(),
                "call denied by policy"
            );
            return Box::pin(std::future::ready(Err(denied)));
        }
        let call = self.inner.call(request);
        Box::pin(async move { call.await.map_err(|e| into_rpc_error(e.into())) })
    }
}
