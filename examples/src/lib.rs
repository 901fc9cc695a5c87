//! Runnable Capstan examples; each program is in `src/bin`. Interfaces shared between programs
//! and tests live here.

pub mod browser;
pub mod conformance;

/// Installs a `tracing` subscriber that prints to stderr, filtered by `RUST_LOG` (default:
/// warnings only).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
