//! Tower middleware around calls, in both directions.
//!
//! - **Inbound**: every call a peer makes on one of this side's objects passes through the
//!   session's inbound [`Service`](tower::Service) before it reaches the object: a
//!   [`CallRequest`] in, the result [`Value`](crate::Value) out, [`RpcError`](crate::RpcError) as the error.
//!   [`SessionBuilder::layer`](crate::SessionBuilder::layer) wraps it in any tower
//!   [`Layer`](tower::Layer): tower's own (timeout, concurrency limit, load shed), a user's, or
//!   the three here.
//! - **Outbound**: [`Stub::layer`](crate::Stub::layer) wraps the calls made through one stub
//!   (and every typed client built on it) in a layer whose service takes an
//!   [`OutboundRequest`]; for client-side tracing, or retries of idempotent calls.
//!
//! The layers shipped here work on both sides, through [`CallInfo`]:
//! - [`TraceLayer`]: a `tracing` span per call, with the interface, method, session id,
//!   outcome and duration;
//! - [`PolicyLayer`]: denies calls by a rule of the user's;
//! - [`MetricsLayer`]: counts calls and errors per method ([`CallCounts`]) and hands each
//!   finished call to an optional callback, for a metrics facade.
//!
//! A layer rejects a call by returning `Err(RpcError)`; the caller receives exactly that error.
//! Errors of tower's own layers are converted: a timeout becomes
//! [`ErrorKind::Timeout`](crate::ErrorKind::Timeout), load shedding
//! [`ErrorKind::LimitExceeded`](crate::ErrorKind::LimitExceeded), anything else an `Error`
//! with the error's message. See the book's middleware guide for more.
//!
//! ```
//! use std::time::Duration;
//! use rpc_core::{Session, Stub, Value, RpcError, ErrorKind, testing::memory_pair};
//! use rpc_core::middleware::{PolicyLayer, CallInfo};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let main = Stub::from_fn(|_| async { Ok::<_, RpcError>(Value::from("hello")) });
//! let (a, b) = memory_pair();
//! let _server = Session::builder()
//!     .main(main)
//!     // Calling main as a function is not allowed here.
//!     .layer(PolicyLayer::new(|call: &dyn CallInfo| match call.method() {
//!         None => Err(RpcError::error("functions are off")),
//!         Some(_) => Ok(()),
//!     }))
//!     // Tower's own layers compose the same way.
//!     .layer(tower::timeout::TimeoutLayer::new(Duration::from_secs(5)))
//!     .start(a);
//! let client = Session::builder().start(b);
//! let err = client.main().call_function(vec![]).await.unwrap_err();
//! assert_eq!(err.message(), "functions are off");
//! # });
//! ```

mod error;
mod inbound;
mod metrics;
mod outbound;
mod policy;
mod request;
mod trace;

pub use error::into_rpc_error;
pub(crate) use inbound::PeerCall;
pub use inbound::{Dispatch, InboundLayer, InboundService};
pub use metrics::{CallCounts, CallRecord, Direction, MethodCounts, Metrics, MetricsLayer};
pub(crate) use outbound::Layered;
pub use outbound::{OutboundLayer, OutboundService, StubCall};
pub use policy::{Policy, PolicyLayer};
pub use request::{CallInfo, CallRequest, OutboundRequest};
pub use trace::{Trace, TraceLayer};
