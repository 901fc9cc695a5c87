//! Reflection: what an interface offers, as data a peer can ask for.
//!
//! `#[rpc_interface]` describes every interface it expands: its name and doc comment, and for
//! each method the wire name, the parameters (names, and types as written in Rust), the result
//! type and the doc comment. The description is `'static` data, built at compile time, an
//! [`InterfaceDescription`]: `FooClient::DESCRIPTION` and `FooServer::<T>::DESCRIPTION` hold
//! it, and [`RpcTarget::description`] returns it for an exported object.
//!
//! # The reserved method `__describe__`
//!
//! A peer learns what an object offers by calling its method [`DESCRIBE_METHOD`]
//! (`__describe__`) with no arguments: Capstan answers it, for every exported object that has a
//! description, with [`InterfaceDescription::to_value`] (see that method for the shape). The
//! call never reaches the implementation, so no interface needs to, or can, define a method of
//! that name. A JavaScript peer calls it like any other method
//! (`await stub.__describe__()`).
//!
//! A server that would rather not tell peers what its objects offer turns it off with
//! [`SessionBuilder::reflection(false)`](crate::SessionBuilder::reflection); a call of
//! `__describe__` then fails exactly as a call of a method the object does not have. The switch
//! governs the calls that session's peer makes, by whatever route (direct, pipelined, inside a
//! `.map()`); code in the process can still call `__describe__` on a local stub, and the
//! `DESCRIPTION` constants are always there.
//!
//! ```
//! use rpc_core::{RpcError, Session, Value, reflect, rpc_interface};
//!
//! /// Says hello.
//! #[rpc_interface]
//! trait Greeter {
//!     /// A greeting for `name`.
//!     async fn greet(&self, name: String) -> Result<String, RpcError>;
//! }
//!
//! struct English;
//! impl Greeter for English {
//!     async fn greet(&self, name: String) -> Result<String, RpcError> {
//!         Ok(format!("Hello, {name}!"))
//!     }
//! }
//!
//! // The description is plain data…
//! let description = GreeterClient::DESCRIPTION;
//! assert_eq!(description.name, "Greeter");
//! assert_eq!(description.docs, "Says hello.");
//! assert_eq!(description.methods[0].params[0].ty, "String");
//!
//! // …that a peer fetches with the reserved method.
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let (a, b) = rpc_core::testing::memory_pair();
//! let _server = Session::builder().main(GreeterServer::new(English)).start(a);
//! let client = Session::builder().start(b);
//! let fetched = reflect::describe(&client.main()).await.unwrap();
//! assert_eq!(fetched, description.to_value());
//! assert_eq!(fetched.get("name"), Some(&Value::from("Greeter")));
//! # });
//! ```

use serde::Serialize;

use crate::{RpcError, RpcPromise, RpcTarget, Stub, middleware::PeerCall, value::Value};

/// The reserved method every exported object with a description answers with it.
///
/// Its double underscores keep it clear of the camelCase names `#[rpc_interface]` generates and
/// of JavaScript's own `Object.prototype` members, so a capnweb peer can call it as an ordinary
/// method.
pub const DESCRIBE_METHOD: &str = "__describe__";

/// What an interface offers: built by `#[rpc_interface]`, readable in the process and by peers.
///
/// It serializes (with serde, or [`to_value`](Self::to_value)) as
/// `{"name", "docs", "methods": [{"name", "docs", "params": [{"name", "type"}], "returns",
/// "error"}]}`, where every leaf is a string.
///
/// ```
/// use rpc_core::reflect::{InterfaceDescription, MethodDescription, ParamDescription};
///
/// // What `#[rpc_interface]` builds for a one-method interface, written out by hand.
/// static ADDER: InterfaceDescription = InterfaceDescription {
///     name: "Adder",
///     docs: "Adds numbers.",
///     methods: &[MethodDescription {
///         name: "add",
///         docs: "`a + b`.",
///         params: &[
///             ParamDescription { name: "a", ty: "i64" },
///             ParamDescription { name: "b", ty: "i64" },
///         ],
///         returns: "i64",
///         error: "RpcError",
///     }],
/// };
/// assert_eq!(ADDER.method("add").map(|m| m.params.len()), Some(2));
/// assert_eq!(ADDER.method("sub"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InterfaceDescription {
    /// The interface (trait) name.
    pub name: &'static str,
    /// Its doc comment, without the `///` markers; empty when it has none.
    pub docs: &'static str,
    /// Its methods, in declaration order.
    pub methods: &'static [MethodDescription],
}

/// One method of an [`InterfaceDescription`].
///
/// ```
/// use rpc_core::{RpcError, rpc_interface};
///
/// #[rpc_interface]
/// trait Store {
///     /// Stores `items` under `key`; returns how many there are now.
///     async fn put_all(&self, key: String, items: Vec<String>) -> Result<u32, RpcError>;
/// }
///
/// let put = StoreClient::DESCRIPTION.method("putAll").unwrap();
/// assert_eq!(put.docs, "Stores `items` under `key`; returns how many there are now.");
/// assert_eq!(put.params[1].name, "items");
/// assert_eq!(put.params[1].ty, "Vec<String>");
/// assert_eq!((put.returns, put.error), ("u32", "RpcError"));
/// assert_eq!(put.signature(), "putAll(key: String, items: Vec<String>) -> u32");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MethodDescription {
    /// The name on the wire (camelCase unless renamed), which is the name peers call.
    pub name: &'static str,
    /// Its doc comment; empty when it has none.
    pub docs: &'static str,
    /// Its parameters, in order (the order of the call's arguments).
    pub params: &'static [ParamDescription],
    /// The type of a successful result, as written in Rust (`T` of `Result<T, E>`).
    pub returns: &'static str,
    /// The error type, as written in Rust (`E` of `Result<T, E>`).
    pub error: &'static str,
}

