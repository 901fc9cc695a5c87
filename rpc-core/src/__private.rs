//! What `#[rpc_interface]` expands to calls. Not a public API: it may change in any release.
//!
//! Keeping this surface small is what keeps the macro thin and its `cargo expand` output
//! readable.

use serde::{Serialize, de::DeserializeOwned};

pub use crate::reflect::{InterfaceDescription, MethodDescription, ParamDescription};
pub use crate::{
    CallFuture, IntoArg, RpcError, RpcPromise, RpcTarget, Stub, TypedStub, value::Value,
};
pub use serde;

/// The arguments of one incoming call, taken in order.
pub struct Args {
    method: &'static str,
    args: std::vec::IntoIter<Value>,
}

impl Args {
    /// Wraps the argument list of a call to `method`.
    pub fn new(method: &'static str, args: Vec<Value>) -> Self {
        Args {
            method,
            args: args.into_iter(),
        }
    }

    /// The next argument; a missing one reads as `undefined`, as in JavaScript.
    pub fn next<T: DeserializeOwned>(&mut self, name: &str) -> Result<T, RpcError> {
        let value = self.args.next().unwrap_or_default();
        crate::value::from_value(value).map_err(|e| {
            RpcError::invalid_argument(format!(
                "{}: argument `{name}`: {}",
                self.method,
                e.message()
            ))
        })
    }
}

/// Turns a method's result into the value sent back.
pub fn respond<T: Serialize, E: Into<RpcError>>(result: Result<T, E>) -> Result<Value, RpcError> {
    crate::value::to_value(&result.map_err(Into::into)?)
}

/// The answer to a method the interface does not have.
pub fn unknown_method(method: &str) -> CallFuture {
    Box::pin(std::future::ready(Err(RpcError::unknown_method(method))))
}

/// Sends a call; an argument that failed to serialize rejects the promise instead.
pub fn call<T, const N: usize>(
    stub: &Stub,
    method: &str,
    args: [Result<Value, RpcError>; N],
) -> RpcPromise<T> {
    match args.into_iter().collect::<Result<Vec<_>, _>>() {
        Ok(args) => stub.call(method, args).typed(),
        Err(e) => RpcPromise::rejected(e).typed(),
    }
}

/// Awaits a promise and converts a transport error into the method's error type.
pub async fn finish<T, E>(promise: RpcPromise<T>) -> Result<T, E>
where
    T: DeserializeOwned + Send + 'static,
    E: From<RpcError>,
{
    promise.await.map_err(E::from)
}

/// Compile-time check that an argument type can travel.
pub fn assert_arg<T: Serialize + DeserializeOwned + Send + 'static>() {}

/// Compile-time check that a method's result type can travel.
pub fn assert_result<T, E>()
where
    T: Serialize + DeserializeOwned + Send + 'static,
    E: Into<RpcError> + From<RpcError> + Send + 'static,
{
}
