//! Deadlines: how long calls may take, carried to Capstan peers and inherited on request.
//!
//! Calls made inside [`within`] (or [`timeout`]) carry its deadline: awaiting one of them fails
//! with [`ErrorKind::Timeout`] once the deadline passes, and the
//! call is released, which cancels the remote work. A Capstan peer also receives the deadline
//! and cancels the call itself when it passes. Inside a handler, [`incoming`] is the caller's
//! deadline, and [`inherit`] applies it to the calls the handler makes in turn — an opt-in, so
//! a handler decides whether its own calls should share its caller's budget.
//!
//! ```
//! use std::time::Duration;
//! use rpc_core::{ErrorKind, RpcError, Session, Stub, Value, deadline};
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let (a, b) = rpc_core::testing::memory_pair();
//! let _server = Session::builder()
//!     .main(Stub::from_fn(|_| async {
//!         tokio::time::sleep(Duration::from_secs(60)).await;
//!         Ok::<_, RpcError>(Value::Null)
//!     }))
//!     .start(a);
//! let client = Session::builder().start(b);
//! let err = deadline::timeout(Duration::from_millis(50), async {
//!     client.main().call_function(vec![]).await
//! })
//! .await
//! .unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Timeout);
//! # });
//! ```

use std::{future::Future, time::Duration};

use tokio::time::Instant;

use crate::{ErrorKind, RpcError};

tokio::task_local! {
    /// The deadline calls made in this scope carry.
    static OUTGOING: Instant;
    /// The deadline of the incoming call being handled.
    static INCOMING: Instant;
}

/// Runs `fut` so that every call made inside it carries `deadline` (or an earlier one already
/// in force).
pub async fn within<F: Future>(deadline: Instant, fut: F) -> F::Output {
    let deadline = outgoing().map_or(deadline, |d| d.min(deadline));
    OUTGOING.scope(deadline, fut).await
}

/// Runs `fut` so that every call made inside it must finish within `duration` from now.
pub async fn timeout<F: Future>(duration: Duration, fut: F) -> F::Output {
    within(Instant::now() + duration, fut).await
}

/// The deadline of the incoming call being handled, if its caller set one. `None` outside a
/// handler.
pub fn incoming() -> Option<Instant> {
    INCOMING.try_with(|d| *d).ok()
}

/// Runs `fut` under the incoming call's deadline, if it has one: the calls a handler makes
/// inside it then share its caller's time budget.
pub async fn inherit<F: Future>(fut: F) -> F::Output {
    match incoming() {
        Some(deadline) => within(deadline, fut).await,
        None => fut.await,
    }
}

/// The deadline calls made now should carry.
pub(crate) fn outgoing() -> Option<Instant> {
    OUTGOING.try_with(|d| *d).ok()
}

/// Runs an incoming call's handler knowing its deadline, and cancels it when the deadline
/// passes.
pub(crate) async fn serve<F, T>(deadline: Instant, fut: F) -> Result<T, RpcError>
where
    F: Future<Output = Result<T, RpcError>>,
{
    match tokio::time::timeout_at(deadline, INCOMING.scope(deadline, fut)).await {
        Ok(result) => result,
        Err(_) => Err(expired()),
    }
}

/// The error of a call whose deadline passed.
pub(crate) fn expired() -> RpcError {
    RpcError::with_kind(ErrorKind::Timeout, "Error", "the call's deadline passed")
}

/// Milliseconds left until `deadline`, for the wire.
pub(crate) fn remaining_ms(deadline: Instant) -> u64 {
    deadline
        .saturating_duration_since(Instant::now())
        .as_millis()
        .try_into()
        .unwrap_or(u64::MAX)
}
