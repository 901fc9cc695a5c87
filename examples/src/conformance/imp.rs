//! The conformance peer's behaviour, exactly as `shared/conformance.md` specifies it.

use std::{sync::Mutex, time::Duration};

use bytes::Bytes;
use rpc_core::{Callback, RpcError, RpcSink, RpcStream, Session, Value};

use super::{
    AuthedSession, AuthedSessionClient, Conformance, Counter, CounterClient, FunctionResult,
    Profile, TableStats, UploadResult, User, streams,
};

/// The main object.
#[derive(Debug, Default, Clone, Copy)]
pub struct ConformanceImpl;

/// A counter.
#[derive(Debug, Default)]
pub struct CounterImpl(Mutex<f64>);

impl CounterImpl {
    /// A counter starting at `start`.
    pub fn new(start: f64) -> Self {
        CounterImpl(Mutex::new(start))
    }
}

/// The authenticated session.
#[derive(Debug, Default, Clone, Copy)]
pub struct AuthedSessionImpl;

impl Conformance for ConformanceImpl {
    async fn square(&self, i: f64) -> Result<f64, RpcError> {
        Ok(i * i)
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
        Ok(CounterClient::local(CounterImpl::new(start)))
    }

    async fn increment_counter(&self, counter: CounterClient, by: f64) -> Result<f64, RpcError> {
        counter.increment(by).await
    }

    async fn call_function(
        &self,
        f: Callback<Value, Value>,
        i: Value,
    ) -> Result<FunctionResult, RpcError> {
        Ok(FunctionResult {
            result: f.call(i).await?,
        })
    }

    async fn call_twice(&self, f: Callback<(), Value>) -> Result<(Value, Value), RpcError> {
        let first = f.call(()).await?;
        let second = f.call(()).await?;
        Ok((first, second))
    }

    async fn generate_fibonacci(&self, n: f64) -> Result<Vec<f64>, RpcError> {
        let mut out = Vec::new();
        let (mut a, mut b) = (0.0, 1.0);
        while (out.len() as f64) < n {
            out.push(a);
            (a, b) = (b, a + b);
        }
        Ok(out)
    }

    async fn get_user(&self, id: f64) -> Result<User, RpcError> {
        Ok(User {
            id,
            name: format!("User {id}"),
            profile: Profile {
                bio: format!("Bio of user {id}"),
            },
        })
    }

    async fn authenticate(&self, token: String) -> Result<AuthedSessionClient, RpcError> {
        if token == "secret" {
            Ok(AuthedSessionClient::local(AuthedSessionImpl))
        } else {
            Err(RpcError::error("invalid token"))
        }
    }

    async fn slow(&self, ms: f64) -> Result<f64, RpcError> {
        tokio::time::sleep(Duration::from_secs_f64(ms.max(0.0) / 1000.0)).await;
        Ok(ms)
    }

    async fn count_to(&self, n: f64) -> Result<RpcStream<f64>, RpcError> {
        Ok(streams::count_to(n))
    }

    async fn sum_stream(&self, stream: RpcStream<f64>) -> Result<f64, RpcError> {
        streams::sum_stream(stream).await
    }

    async fn chat(&self, input: RpcStream<String>) -> Result<RpcStream<String>, RpcError> {
        Ok(streams::chat(input))
    }

    async fn write_to(&self, sink: RpcSink<f64>, n: f64) -> Result<f64, RpcError> {
        streams::write_to(sink, n).await
    }

    async fn download(&self, size: f64) -> Result<RpcStream<Bytes>, RpcError> {
        Ok(streams::download(size))
    }

    async fn upload(&self, stream: RpcStream<Bytes>) -> Result<UploadResult, RpcError> {
        streams::upload(stream).await
    }

    async fn failing_stream(&self, n: f64) -> Result<RpcStream<f64>, RpcError> {
        Ok(streams::failing_stream(n))
    }

    async fn session_stats(&self) -> Result<TableStats, RpcError> {
        let session = Session::current()
            .ok_or_else(|| RpcError::error("sessionStats must be called over a session"))?;
        let stats = session.stats();
        // This call's own result is an export entry until it is answered and released.
        Ok(TableStats {
            imports: stats.imports,
            exports: stats.exports.saturating_sub(1),
        })
    }

    async fn subscribe(&self, cb: Callback<f64, Value>, n: f64) -> Result<f64, RpcError> {
        // Our own reference to `cb` keeps it alive after the call returns; dropping it at the
        // end releases it.
        tokio::spawn(async move {
            let mut i = 0.0;
            while i < n {
                if cb.call(i).await.is_err() {
                    break;
                }
                i += 1.0;
            }
        });
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

impl AuthedSession for AuthedSessionImpl {
    async fn whoami(&self) -> Result<String, RpcError> {
        Ok("alice".into())
    }
}
