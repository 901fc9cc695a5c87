//! `Stub`: an untyped reference to an object, local or remote.

use std::sync::Arc;

use crate::{
    RpcError, RpcPromise, RpcTarget, deliver,
    middleware::{Layered, OutboundLayer},
    protocol::PathKey,
    remap::record,
    session::ImportRef,
    value::Value,
};

#[derive(Clone)]
pub(crate) enum Hook {
    /// An object in this process.
    Local(Arc<dyn RpcTarget>),
    /// An object the peer exported to us (or its main object).
    Remote(Arc<ImportRef>),
    /// The future result of a call: calls on it are pipelined.
    Promised(RpcPromise),
    /// A reference that can never work again.
    Broken(RpcError),
}

/// A reference to an object: local, remote, or not yet resolved.
///
/// Cloning a stub is cheap and adds no wire traffic. When the last clone of a remote stub is
/// dropped, the session sends `release`, so the peer can free the object. A stub placed anywhere
/// inside a call's arguments or result travels by reference.
///
/// ```
/// use rpc_core::{Stub, Value, RpcError};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// // A callback is a stub whose target is a function.
/// let double = Stub::from_fn(|args: Vec<Value>| async move {
///     let n = args.first().and_then(Value::as_i64).unwrap_or(0);
///     Ok::<_, RpcError>(Value::Int(n * 2))
/// });
/// assert_eq!(double.call_function(vec![Value::from(21)]).await.unwrap(), Value::Int(42));
/// assert!(double.is_local());
/// # });
/// ```
#[derive(Clone)]
pub struct Stub(pub(crate) Hook);

impl std::fmt::Debug for Stub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Hook::Local(t) => write!(f, "Stub::Local({})", t.interface_name()),
            Hook::Remote(r) => write!(f, "Stub::Remote({})", r.id),
            Hook::Promised(_) => f.write_str("Stub::Promised"),
            Hook::Broken(e) => write!(f, "Stub::Broken({e})"),
        }
    }
}

impl Stub {
    /// Wraps a local object.
    pub fn new(target: impl RpcTarget) -> Stub {
        Stub(Hook::Local(Arc::new(target)))
    }

    /// Wraps a shared local object.
    pub fn from_arc(target: Arc<dyn RpcTarget>) -> Stub {
        Stub(Hook::Local(target))
    }

    /// A callable function: an empty-path call on the wire invokes `f`.
    pub fn from_fn<F, Fut>(f: F) -> Stub
    where
        F: Fn(Vec<Value>) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<Value, RpcError>> + Send + 'static,
    {
        Stub::new(FnTarget(f))
    }

    /// A stub that fails every call with `error`.
    pub fn broken(error: RpcError) -> Stub {
        Stub(Hook::Broken(error))
    }

    pub(crate) fn remote(import: Arc<ImportRef>) -> Stub {
        Stub(Hook::Remote(import))
    }

    /// Calls `method` with `args`. The call is sent (or started) at once; await the promise for
    /// the result, or call methods on it to pipeline.
    pub fn call(&self, method: &str, args: Vec<Value>) -> RpcPromise {
        self.invoke(vec![PathKey::from(method)], Some(args))
    }

    /// Calls the object itself as a function.
    pub fn call_function(&self, args: Vec<Value>) -> RpcPromise {
        self.invoke(Vec::new(), Some(args))
    }

    /// Reads a property path (a pipelined get).
    pub fn get(&self, property: impl Into<PathKey>) -> RpcPromise {
        self.invoke(vec![property.into()], None)
    }

    /// The general form: a property path, then a call when `args` is `Some`.
    pub fn invoke(&self, path: Vec<PathKey>, args: Option<Vec<Value>>) -> RpcPromise {
        if record::active() {
            return record::record(&Value::Stub(self.clone()), path, args);
        }
        match &self.0 {
            Hook::Remote(import) => import.session.push_call(import.id, path, args),
            Hook::Promised(p) => p.untyped_ref().invoke(path, args),
            Hook::Broken(e) => RpcPromise::rejected(e.clone()),
            Hook::Local(_) => RpcPromise::from_future(deliver::invoke(
                Value::Stub(self.clone()),
                path,
                args,
                None,
            )),
        }
    }

    /// The local object, if this stub is one.
    pub(crate) fn local_target(&self) -> Option<&Arc<dyn RpcTarget>> {
        match &self.0 {
            Hook::Local(t) => Some(t),
            _ => None,
        }
    }

