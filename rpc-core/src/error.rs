//! `RpcError`: every failure a call, a stub or a session can report.

use std::sync::Arc;

use crate::value::{Object, Value};

/// What kind of failure an [`RpcError`] is.
///
/// Application errors carry whatever name and message the method chose. The other kinds are
/// raised by Capstan itself; those that cross the wire carry a `code` property (for example
/// `"UNKNOWN_METHOD"`) so the caller's side recovers the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The method itself failed.
    Application,
    /// The target has no such method.
    UnknownMethod,
    /// The arguments (or a result) did not fit the declared types.
    InvalidArgument,
    /// The handler panicked; the session goes on.
    Panicked,
    /// The connection was lost.
    Disconnected,
    /// The session was aborted, by either side, with a reason.
    Aborted,
    /// The call was cancelled before it finished.
    Canceled,
    /// The peer broke the protocol.
    Protocol,
    /// A deadline passed.
    Timeout,
    /// A configured limit was exceeded.
    LimitExceeded,
}

impl ErrorKind {
    /// The `code` property this kind carries on the wire, if any.
    pub fn code(self) -> Option<&'static str> {
        Some(match self {
            ErrorKind::Application => return None,
            ErrorKind::UnknownMethod => "UNKNOWN_METHOD",
            ErrorKind::InvalidArgument => "INVALID_ARGUMENT",
            ErrorKind::Panicked => "PANICKED",
            ErrorKind::Disconnected => "DISCONNECTED",
            ErrorKind::Aborted => "ABORTED",
            ErrorKind::Canceled => "CANCELED",
            ErrorKind::Protocol => "PROTOCOL",
            ErrorKind::Timeout => "TIMEOUT",
            ErrorKind::LimitExceeded => "LIMIT_EXCEEDED",
        })
    }

    fn from_code(code: &str) -> Option<Self> {
        [
            ErrorKind::UnknownMethod,
            ErrorKind::InvalidArgument,
            ErrorKind::Panicked,
            ErrorKind::Disconnected,
            ErrorKind::Aborted,
            ErrorKind::Canceled,
            ErrorKind::Protocol,
            ErrorKind::Timeout,
            ErrorKind::LimitExceeded,
        ]
        .into_iter()
        .find(|k| k.code() == Some(code))
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Inner {
    kind: ErrorKind,
    name: String,
    message: String,
    stack: Option<String>,
    props: Object,
}

/// An error with a JavaScript class name, a message and extra properties.
///
/// It is cheap to clone (one `Arc`), so one failure can reject many waiting calls.
///
/// ```
/// use rpc_core::{ErrorKind, RpcError};
/// let e = RpcError::range_error("out of range").with_prop("code", 42);
/// assert_eq!(e.name(), "RangeError");
/// assert_eq!(e.message(), "out of range");
/// assert_eq!(e.kind(), ErrorKind::Application);
/// assert_eq!(e.prop("code").and_then(|v| v.as_i64()), Some(42));
/// assert_eq!(e.to_string(), "RangeError: out of range");
/// ```
#[derive(Debug, Clone)]
pub struct RpcError(Arc<Inner>);

impl PartialEq for RpcError {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl RpcError {
    /// An application error with a JavaScript class name (`"Error"`, `"TypeError"`, …).
    pub fn new(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self::with_kind(ErrorKind::Application, name, message)
    }

    /// An error of a given kind.
    pub fn with_kind(kind: ErrorKind, name: impl Into<String>, message: impl Into<String>) -> Self {
        RpcError(Arc::new(Inner {
            kind,
            name: name.into(),
            message: message.into(),
            stack: None,
            props: Object::new(),
        }))
    }

    /// A plain `Error`.
    pub fn error(message: impl Into<String>) -> Self {
        Self::new("Error", message)
    }

    /// A `TypeError`.
    pub fn type_error(message: impl Into<String>) -> Self {
        Self::new("TypeError", message)
    }

    /// A `RangeError`.
    pub fn range_error(message: impl Into<String>) -> Self {
        Self::new("RangeError", message)
    }

    /// The connection was lost.
    pub fn disconnected(message: impl Into<String>) -> Self {
        Self::with_kind(ErrorKind::Disconnected, "Error", message)
    }

    /// The call was cancelled.
    pub fn canceled(message: impl Into<String>) -> Self {
        Self::with_kind(ErrorKind::Canceled, "Error", message)
    }

    /// The peer broke the protocol.
    pub fn protocol(message: impl Into<String>) -> Self {
        Self::with_kind(ErrorKind::Protocol, "Error", message)
    }

    /// A limit was exceeded; `limit` names it. Reported through `tracing` at `WARN` as it is
    /// made, since every limit guards against a peer and operators want to see it hit.
    pub fn limit(limit: &str, detail: impl std::fmt::Display) -> Self {
        tracing::warn!(limit, %detail, "limit exceeded");
        Self::with_kind(
            ErrorKind::LimitExceeded,
            "RangeError",
            format!("{limit} limit exceeded: {detail}"),
        )
    }

    /// The arguments did not fit the declared types.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::with_kind(ErrorKind::InvalidArgument, "TypeError", message)
    }

    /// The target has no such method.
    pub fn unknown_method(method: &str) -> Self {
        Self::with_kind(
            ErrorKind::UnknownMethod,
            "TypeError",
            format!("'{method}' is not a function."),
        )
    }

    /// Adds (or replaces) an extra property.
    pub fn with_prop(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        Arc::make_mut(&mut self.0).props.insert(key, value);
        self
    }

    /// Sets the stack text, sent only when set.
    pub fn with_stack(mut self, stack: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.0).stack = Some(stack.into());
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The JavaScript class name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The stack, if the sender revealed it.
    pub fn stack(&self) -> Option<&str> {
        self.0.stack.as_deref()
    }

    /// Extra properties, without the kind's `code`.
    pub fn props(&self) -> &Object {
        &self.0.props
    }

    /// One extra property.
    pub fn prop(&self, key: &str) -> Option<&Value> {
        self.0.props.get(key)
    }

    /// True when the session that produced this error is gone for good.
    pub fn is_broken_session(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::Disconnected | ErrorKind::Aborted | ErrorKind::Protocol
        )
    }

    /// The properties to send on the wire: the extra properties plus the kind's `code`.
    pub(crate) fn wire_props(&self) -> Object {
        let mut props = self.0.props.clone();
        if let Some(code) = self.kind().code() {
            if props.get("code").is_none() {
                props.insert("code", code);
            }
        }
        props
    }

    /// Rebuilds an error received from the wire, recovering the kind from `code`.
    pub(crate) fn from_wire(
        name: String,
        message: String,
        stack: Option<String>,
        mut props: Object,
    ) -> Self {
        let kind = match props.get("code").and_then(Value::as_str) {
            Some(code) => ErrorKind::from_code(code),
            None => None,
        };
        if kind.is_some() {
            props.remove("code");
        }
        RpcError(Arc::new(Inner {
            kind: kind.unwrap_or(ErrorKind::Application),
            name,
            message,
            stack,
            props,
        }))
    }

    /// Turns any rejection value into an error: errors stay, other values are described.
    ///
    /// A rejection may not carry references (capnweb forbids stubs in a reject), and keeping
    /// one could tie a promise or a stream to itself in a cycle that is never freed, so
    /// references are dropped.
    pub(crate) fn from_rejection(value: Value) -> Self {
        match value {
            Value::Error(e) if !e.props().iter().any(|(_, v)| v.has_references()) => e,
            Value::Error(e) => RpcError::with_kind(e.kind(), e.name(), e.message()),
            Value::String(s) => RpcError::error(s),
            other if other.has_references() => RpcError::error(format!(
                "rejected with a {} holding references",
                other.kind_name()
            )),
            other => RpcError::error(format!("rejected with a non-error {}", other.kind_name()))
                .with_prop("value", other),
        }
    }
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.0.name, self.0.message)
    }
}

impl std::error::Error for RpcError {}

impl From<std::io::Error> for RpcError {
    fn from(e: std::io::Error) -> Self {
        RpcError::disconnected(e.to_string())
    }
}
