//! Every limit in `rpc_core::Limits`, and `Server::max_connections`, at its boundary: just
//! under is accepted, just over is refused the documented way.
//!
//! - Session-wide limits (`max_frame_bytes`, `max_depth`, `max_bigint_digits`, `max_imports`,
//!   `max_exports`) abort the session with a message naming the limit: `session_limits`.
//! - Per-call limits (`max_calls_in_flight`, `max_queued_per_promise`,
//!   `max_stream_buffer_bytes`) reject one call with kind `LimitExceeded` and the `code`
//!   prop `LIMIT_EXCEEDED`, and the session goes on: `call_limits`.
//! - `stream_window_bytes` bounds a well-behaved writer rather than refusing a hostile one;
//!   it is covered by `stream_flow.rs` (`the_window_bounds_how_far_the_writer_runs_ahead`).
//! - `max_connections`, over real TCP: `connections`.

#[path = "limits/call_limits.rs"]
mod call_limits;
#[path = "limits/connections.rs"]
mod connections;
#[path = "limits/session_limits.rs"]
mod session_limits;
