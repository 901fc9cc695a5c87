//! `Callback`: a typed function passed by reference.

use std::{future::Future, marker::PhantomData};

use serde::{Serialize, de::DeserializeOwned};

use crate::{
    IntoArg, RpcError, RpcPromise, Stub,
    value::{Value, from_value, to_value},
};

/// A function that travels by reference: the receiver calls it, and the call runs where the
/// function was made.
///
/// `A` is the argument (`()` for none) and `R` the result. Put a `Callback` in any argument or
/// result; the receiver may call it during the call and after it has returned, as often as it
/// likes. When every clone is dropped, the owner is told (`release`).
///
/// ```
/// use rpc_core::{Callback, RpcError};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let times_ten: Callback<i64, i64> = Callback::new(|x: i64| async move { Ok(x * 10) });
/// assert_eq!(times_ten.call(4).await.unwrap(), 40);
/// # });
/// ```
pub struct Callback<A = (), R = ()> {
    stub: Stub,
    _types: PhantomData<fn(A) -> R>,
}

impl<A, R> Clone for Callback<A, R> {
    fn clone(&self) -> Self {
        Callback {
            stub: self.stub.clone(),
            _types: PhantomData,
        }
    }
}

impl<A, R> std::fmt::Debug for Callback<A, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Callback({:?})", self.stub)
    }
}

impl<A, R> Callback<A, R>
where
    A: DeserializeOwned + Send + 'static,
    R: Serialize + Send + 'static,
{
    /// Makes a callback from a closure or async fn.
    pub fn new<F, Fut>(f: F) -> Self
    where
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, RpcError>> + Send + 'static,
    {
        let stub = Stub::from_fn(move |args: Vec<Value>| {
            let arg = args.into_iter().next().unwrap_or_default();
            let parsed = from_value::<A>(arg);
            let fut = parsed.map(&f);
            async move { to_value(&fut?.await?) }
        });
        Callback {
            stub,
            _types: PhantomData,
        }
    }
}

impl<A, R> Callback<A, R> {
    /// Calls the function. The argument may be a promise of an `A`; the promise resolves with
    /// the function's result.
    pub fn call(&self, arg: impl IntoArg<A>) -> RpcPromise<R> {
        let args = match arg.into_arg() {
            Ok(Value::Undefined) => Vec::new(),
            Ok(v) => vec![v],
            Err(e) => return RpcPromise::rejected(e).typed(),
        };
        self.stub.call_function(args).typed()
    }
}

impl<A, R> Callback<A, R> {
    /// Wraps an untyped stub.
    pub fn from_stub(stub: Stub) -> Self {
        Callback {
            stub,
            _types: PhantomData,
        }
    }

    /// The untyped stub inside.
    pub fn stub(&self) -> &Stub {
        &self.stub
    }
}

impl<A, R> Serialize for Callback<A, R> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.stub.serialize(serializer)
    }
}

impl<'de, A, R> serde::Deserialize<'de> for Callback<A, R> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Stub::deserialize(deserializer).map(Callback::from_stub)
    }
}
