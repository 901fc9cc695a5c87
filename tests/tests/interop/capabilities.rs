//! Direction-3 scenarios: capabilities passed both ways, callbacks during and after a call,
//! and disposal. All of them need a live session (the server calls back, or the test awaits
//! between calls), so none runs over HTTP batch.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU32, Ordering},
    },
    time::Duration,
};

use examples::conformance::{Counter, CounterClient, CounterImpl, CounterServer, FunctionResult};
use rpc_core::{Callback, RpcError, SessionStats, Value, value::Object};
use tokio::time::{Instant, sleep};

use super::rust_battery::{OrFail, Scenario, capnweb_stats_settle, rejected, same, scenario};

/// The scenarios of this file.
pub fn scenarios() -> Vec<Scenario> {
    let mut all = capabilities();
    all.extend(callbacks());
    all
}

fn capabilities() -> Vec<Scenario> {
    vec![
        scenario("capability-returned", false, |api| async move {
            let a = api.make_counter(3.0).await.or_fail("makeCounter(3)")?;
            let b = api.make_counter(100.0).await.or_fail("makeCounter(100)")?;
            same(
                a.increment(2.0).await.or_fail("a.increment")?,
                5.0,
                "a.increment",
            )?;
            same(
                b.increment(1.0).await.or_fail("b.increment")?,
                101.0,
                "b.increment",
            )?;
            let (va, vb) = tokio::join!(a.value(), b.value());
            same(
                (va.or_fail("a.value")?, vb.or_fail("b.value")?),
                (5.0, 101.0),
                "values",
            )?;
            drop((a, b));
            same(
                api.square(4.0).await.or_fail("square(4)")?,
                16.0,
                "after dropping",
            )
        }),
        scenario("capability-pass-back", false, |api| async move {
            // The server's own counter, handed back to it.
            let counter = api.make_counter(1.0).await.or_fail("makeCounter(1)")?;
            let six = api.increment_counter(counter.clone(), 5.0).await;
            same(six.or_fail("incrementCounter")?, 6.0, "incrementCounter")?;
            same(
                counter.value().await.or_fail("value()")?,
                6.0,
                "value afterwards",
            )
        }),
        scenario("capability-rust-local-counter", false, |api| async move {
            // A Rust object the capnweb server calls into.
            let local = Arc::new(CounterImpl::new(5.0));
            let client = CounterClient::from(CounterServer::from_arc(local.clone()));
            let eight = api.increment_counter(client, 3.0).await;
            same(eight.or_fail("incrementCounter")?, 8.0, "incrementCounter")?;
            same(
                local.value().await.or_fail("local value")?,
                8.0,
                "local state",
            )
        }),
        scenario("dispose-capability", false, |api| async move {
            // While we hold a counter the server exports it; dropping ours releases it there.
            let counter = api.make_counter(1.0).await.or_fail("makeCounter(1)")?;
            same(
                counter.increment(1.0).await.or_fail("increment")?,
                2.0,
                "increment",
            )?;
            let holding = SessionStats {
                imports: 1,
                exports: 2,
            };
            capnweb_stats_settle(&api, holding).await?;
            drop(counter);
            let clean = SessionStats {
                imports: 1,
                exports: 1,
            };
            capnweb_stats_settle(&api, clean).await
        }),
    ]
}

fn callbacks() -> Vec<Scenario> {
    vec![
        scenario("callback-function", false, |api| async move {
            let times_ten = Callback::new(|x: Value| async move {
                let x = x
                    .as_f64()
                    .ok_or_else(|| RpcError::type_error("not a number"))?;
                Ok(Value::from(x * 10.0))
            });
            let got = api.call_function(times_ten, Value::from(4.0)).await;
            let want = FunctionResult {
                result: Value::from(40.0),
            };
            same(got.or_fail("callFunction")?, want, "callFunction")
        }),
        scenario("callback-async-function", false, |api| async move {
            let slow = Callback::new(|x: Value| async move {
                sleep(Duration::from_millis(10)).await;
                let mut o = Object::new();
                o.insert("got", Value::from(vec![x]));
                Ok(Value::Object(o))
            });
            let got = api.call_function(slow, Value::from(2.0)).await;
            let mut want = Object::new();
            want.insert("got", Value::from(vec![Value::from(2.0)]));
            let want = FunctionResult {
                result: Value::Object(want),
            };
            same(got.or_fail("callFunction")?, want, "callFunction")
        }),
        scenario("callback-throws", false, |api| async move {
            // The callback's error crosses twice (to capnweb and back) with its class.
            let failing = Callback::new(|_: Value| async move {
                Err::<Value, _>(RpcError::type_error("callback failed"))
            });
            rejected(
                api.call_function(failing, Value::from(1.0)).await,
                "TypeError",
                "callback failed",
            )
        }),
        scenario("call-twice", false, |api| async move {
            let calls = Arc::new(AtomicU32::new(0));
            let counting = calls.clone();
            let next = Callback::new(move |()| {
                let n = counting.fetch_add(1, Ordering::SeqCst) + 1;
                async move { Ok(Value::from(n)) }
            });
            let got = api.call_twice(next).await.or_fail("callTwice")?;
            same(got, (Value::from(1), Value::from(2)), "callTwice")
        }),
        scenario("subscribe", false, |api| async move {
            // The callbacks arrive after subscribe has returned, one at a time, in order.
            let got = Arc::new(Mutex::new(Vec::new()));
            let active = Arc::new(AtomicBool::new(false));
            let overlapped = Arc::new(AtomicBool::new(false));
            let cb = {
                let (got, active, overlapped) = (got.clone(), active.clone(), overlapped.clone());
                Callback::new(move |i: f64| {
                    let (got, active, overlapped) =
                        (got.clone(), active.clone(), overlapped.clone());
                    async move {
                        if active.swap(true, Ordering::SeqCst) {
                            overlapped.store(true, Ordering::SeqCst);
                        }
                        sleep(Duration::from_millis(20)).await;
                        got.lock().unwrap().push(i);
                        active.store(false, Ordering::SeqCst);
                        Ok(Value::Undefined)
                    }
                })
            };
            same(
                api.subscribe(cb, 5.0).await.or_fail("subscribe")?,
                5.0,
                "subscribe's result",
            )?;
            if got.lock().unwrap().len() == 5 {
                return Err("subscribe returned only after all callbacks".into());
            }
            let deadline = Instant::now() + Duration::from_secs(2);
            while got.lock().unwrap().len() < 5 && Instant::now() < deadline {
                sleep(Duration::from_millis(10)).await;
            }
            let got = got.lock().unwrap().clone();
            same(got, vec![0.0, 1.0, 2.0, 3.0, 4.0], "callback values")?;
            if overlapped.load(Ordering::SeqCst) {
                return Err("callbacks overlapped: they were not awaited one by one".into());
            }
            Ok(())
        }),
        scenario("map-capture-rust-callback", false, |api| async move {
            // A .map() closure that calls back into Rust for each element.
            let times_hundred = Callback::<f64, f64>::new(|x: f64| async move { Ok(x * 100.0) });
            let got = api.generate_fibonacci(4.0).map(|x| times_hundred.call(x));
            let want = vec![0.0, 100.0, 100.0, 200.0];
            same(got.await.or_fail("map")?, want, "fib(4).map(callback)")
        }),
    ]
}