    /// This stub with its calls wrapped in `layer`: a tower [`Layer`](tower::Layer) over a
    /// [`Service`](tower::Service) of [`OutboundRequest`](crate::middleware::OutboundRequest)s
    /// (client-side tracing, metrics, retries of idempotent calls, ...).
    ///
    /// The layered stub is a local object that forwards to this one, so it can be passed to
    /// peers like any stub. A call through it starts when the layers let it; calls on its
    /// promises wait for that result rather than being pipelined. Property reads bypass the
    /// layers.
    ///
    /// ```
    /// use rpc_core::{Stub, Value, RpcError};
    /// use rpc_core::middleware::{MetricsLayer, MethodCounts};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let add = Stub::from_fn(|args: Vec<Value>| async move {
    ///     Ok::<_, RpcError>(Value::from(args[0].as_i64().unwrap() + 1))
    /// });
    /// let metrics = MetricsLayer::new();
    /// let counted = add.layer(metrics.clone());
    /// assert_eq!(counted.call_function(vec![Value::from(1)]).await.unwrap(), Value::from(2));
    /// assert_eq!(metrics.counts().get("Function", "()"), MethodCounts { calls: 1, errors: 0 });
    /// # });
    /// ```
    pub fn layer(&self, layer: impl OutboundLayer) -> Stub {
        let interface = self.local_target().map_or("Stub", |t| t.interface_name());
        self.layer_as(interface, layer)
    }

    /// [`Stub::layer`], naming the interface the layers see (typed clients pass theirs).
    pub(crate) fn layer_as(&self, interface: &'static str, layer: impl OutboundLayer) -> Stub {
        Stub::new(Layered {
            interface,
            inner: self.clone(),
            service: layer.into_service(),
        })
    }

    /// True if the object lives in this process.
    pub fn is_local(&self) -> bool {
        matches!(self.0, Hook::Local(_))
    }

    /// The local object, if it is one of type `T`.
    ///
    /// This is how an owner recognises its own object when a peer passes it back.
    pub fn downcast<T: RpcTarget>(&self) -> Option<Arc<T>> {
        match &self.0 {
            Hook::Local(t) => {
                let any: Arc<dyn std::any::Any + Send + Sync> = t.clone();
                any.downcast::<T>().ok()
            }
            _ => None,
        }
    }

    /// True when both stubs reach the same object through the same route.
    pub fn same_target(&self, other: &Stub) -> bool {
        match (&self.0, &other.0) {
            (Hook::Local(a), Hook::Local(b)) => std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b)),
            (Hook::Remote(a), Hook::Remote(b)) => {
                a.id == b.id && Arc::ptr_eq(&a.session, &b.session)
            }
            _ => false,
        }
    }

    /// The error this stub fails with, if it is broken for good (its session ended).
    pub fn broken_error(&self) -> Option<RpcError> {
        match &self.0 {
            Hook::Broken(e) => Some(e.clone()),
            Hook::Remote(r) => r.session.broken(),
            Hook::Promised(p) => p.session().and_then(|s| s.broken()),
            Hook::Local(_) => None,
        }
    }

    /// True when calls on this stub can never succeed again.
    pub fn is_broken(&self) -> bool {
        self.broken_error().is_some()
    }

    /// Runs `f` once when this stub breaks (its session is lost or aborted). Runs at once if it
    /// already has. Local stubs never break.
    pub fn on_broken(&self, f: impl FnOnce(RpcError) + Send + 'static) {
        match &self.0 {
            Hook::Broken(e) => f(e.clone()),
            Hook::Remote(r) => r.session.on_broken(f),
            Hook::Promised(p) => match p.session() {
                Some(s) => s.on_broken(f),
                None => drop(f),
            },
            Hook::Local(_) => drop(f),
        }
    }
}

impl serde::Serialize for Stub {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Value::Stub(self.clone()).serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Stub {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match Value::deserialize(deserializer)? {
            Value::Stub(s) => Ok(s),
            Value::Promise(p) => Ok(p.into_stub()),
            other => Err(D::Error::custom(format!(
                "expected a capability, got {}",
                other.kind_name()
            ))),
        }
    }
}

struct FnTarget<F>(F);

impl<F, Fut> RpcTarget for FnTarget<F>
where
    F: Fn(Vec<Value>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Value, RpcError>> + Send + 'static,
{
    fn call(self: Arc<Self>, method: &str, _args: Vec<Value>) -> crate::CallFuture {
        let e = RpcError::unknown_method(method);
        Box::pin(std::future::ready(Err(e)))
    }

    fn call_as_function(self: Arc<Self>, args: Vec<Value>) -> crate::CallFuture {
        Box::pin((self.0)(args))
    }

    fn interface_name(&self) -> &'static str {
        "Function"
    }
}
