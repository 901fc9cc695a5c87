//! The object the fuzzed session serves: a small API touching every kind of value the protocol
//! carries (plain data, capabilities, callbacks, streams), and its implementation.

use std::{sync::Mutex, time::Duration};

use futures::{SinkExt, StreamExt, stream};
use rpc_core::{Callback, RpcError, RpcSink, RpcStream, Value, rpc_interface};

/// The longest a `slow` call sleeps.
const MAX_SLOW_MS: f64 = 40.0;

/// The most items `countTo`, `writeTo` and `subscribe` produce.
const MAX_ITEMS: f64 = 8.0;

/// The object the server session serves.
#[rpc_interface]
pub trait Api {
    /// `x * x`.
    async fn square(&self, x: f64) -> Result<f64, RpcError>;
    /// `a + b`.
    async fn add(&self, a: f64, b: f64) -> Result<f64, RpcError>;
    /// Returns `value` unchanged: whatever the peer sent, stubs and promises included.
    async fn echo(&self, value: Value) -> Result<Value, RpcError>;
    /// Fails with a `RangeError`.
    async fn throw_error(&self, message: String) -> Result<Value, RpcError>;
    /// Returns a capability.
    async fn make_counter(&self, start: f64) -> Result<CounterClient, RpcError>;
    /// Calls a capability the peer passes in.
    async fn increment_counter(&self, counter: CounterClient, by: f64) -> Result<f64, RpcError>;
    /// Calls the peer's callback and returns what it answered.
    async fn call_function(&self, f: Callback<Value, Value>, i: Value) -> Result<Value, RpcError>;
    /// Returns `n` at once, then calls `cb(0) … cb(n-1)` from a task of its own.
    async fn subscribe(&self, cb: Callback<f64, Value>, n: f64) -> Result<f64, RpcError>;
    /// Sleeps `ms` milliseconds (at most [`MAX_SLOW_MS`]).
    async fn slow(&self, ms: f64) -> Result<f64, RpcError>;
    /// A stream of `0 … n-1`.
    async fn count_to(&self, n: f64) -> Result<RpcStream<f64>, RpcError>;
    /// Reads the peer's stream to its end.
    async fn sum_stream(&self, stream: RpcStream<f64>) -> Result<f64, RpcError>;
    /// Writes `0 … n-1` into the peer's sink and closes it.
    async fn write_to(&self, sink: RpcSink<f64>, n: f64) -> Result<f64, RpcError>;
}

/// The capability `makeCounter` returns.
#[rpc_interface]
pub trait Counter {
    /// Adds `by`.
    async fn increment(&self, by: f64) -> Result<f64, RpcError>;
    /// The current value.
    async fn value(&self) -> Result<f64, RpcError>;
}

/// The server's implementation of [`Api`]. Handlers must not panic: the fuzzer's panic hook
/// aborts even on panics the session would catch.
#[derive(Debug, Default, Clone, Copy)]
pub struct ApiImpl;

/// The server's implementation of [`Counter`].
#[derive(Debug, Default)]
pub struct CounterImpl(Mutex<f64>);

fn count(n: f64) -> u64 {
    n.clamp(0.0, MAX_ITEMS) as u64
}

impl Api for ApiImpl {
    async fn square(&self, x: f64) -> Result<f64, RpcError> {
        Ok(x * x)
    }
    async fn add(&self, a: f64, b: f64) -> Result<f64, RpcError> {
        Ok(a + b)
    }
    async fn echo(&self, value: Value) -> Result<Value, RpcError> {
        Ok(value)
    }
    async fn throw_error(&self, message: String) -> Result<Value, RpcError> {
        Err(RpcError::range_error(message))
    }
    async fn make_counter(&self, start: f64) -> Result<CounterClient, RpcError> {
        Ok(CounterClient::local(CounterImpl(Mutex::new(start))))
    }
    async fn increment_counter(&self, counter: CounterClient, by: f64) -> Result<f64, RpcError> {
        counter.increment(by).await
    }
    async fn call_function(&self, f: Callback<Value, Value>, i: Value) -> Result<Value, RpcError> {
        f.call(i).await
    }
    async fn subscribe(&self, cb: Callback<f64, Value>, n: f64) -> Result<f64, RpcError> {
        let n = count(n);
        tokio::spawn(async move {
            for i in 0..n {
                if cb.call(i as f64).await.is_err() {
                    break;
                }
            }
        });
        Ok(n as f64)
    }
    async fn slow(&self, ms: f64) -> Result<f64, RpcError> {
        let ms = if ms.is_nan() {
            0.0
        } else {
            ms.clamp(0.0, MAX_SLOW_MS)
        };
        tokio::time::sleep(Duration::from_secs_f64(ms / 1000.0)).await;
        Ok(ms)
    }
    async fn count_to(&self, n: f64) -> Result<RpcStream<f64>, RpcError> {
        Ok(RpcStream::new(stream::iter(
            (0..count(n)).map(|i| i as f64),
        )))
    }
    async fn sum_stream(&self, mut input: RpcStream<f64>) -> Result<f64, RpcError> {
        let mut sum = 0.0;
        while let Some(x) = input.next().await {
            sum += x?;
        }
        Ok(sum)
    }
    async fn write_to(&self, mut sink: RpcSink<f64>, n: f64) -> Result<f64, RpcError> {
        for i in 0..count(n) {
            sink.feed(i as f64).await?;
        }
        sink.close().await?;
        Ok(n)
    }
}

impl Counter for CounterImpl {
    async fn increment(&self, by: f64) -> Result<f64, RpcError> {
        let mut v = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *v += by;
        Ok(*v)
    }
    async fn value(&self) -> Result<f64, RpcError> {
        Ok(*self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
