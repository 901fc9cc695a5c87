//! Limits enforced on what a peer sends.

/// Per-session limits, enforced on receive.
///
/// The defaults are at least as strict as capnweb 0.12's `RpcLimits`.
///
/// ```
/// use rpc_core::Limits;
/// let limits = Limits { max_depth: 64, ..Limits::default() };
/// assert_eq!(limits.max_bigint_digits, 16_384);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest frame accepted, in bytes (capnweb: 32 Mi UTF-16 units).
    pub max_frame_bytes: usize,
    /// Deepest value nesting accepted, counted across call arguments (capnweb: 256).
    pub max_depth: usize,
    /// Most decimal digits in a bigint (capnweb: 16384).
    pub max_bigint_digits: usize,
    /// The writer's window on each outgoing stream: bytes written but not yet acknowledged
    /// (capnweb starts at 256 KiB).
    pub stream_window_bytes: usize,
    /// Most bytes buffered for one incoming stream before its writer is refused (a peer that
    /// respects its window never comes near it).
    pub max_stream_buffer_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_bytes: 32 * 1024 * 1024,
            max_depth: 256,
            max_bigint_digits: 16_384,
            stream_window_bytes: 256 * 1024,
            max_stream_buffer_bytes: 16 * 1024 * 1024,
        }
    }
}
