//! Hostile input over real sockets (127.0.0.1): each malformed or malicious input ends only
//! the connection that sent it, with an abort naming the problem (or, for what a transport
//! refuses, a close), within a bounded time; and after each one a fresh well-behaved client
//! still works against the same server, which has not panicked.
//!
//! - `abort_cases`: the table of inputs that abort, over TCP (JSON and default codecs, JSON
//!   text and MessagePack) and WebSocket;
//! - `sessions_go_on`: inputs that must NOT abort (late resolves, reserved method names);
//! - `floods`: unpulled pushes by the ten thousand, oversize frames;
//! - `http_batch`: raw HTTP requests to the batch server;
//! - `process`: inputs aimed at the server process itself, against a server in a child process.

#[path = "hostile/abort_cases.rs"]
mod abort_cases;
#[path = "hostile/floods.rs"]
mod floods;
#[path = "hostile/http_batch.rs"]
mod http_batch;
#[path = "hostile/process.rs"]
mod process;
#[path = "hostile/sessions_go_on.rs"]
mod sessions_go_on;