/// One parameter of a [`MethodDescription`].
///
/// ```
/// use rpc_core::reflect::ParamDescription;
/// let p = ParamDescription { name: "tags", ty: "Vec<String>" };
/// assert_eq!(rpc_core::value::to_value(&p).unwrap().get("type").and_then(|t| t.as_str()), Some("Vec<String>"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ParamDescription {
    /// The parameter name.
    pub name: &'static str,
    /// Its type, as written in Rust (serialized as `type`).
    #[serde(rename = "type")]
    pub ty: &'static str,
}

impl InterfaceDescription {
    /// The method called `name` on the wire.
    ///
    /// ```
    /// # use rpc_core::{RpcError, rpc_interface};
    /// #[rpc_interface]
    /// trait Clock {
    ///     async fn now_ms(&self) -> Result<u64, RpcError>;
    /// }
    /// assert!(ClockClient::DESCRIPTION.method("nowMs").is_some());
    /// assert!(ClockClient::DESCRIPTION.method("now_ms").is_none());
    /// ```
    pub fn method(&self, name: &str) -> Option<&'static MethodDescription> {
        self.methods.iter().find(|m| m.name == name)
    }

    /// The description as the value `__describe__` answers with: an object of strings and
    /// arrays, which both codecs carry and capnweb reads as plain JSON.
    ///
    /// ```
    /// # use rpc_core::{RpcError, Value, rpc_interface};
    /// /// Tells the time.
    /// #[rpc_interface]
    /// trait Clock {
    ///     async fn now_ms(&self) -> Result<u64, RpcError>;
    /// }
    /// let value = ClockClient::DESCRIPTION.to_value();
    /// assert_eq!(value.get("docs"), Some(&Value::from("Tells the time.")));
    /// let method = &value.get("methods").unwrap().as_array().unwrap()[0];
    /// assert_eq!(method.get("returns"), Some(&Value::from("u64")));
    /// assert_eq!(method.get("params"), Some(&Value::Array(vec![])));
    /// ```
    pub fn to_value(&self) -> Value {
        crate::value::to_value(self).expect("a description is made of strings and arrays")
    }
}

impl MethodDescription {
    /// The signature in one line, as peers call it: `name(param: Type, …) -> Returns`.
    ///
    /// ```
    /// # use rpc_core::{RpcError, rpc_interface};
    /// #[rpc_interface]
    /// trait Clock {
    ///     #[rpc(name = "setAlarm")]
    ///     async fn alarm(&self, at_ms: u64, label: Option<String>) -> Result<(), RpcError>;
    /// }
    /// assert_eq!(
    ///     ClockClient::DESCRIPTION.methods[0].signature(),
    ///     "setAlarm(at_ms: u64, label: Option<String>) -> ()"
    /// );
    /// ```
    pub fn signature(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| format!("{}: {}", p.name, p.ty))
            .collect();
        format!("{}({}) -> {}", self.name, params.join(", "), self.returns)
    }
}

/// Asks the object behind `stub` for its description: a call of [`DESCRIBE_METHOD`].
///
/// The promise resolves to the value of [`InterfaceDescription::to_value`]. It is rejected with
/// an [`UnknownMethod`](crate::ErrorKind::UnknownMethod) error (a `TypeError`) when the object
/// has no description or its server turned reflection off; a capnweb server answers with an
/// error of its own, as for any method its object lacks.
///
/// ```
/// use rpc_core::{ErrorKind, RpcError, Session, Stub, Value, reflect};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// // A closure has no description.
/// let (a, b) = rpc_core::testing::memory_pair();
/// let _server = Session::builder()
///     .main(Stub::from_fn(|_| async { Ok::<_, RpcError>(Value::Null) }))
///     .start(a);
/// let client = Session::builder().start(b);
/// let e = reflect::describe(&client.main()).await.unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::UnknownMethod);
/// # });
/// ```
pub fn describe(stub: &Stub) -> RpcPromise {
    stub.call(DESCRIBE_METHOD, Vec::new())
}

/// The answer to `method` on the local object `target`, when reflection answers it rather than
/// the object: `None` for every method but [`DESCRIBE_METHOD`].
///
/// Called where a local object's method is called. A call from a peer (`peer`) is answered only
/// when its session allows reflection; a call made in the process always is.
pub(crate) fn intercept(
    target: &dyn RpcTarget,
    method: &str,
    peer: Option<&PeerCall>,
) -> Option<Result<Value, RpcError>> {
    if method != DESCRIBE_METHOD {
        return None;
    }
    let allowed = peer.is_none_or(|peer| peer.shared.reflection);
    Some(match target.description() {
        Some(description) if allowed => Ok(description.to_value()),
        // The same error as any missing method, so a peer cannot tell "switched off" from
        // "nothing to describe" or probe for the feature.
        _ => Err(RpcError::unknown_method(method)),
    })
}
