//! `Conformance`, the interface Capstan's interop with capnweb is checked against (see
//! `shared/conformance.md`), and its implementation.
//!
//! Numbers are JavaScript numbers, so `f64`; `echo` carries any [`Value`].

mod imp;
mod streams;

use bytes::Bytes;
pub use imp::{AuthedSessionImpl, ConformanceImpl, CounterImpl};
use rpc_core::{Callback, RpcError, RpcSink, RpcStream, Value, rpc_interface};
use serde::{Deserialize, Serialize};

/// The main interface of the conformance peer.
#[rpc_interface]
pub trait Conformance {
    /// `i * i`.
    async fn square(&self, i: f64) -> Result<f64, RpcError>;
    /// `a + b`.
    async fn add(&self, a: f64, b: f64) -> Result<f64, RpcError>;
    /// Returns `value` unchanged, whatever it is.
    async fn echo(&self, value: Value) -> Result<Value, RpcError>;
    /// Fails with a `RangeError` whose message is `message`.
    async fn throw_error(&self, message: String) -> Result<Value, RpcError>;
    /// A new counter starting at `start`.
    async fn make_counter(&self, start: f64) -> Result<CounterClient, RpcError>;
    /// Calls `counter.increment(by)` on the caller's counter.
    async fn increment_counter(&self, counter: CounterClient, by: f64) -> Result<f64, RpcError>;
    /// Calls `f(i)` and returns `{result}`.
    async fn call_function(
        &self,
        f: Callback<Value, Value>,
        i: Value,
    ) -> Result<FunctionResult, RpcError>;
    /// Calls `f()` twice, one after the other.
    async fn call_twice(&self, f: Callback<(), Value>) -> Result<(Value, Value), RpcError>;
    /// The first `n` Fibonacci numbers.
    async fn generate_fibonacci(&self, n: f64) -> Result<Vec<f64>, RpcError>;
    /// `{id, name: "User <id>", profile: {bio: "Bio of user <id>"}}`.
    async fn get_user(&self, id: f64) -> Result<User, RpcError>;
    /// An `AuthedSession` for the token `"secret"`; `Error("invalid token")` otherwise.
    async fn authenticate(&self, token: String) -> Result<AuthedSessionClient, RpcError>;
    /// Resolves with `ms` after `ms` milliseconds.
    async fn slow(&self, ms: f64) -> Result<f64, RpcError>;
    /// Returns `n` at once, then calls `cb(0) … cb(n-1)` in order, awaiting each.
    async fn subscribe(&self, cb: Callback<f64, Value>, n: f64) -> Result<f64, RpcError>;
    /// A stream of `0 … n-1`, produced only as fast as the reader takes it.
    async fn count_to(&self, n: f64) -> Result<RpcStream<f64>, RpcError>;
    /// Reads the caller's stream of numbers to its end; returns the sum.
    async fn sum_stream(&self, stream: RpcStream<f64>) -> Result<f64, RpcError>;
    /// Emits each string of `input` upper-cased as soon as it is read, then `"bye"` once the
    /// caller half-closes `input`.
    async fn chat(&self, input: RpcStream<String>) -> Result<RpcStream<String>, RpcError>;
    /// Writes `0 … n-1` into the caller's sink, closes it, and returns `n`.
    async fn write_to(&self, sink: RpcSink<f64>, n: f64) -> Result<f64, RpcError>;
    /// `size` bytes in chunks of 65536 (the last shorter, never empty); byte `i` is `i % 251`.
    async fn download(&self, size: f64) -> Result<RpcStream<Bytes>, RpcError>;
    /// Reads the caller's byte chunks to the end; returns their count and sum mod 2^32.
    async fn upload(&self, stream: RpcStream<Bytes>) -> Result<UploadResult, RpcError>;
    /// Yields `0 … n-1`, then fails with `RangeError("stream failed")`.
    async fn failing_stream(&self, n: f64) -> Result<RpcStream<f64>, RpcError>;
    /// Test support beyond `conformance.md`: the serving session's table sizes, not counting
    /// this call itself, so a test can check they are back to `{imports: 1, exports: 1}`.
    async fn session_stats(&self) -> Result<TableStats, RpcError>;
}

/// What `upload` read.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UploadResult {
    /// How many bytes.
    pub bytes: f64,
    /// The sum of every byte, mod 2^32.
    pub checksum: f64,
}

/// Table sizes, as capnweb's `getStats()` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableStats {
    /// Import table entries.
    pub imports: usize,
    /// Export table entries.
    pub exports: usize,
}

/// A counter with its own state.
#[rpc_interface]
pub trait Counter {
    /// Adds `by` and returns the new value.
    async fn increment(&self, by: f64) -> Result<f64, RpcError>;
    /// The current value.
    async fn value(&self) -> Result<f64, RpcError>;
}

/// What `authenticate` gives a caller with the right token.
#[rpc_interface]
pub trait AuthedSession {
    /// The authenticated user: `"alice"`.
    async fn whoami(&self) -> Result<String, RpcError>;
}

/// The result of `callFunction`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionResult {
    /// What the function returned.
    pub result: Value,
}

/// A user record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The ID.
    pub id: f64,
    /// `"User <id>"`.
    pub name: String,
    /// Nested data.
    pub profile: Profile,
}

/// Nested user data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// `"Bio of user <id>"`.
    pub bio: String,
}
