//! `SessionSetup`: what every HTTP-served session's builder gets before it starts.

use std::{fmt, sync::Arc};

use rpc_core::SessionBuilder;

type Setup = dyn Fn(SessionBuilder) -> SessionBuilder + Send + Sync;

/// A function applied to the [`SessionBuilder`] of every session an HTTP server (or the
/// batch client) starts, after its codec, limits and main object are set: where middleware
/// layers, keepalive and extensions go.
///
/// ```
/// use rpc_core::middleware::TraceLayer;
/// use rpc_transports::http_batch::HttpConfig;
///
/// let config = HttpConfig::default().with_session_setup(|builder| builder.layer(TraceLayer::new()));
/// # drop(config);
/// ```
#[derive(Clone, Default)]
pub struct SessionSetup(Option<Arc<Setup>>);

impl SessionSetup {
    /// A setup running `f`.
    pub fn new(f: impl Fn(SessionBuilder) -> SessionBuilder + Send + Sync + 'static) -> Self {
        SessionSetup(Some(Arc::new(f)))
    }

    /// Applies the setup to `builder` (returns it unchanged if there is none).
    pub fn apply(&self, builder: SessionBuilder) -> SessionBuilder {
        match &self.0 {
            Some(f) => f(builder),
            None => builder,
        }
    }
}

impl fmt::Debug for SessionSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "SessionSetup(..)"
        } else {
            "SessionSetup(none)"
        })
    }
}

/// Two setups are equal when they are the same function (clones of one setup).
impl PartialEq for SessionSetup {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl Eq for SessionSetup {}
