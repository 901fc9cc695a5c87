//! `RpcTarget`: the dynamic dispatch trait that local objects implement.

use std::{any::Any, future::Future, pin::Pin, sync::Arc};

use crate::{RpcError, value::Value};

/// The future a call returns.
pub type CallFuture = Pin<Box<dyn Future<Output = Result<Value, RpcError>> + Send + 'static>>;

/// A local object that peers can call.
///
/// `#[rpc_interface]` implements this for you (on the generated `…Server<T>` type); implement it
/// by hand for dynamic objects. Only what this trait answers is reachable: a peer can never reach
/// fields, private methods or anything else.
///
/// ```
/// use std::sync::Arc;
/// use rpc_core::{CallFuture, RpcError, RpcTarget, Stub, Value};
///
/// struct Echo;
/// impl RpcTarget for Echo {
///     fn call(self: Arc<Self>, method: &str, args: Vec<Value>) -> CallFuture {
///         let method = method.to_owned();
///         Box::pin(async move {
///             match method.as_str() {
///                 "echo" => Ok(args.into_iter().next().unwrap_or_default()),
///                 _ => Err(RpcError::unknown_method(&method)),
///             }
///         })
///     }
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let stub = Stub::new(Echo);
/// assert_eq!(stub.call("echo", vec![Value::from(5)]).await.unwrap(), Value::Int(5));
/// # });
/// ```
pub trait RpcTarget: Any + Send + Sync {
    /// Calls the method `method` with `args`.
    fn call(self: Arc<Self>, method: &str, args: Vec<Value>) -> CallFuture;

    /// Calls the object itself, as a function (an empty path on the wire).
    fn call_as_function(self: Arc<Self>, args: Vec<Value>) -> CallFuture {
        let _ = args;
        Box::pin(std::future::ready(Err(RpcError::type_error(
            "the target is not a function.",
        ))))
    }

    /// Reads a property. Objects expose no properties unless they say so.
    fn get(self: Arc<Self>, property: &str) -> CallFuture {
        let _ = property;
        Box::pin(std::future::ready(Ok(Value::Undefined)))
    }

    /// The interface name, for logs and reflection.
    fn interface_name(&self) -> &'static str {
        "RpcTarget"
    }

    /// What the object offers, for reflection: `#[rpc_interface]` servers return their
    /// interface's description; other objects have none.
    ///
    /// Peers read it with the reserved method
    /// [`__describe__`](crate::reflect::DESCRIBE_METHOD), which Capstan answers without calling
    /// [`call`](Self::call) (see [`reflect`](crate::reflect)).
    ///
    /// ```
    /// use rpc_core::{RpcError, RpcTarget, rpc_interface};
    ///
    /// #[rpc_interface]
    /// trait Ping {
    ///     async fn ping(&self) -> Result<(), RpcError>;
    /// }
    /// struct Pong;
    /// impl Ping for Pong {
    ///     async fn ping(&self) -> Result<(), RpcError> { Ok(()) }
    /// }
    ///
    /// let server = PingServer::new(Pong);
    /// assert_eq!(server.description().map(|d| d.name), Some("Ping"));
    /// ```
    fn description(&self) -> Option<&'static crate::reflect::InterfaceDescription> {
        None
    }
}
