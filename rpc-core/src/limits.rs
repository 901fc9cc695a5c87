//! Limits enforced on what a peer sends.

/// Per-session limits, enforced on what the peer sends.
///
/// The defaults are at least as strict as capnweb 0.12's `RpcLimits` (which bounds frames,
/// depth and bigints, and nothing else). Exceeding a session-wide limit aborts the session with
/// a message naming it; exceeding a per-call limit rejects that call with an error of kind
/// [`ErrorKind::LimitExceeded`](crate::ErrorKind::LimitExceeded).
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
    /// respects its window never comes near it). Also the most an incoming `Blob` may hold:
    /// blobs are buffered whole before delivery, and a bigger one aborts the session.
    pub max_stream_buffer_bytes: usize,
    /// Most entries in the import table: objects and promises the peer exports to us. Over it,
    /// the session aborts.
    pub max_imports: usize,
    /// Most entries in the export table: the peer's calls (pulled or not) and the objects we
    /// gave it. Over it, the session aborts.
    pub max_exports: usize,
    /// Most of the peer's calls running at once; a call over it is rejected.
    pub max_calls_in_flight: usize,
    /// Most calls and references waiting on one unresolved result; a call over it is rejected.
    pub max_queued_per_promise: usize,
    /// Most elements one `.map()` from the peer may process, counting the maps nested in it
    /// (nesting multiplies work); a map over it is rejected.
    pub max_map_elements: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_bytes: 32 * 1024 * 1024,
            max_depth: 256,
            max_bigint_digits: 16_384,
            stream_window_bytes: 256 * 1024,
            max_stream_buffer_bytes: 16 * 1024 * 1024,
            max_imports: 16_384,
            max_exports: 16_384,
            max_calls_in_flight: 4_096,
            max_queued_per_promise: 1_024,
            max_map_elements: 65_536,
        }
    }
}
