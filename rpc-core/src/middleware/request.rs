//! What a middleware layer sees of a call.

use std::{fmt, sync::Arc};

use tokio::time::Instant;

use crate::{RpcTarget, Session, Stub, Value};

/// What every layer can read of a call, whichever direction it goes.
///
/// Implemented by [`CallRequest`] (inbound) and [`OutboundRequest`]; the layers of this module
/// are written against it, so one layer type serves both sides.
///
/// ```
/// use rpc_core::middleware::CallInfo;
///
/// fn label(call: &dyn CallInfo) -> String {
///     format!("{}.{}", call.interface(), call.method().unwrap_or("<function>"))
/// }
/// ```
pub trait CallInfo {
    /// The interface of the object called (the trait name for `#[rpc_interface]` objects;
    /// `"Function"` for closures, `"Stub"` for a remote object seen from a layered stub).
    fn interface(&self) -> &str;
    /// The method; `None` when the object itself is called as a function (a callback).
    fn method(&self) -> Option<&str>;
    /// The session the call belongs to, if any (outbound calls on local stubs have none).
    fn session(&self) -> Option<&Session>;
    /// When the caller stops waiting, if it said.
    fn deadline(&self) -> Option<Instant>;
    /// Inbound or outbound.
    fn direction(&self) -> super::Direction;
}

/// A call a peer made on one of this side's objects: the request type of the inbound
/// service.
///
/// The arguments are already settled: promises among them have resolved.
pub struct CallRequest {
    pub(crate) target: Arc<dyn RpcTarget>,
    pub(crate) method: Option<String>,
    pub(crate) args: Vec<Value>,
    pub(crate) session: Session,
    pub(crate) deadline: Option<Instant>,
}

impl CallRequest {
    /// A request, for calling an inbound service directly (in tests, say).
    ///
    /// ```
    /// use rpc_core::{Session, Stub, Value, RpcError, testing::memory_pair};
    /// use rpc_core::middleware::{CallRequest, Dispatch, CallInfo};
    /// use tower::ServiceExt;
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = memory_pair();
    /// let session = Session::builder().start(a);
    /// let echo = Stub::from_fn(|args| async move { Ok::<_, RpcError>(args[0].clone()) });
    /// let request = CallRequest::new(&echo, None, vec![Value::from(7)], session).unwrap();
    /// assert_eq!(request.interface(), "Function");
    /// assert_eq!(Dispatch.oneshot(request).await.unwrap(), Value::from(7));
    /// # });
    /// ```
    ///
    /// `None` if `target` is not a local object.
    pub fn new(
        target: &Stub,
        method: Option<&str>,
        args: Vec<Value>,
        session: Session,
    ) -> Option<CallRequest> {
        Some(CallRequest {
            target: target.local_target()?.clone(),
            method: method.map(str::to_owned),
            args,
            session,
            deadline: None,
        })
    }

    /// The arguments.
    pub fn args(&self) -> &[Value] {
        &self.args
    }

    /// The arguments, for a layer that rewrites them.
    pub fn args_mut(&mut self) -> &mut Vec<Value> {
        &mut self.args
    }

    /// The object called.
    pub fn target(&self) -> &Arc<dyn RpcTarget> {
        &self.target
    }
}

impl CallInfo for CallRequest {
    fn interface(&self) -> &str {
        self.target.interface_name()
    }

    fn method(&self) -> Option<&str> {
        self.method.as_deref()
    }

    fn session(&self) -> Option<&Session> {
        Some(&self.session)
    }

    fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    fn direction(&self) -> super::Direction {
        super::Direction::Inbound
    }
}

impl fmt::Debug for CallRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallRequest")
            .field("interface", &self.interface())
            .field("method", &self.method)
            .field("args", &self.args.len())
            .field("session", &self.session.id())
            .field("deadline", &self.deadline)
            .finish()
    }
}

/// A call made through a layered stub ([`Stub::layer`](crate::Stub::layer)): the request type
/// of an outbound service. Cloneable, so a retry layer can send it again.
#[derive(Clone)]
pub struct OutboundRequest {
    pub(crate) interface: &'static str,
    pub(crate) stub: Stub,
    pub(crate) method: Option<String>,
    pub(crate) args: Vec<Value>,
}

impl OutboundRequest {
    /// A call of `method` (or of the object itself, for `None`) on `stub`.
    ///
    /// ```
    /// use rpc_core::{Stub, Value, RpcError};
    /// use rpc_core::middleware::{OutboundRequest, StubCall};
    /// use tower::ServiceExt;
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let double = Stub::from_fn(|args: Vec<Value>| async move {
    ///     Ok::<_, RpcError>(Value::from(args[0].as_i64().unwrap() * 2))
    /// });
    /// let request = OutboundRequest::new(double, None, vec![Value::from(4)]);
    /// assert_eq!(StubCall.oneshot(request).await.unwrap(), Value::from(8));
    /// # });
    /// ```
    pub fn new(stub: Stub, method: Option<&str>, args: Vec<Value>) -> OutboundRequest {
        let interface = stub.local_target().map_or("Stub", |t| t.interface_name());
        OutboundRequest {
            interface,
            stub,
            method: method.map(str::to_owned),
            args,
        }
    }

    /// The arguments.
    pub fn args(&self) -> &[Value] {
        &self.args
    }

    /// The arguments, for a layer that rewrites them.
    pub fn args_mut(&mut self) -> &mut Vec<Value> {
        &mut self.args
    }

    /// The stub the call goes through.
    pub fn stub(&self) -> &Stub {
        &self.stub
    }
}

impl CallInfo for OutboundRequest {
    fn interface(&self) -> &str {
        self.interface
    }

    fn method(&self) -> Option<&str> {
        self.method.as_deref()
    }

    fn session(&self) -> Option<&Session> {
        None
    }

    fn deadline(&self) -> Option<Instant> {
        crate::deadline::outgoing()
    }

    fn direction(&self) -> super::Direction {
        super::Direction::Outbound
    }
}

impl fmt::Debug for OutboundRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboundRequest")
            .field("interface", &self.interface)
            .field("stub", &self.stub)
            .field("method", &self.method)
            .field("args", &self.args.len())
            .finish()
    }
}
