//! `RpcPromise`: a result that may not have arrived yet.

use std::{
    future::{Future, IntoFuture},
    marker::PhantomData,
    pin::Pin,
    sync::{Arc, OnceLock},
    time::Duration,
};

use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::{
    RpcError, Stub, TypedStub, deadline, deliver,
    pending::Pending,
    protocol::PathKey,
    remap::record,
    session::{ImportRef, SessionShared},
    start::{catch_panic, start},
    stub::Hook,
    value::{Value, from_value},
};

#[derive(Clone)]
pub(crate) enum Source {
    /// The result of one of our pushes, or a promise the peer exported.
    Remote {
        import: Arc<ImportRef>,
        result: Pending,
    },
    /// A result computed in this process.
    Local(Pending),
    /// A placeholder inside a `.map()` closure being recorded.
    Variable(record::Variable),
}

/// The result of a call, usable before it arrives.
///
/// - `.await` it for the result (this sends `pull` the first time).
/// - Call methods on it, or read properties, to pipeline: the call goes out at once, naming
///   this result, with no round trip in between.
/// - Pass it as an argument to another call without awaiting it.
///
/// Dropping every clone of an unawaited promise sends `release`.
///
/// For a promise of a typed stub (`RpcPromise<CounterClient>`), the stub's methods are
/// available on the promise itself through `Deref`, so `calc.counter(5).increment(1)` is one
/// round trip.
///
/// ```
/// use rpc_core::{RpcPromise, Value};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let ready: RpcPromise<i64> = RpcPromise::resolved(Value::Int(3)).typed();
/// assert_eq!(ready.await.unwrap(), 3);
/// # });
/// ```
pub struct RpcPromise<T = Value> {
    pub(crate) source: Source,
    pub(crate) path: Vec<PathKey>,
    /// Awaiting fails with a timeout after this (see [`crate::deadline`]).
    deadline: Option<Instant>,
    pipelined: OnceLock<Box<T>>,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for RpcPromise<T> {
    fn clone(&self) -> Self {
        RpcPromise {
            source: self.source.clone(),
            path: self.path.clone(),
            deadline: self.deadline,
            pipelined: OnceLock::new(),
            _type: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for RpcPromise<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            Source::Remote { import, .. } => write!(f, "RpcPromise(import {}", import.id)?,
            Source::Local(p) => write!(f, "RpcPromise({p:?}")?,
            Source::Variable(v) => write!(f, "RpcPromise({v:?}")?,
        }
        write!(f, ", path {:?})", self.path)
    }
}

impl RpcPromise {
    pub(crate) fn new(source: Source, path: Vec<PathKey>) -> Self {
        RpcPromise {
            source,
            path,
            deadline: deadline::outgoing(),
            pipelined: OnceLock::new(),
            _type: PhantomData,
        }
    }

    /// A promise that is already resolved.
    pub fn resolved(value: Value) -> Self {
        Self::new(Source::Local(Pending::settled(Ok(value))), Vec::new())
    }

    /// A promise that is already rejected.
    pub fn rejected(error: RpcError) -> Self {
        Self::new(Source::Local(Pending::settled(Err(error))), Vec::new())
    }

    /// A promise for a local future, started at once.
    pub fn from_future(
        fut: impl Future<Output = Result<Value, RpcError>> + Send + 'static,
    ) -> Self {
        let pending = Pending::new();
        let settler = pending.settler();
        start(async move { settler.settle(catch_panic(fut).await) });
        Self::new(Source::Local(pending), Vec::new())
    }

    /// Calls `method` on the result (pipelined).
    pub fn call(&self, method: &str, args: Vec<Value>) -> RpcPromise {
        self.invoke(vec![PathKey::from(method)], Some(args))
    }

    /// Calls the result itself as a function (pipelined).
    pub fn call_function(&self, args: Vec<Value>) -> RpcPromise {
        self.invoke(Vec::new(), Some(args))
    }

    /// A property of the result. Nothing is sent until the new promise is awaited or used.
    pub fn get(&self, property: impl Into<PathKey>) -> RpcPromise {
        let mut path = self.path.clone();
        path.push(property.into());
        RpcPromise::new(self.source.clone(), path)
    }

    /// A property path, then a call when `args` is `Some`, on the result (pipelined).
    pub fn invoke(&self, path: Vec<PathKey>, args: Option<Vec<Value>>) -> RpcPromise {
        let mut full = self.path.clone();
        full.extend(path);
        if record::active() {
            let base = RpcPromise::new(self.source.clone(), Vec::new());
            return record::record(&Value::Promise(base), full, args);
        }
        match &self.source {
            Source::Remote { import, .. } => import.session.push_call(import.id, full, args),
            Source::Local(pending) => {
                let pending = pending.clone();
                RpcPromise::from_future(async move {
                    let target = pending.wait().await?;
                    deliver::invoke(target, full, args, None).await
                })
            }
            Source::Variable(_) => RpcPromise::rejected(outside_mapper()),
        }
    }

    /// Maps the result with `f`, which is recorded once, here, and replayed by the result's
    /// owner: on each element of an array, not at all on `null` or `undefined`, and once on any
    /// other value. A remote result costs one round trip, however many elements it has.
    ///
    /// `f` receives a placeholder: calls on it, and on any stub it uses, are recorded rather
    /// than run, so it must not await or have side effects.
    ///
    /// ```
    /// use rpc_core::{RpcPromise, Value};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let list = RpcPromise::resolved(Value::from(vec![Value::from(1), Value::from(2)]));
    /// let doubled = list.map_values(|x| Value::from(vec![Value::Promise(x), Value::from("!")]));
    /// assert_eq!(
    ///     doubled.await.unwrap(),
    ///     Value::from(vec![
    ///         Value::from(vec![Value::from(1), Value::from("!")]),
    ///         Value::from(vec![Value::from(2), Value::from("!")]),
    ///     ])
    /// );
    /// # });
    /// ```
    pub fn map_values(&self, f: impl FnOnce(RpcPromise) -> Value) -> RpcPromise {
        record::map(self, |input| Ok(f(input)))
    }

