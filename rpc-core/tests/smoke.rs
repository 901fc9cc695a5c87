use std::sync::atomic::{AtomicI64, Ordering};

use rpc_core::{Callback, RpcError, Session, codec::Json, rpc_interface};

#[rpc_interface]
pub trait Calc {
    async fn add(&self, a: i64, b: i64) -> Result<i64, RpcError>;
    async fn counter(&self, start: i64) -> Result<CounterClient, RpcError>;
    async fn call_back(&self, cb: Callback<i64, i64>, x: i64) -> Result<i64, RpcError>;
}

#[rpc_interface]
pub trait Counter {
    async fn increment(&self, by: i64) -> Result<i64, RpcError>;
}

struct MyCalc;
struct MyCounter(AtomicI64);

impl Calc for MyCalc {
    async fn add(&self, a: i64, b: i64) -> Result<i64, RpcError> {
        Ok(a + b)
    }
    async fn counter(&self, start: i64) -> Result<CounterClient, RpcError> {
        Ok(CounterClient::local(MyCounter(AtomicI64::new(start))))
    }
    async fn call_back(&self, cb: Callback<i64, i64>, x: i64) -> Result<i64, RpcError> {
        cb.call(x).await
    }
}

impl Counter for MyCounter {
    async fn increment(&self, by: i64) -> Result<i64, RpcError> {
        Ok(self.0.fetch_add(by, Ordering::SeqCst) + by)
    }
}

#[tokio::test]
async fn smoke() {
    let (a, b) = rpc_core::testing::memory_pair();
    let server = Session::builder()
        .codec(Json)
        .main(CalcServer::new(MyCalc))
        .start(a);
    let client = Session::builder().codec(Json).start(b);
    let calc: CalcClient = client.main_as();
    assert_eq!(calc.add(1, 2).await.unwrap(), 3);
    assert_eq!(calc.counter(5).increment(1).await.unwrap(), 6);
    let cb = Callback::new(|x: i64| async move { Ok(x * 10) });
    assert_eq!(calc.call_back(cb, 4).await.unwrap(), 40);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(client.stats().imports, 1, "{:?}", client.stats());
    assert_eq!(client.stats().exports, 1);
    assert_eq!(server.stats().imports, 1, "{:?}", server.stats());
    assert_eq!(server.stats().exports, 1, "{:?}", server.stats());
}
