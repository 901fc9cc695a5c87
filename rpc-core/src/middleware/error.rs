//! Turning the errors of tower's layers into `RpcError`s, so the peer gets a typed error.

use crate::{ErrorKind, RpcError};

/// Converts an error from a tower layer into the error the caller receives.
///
/// An [`RpcError`] passes through unchanged; tower's timeout becomes
/// [`ErrorKind::Timeout`], its load shedding [`ErrorKind::LimitExceeded`]; anything else
/// becomes an `Error` carrying the error's message.
///
/// ```
/// use rpc_core::{ErrorKind, RpcError, middleware::into_rpc_error};
///
/// let err = into_rpc_error(Box::new(tower::timeout::error::Elapsed::new()));
/// assert_eq!(err.kind(), ErrorKind::Timeout);
/// let err = into_rpc_error(Box::new(RpcError::type_error("nope")));
/// assert_eq!((err.name(), err.message()), ("TypeError", "nope"));
/// ```
pub fn into_rpc_error(error: tower::BoxError) -> RpcError {
    let error = match error.downcast::<RpcError>() {
        Ok(rpc) => return *rpc,
        Err(other) => other,
    };
    if error.is::<tower::timeout::error::Elapsed>() {
        return RpcError::with_kind(ErrorKind::Timeout, "Error", "the call timed out");
    }
    if error.is::<tower::load_shed::error::Overloaded>() {
        return RpcError::limit("load_shed", "the server is overloaded");
    }
    RpcError::error(error.to_string())
}

/// `poll_ready` of a layer's inner service, its error converted: what every layer here does.
pub(super) fn poll_inner<S, R>(
    inner: &mut S,
    cx: &mut std::task::Context<'_>,
) -> std::task::Poll<Result<(), RpcError>>
where
    S: tower::Service<R>,
    S::Error: Into<tower::BoxError>,
{
    inner.poll_ready(cx).map_err(|e| into_rpc_error(e.into()))
}