    /// Waits for the value (failing with a timeout if the promise has a deadline that passes).
    pub async fn resolve(self) -> Result<Value, RpcError> {
        match self.deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, self.settle())
                .await
                .unwrap_or_else(|_| Err(deadline::expired())),
            None => self.settle().await,
        }
    }

    async fn settle(self) -> Result<Value, RpcError> {
        match (&self.source, self.path.is_empty()) {
            (Source::Remote { import, result }, true) => {
                import
                    .session
                    .pull(import.id, Arc::strong_count(import) == 1);
                result.wait().await
            }
            (Source::Remote { import, .. }, false) => {
                // A property of a remote result: ask the peer for just that (one push).
                let get = import.session.push_call(import.id, self.path.clone(), None);
                Box::pin(get.resolve()).await
            }
            (Source::Local(pending), _) => {
                let value = pending.wait().await?;
                if self.path.is_empty() {
                    Ok(value)
                } else {
                    deliver::invoke(value, self.path.clone(), None, None).await
                }
            }
            (Source::Variable(_), _) => Err(outside_mapper()),
        }
    }
}

fn outside_mapper() -> RpcError {
    RpcError::type_error(
        "a placeholder from a map() closure was used outside it; map closures must not await",
    )
}

impl<T> RpcPromise<T> {
    /// The same promise, read as type `U`.
    pub fn typed<U>(self) -> RpcPromise<U> {
        RpcPromise {
            source: self.source,
            path: self.path,
            deadline: self.deadline,
            pipelined: OnceLock::new(),
            _type: PhantomData,
        }
    }

    /// Gives up waiting after `duration`: awaiting then fails with
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout), and dropping the promise releases
    /// the call, which cancels the remote work.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_core::{ErrorKind, RpcPromise};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let never: RpcPromise<i64> = RpcPromise::from_future(std::future::pending()).typed();
    /// let err = never.timeout(Duration::from_millis(10)).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Timeout);
    /// # });
    /// ```
    pub fn timeout(mut self, duration: Duration) -> Self {
        let deadline = Instant::now() + duration;
        self.deadline = Some(self.deadline.map_or(deadline, |d| d.min(deadline)));
        self
    }

    /// The same promise, untyped.
    pub fn untyped(self) -> RpcPromise {
        self.typed()
    }

    pub(crate) fn untyped_ref(&self) -> RpcPromise {
        self.clone().typed()
    }

    /// A stub on the future result: calls on it are pipelined.
    pub fn into_stub(self) -> Stub {
        Stub(Hook::Promised(self.untyped()))
    }

    pub(crate) fn session(&self) -> Option<&Arc<SessionShared>> {
        match &self.source {
            Source::Remote { import, .. } => Some(&import.session),
            Source::Local(_) | Source::Variable(_) => None,
        }
    }
}

impl<T: TypedStub> std::ops::Deref for RpcPromise<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.pipelined
            .get_or_init(|| Box::new(T::from_stub(self.clone().into_stub())))
    }
}

impl<T: DeserializeOwned + Send + 'static> IntoFuture for RpcPromise<T> {
    type Output = Result<T, RpcError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T, RpcError>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { from_value(self.untyped().resolve().await?) })
    }
}

impl<T> serde::Serialize for RpcPromise<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Value::Promise(self.untyped_ref()).serialize(serializer)
    }
}

impl<'de, T> serde::Deserialize<'de> for RpcPromise<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(deserializer)? {
            Value::Promise(p) => p.typed(),
            other => RpcPromise::resolved(other).typed(),
        })
    }
}

impl<T> RpcPromise<Vec<T>> {
    /// Maps each element of a remote array with `f`, recorded once and replayed by the
    /// array's owner: one round trip for the whole array. `f` returns the promise of a call
    /// (for anything else, use [`RpcPromise::map_values`]).
    ///
    /// ```
    /// use rpc_core::{RpcPromise, Value};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let names: RpcPromise<Vec<String>> =
    ///     RpcPromise::resolved(Value::from(vec![Value::from("a"), Value::from("b")])).typed();
    /// let same: RpcPromise<Vec<String>> = names.map(|name| name);
    /// assert_eq!(same.await.unwrap(), ["a", "b"]);
    /// # });
    /// ```
    pub fn map<U>(&self, f: impl FnOnce(RpcPromise<T>) -> RpcPromise<U>) -> RpcPromise<Vec<U>> {
        record::map(&self.untyped_ref(), |input| {
            Ok(Value::Promise(f(input.typed()).untyped()))
        })
        .typed()
    }
}

impl<T> RpcPromise<Option<T>> {
    /// Maps a remote optional value with `f`: `None` stays `None` without running it. Like
    /// [`RpcPromise::map_values`], `f` is recorded once and replayed by the value's owner.
    pub fn map<U>(&self, f: impl FnOnce(RpcPromise<T>) -> RpcPromise<U>) -> RpcPromise<Option<U>> {
        record::map(&self.untyped_ref(), |input| {
            Ok(Value::Promise(f(input.typed()).untyped()))
        })
        .typed()
    }
}
