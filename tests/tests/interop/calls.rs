//! Direction-3 scenarios: plain calls, errors, concurrency, pipelining, `.map()` and load.
//! Scenarios marked batch-compatible create every call before awaiting any of them.

use std::{future::IntoFuture, sync::Mutex, time::Duration};

use examples::conformance::{Profile, User};
use futures::future::join_all;
use rpc_core::{RpcPromise, TypedStub, Value};
use tokio::time::Instant;

use super::rust_battery::{OrFail, Scenario, rejected, same, scenario};

const MIB: usize = 1024 * 1024;

/// The scenarios of this file.
pub fn scenarios() -> Vec<Scenario> {
    let mut all = plain();
    all.extend(pipelining());
    all.extend(load());
    all
}

fn plain() -> Vec<Scenario> {
    vec![
        scenario("square", true, |api| async move {
            let (a, b) = tokio::join!(api.square(7.0), api.square(-1.5));
            same(a.or_fail("square(7)")?, 49.0, "square(7)")?;
            same(b.or_fail("square(-1.5)")?, 2.25, "square(-1.5)")
        }),
        scenario("add", true, |api| async move {
            let (a, b) = tokio::join!(api.add(2.0, 3.0), api.add(0.1, 0.2));
            same(a.or_fail("add(2, 3)")?, 5.0, "add(2, 3)")?;
            same(b.or_fail("add(0.1, 0.2)")?, 0.1 + 0.2, "add(0.1, 0.2)")
        }),
        scenario("throw-error", true, |api| async move {
            rejected(api.throw_error("boom").await, "RangeError", "boom")
        }),
        scenario("unknown-method", true, |api| async move {
            let got = api.as_stub().call("noSuchMethod", vec![1.into()]);
            match got.resolve().await {
                Ok(v) => Err(format!("a call to an unknown method resolved with {v:?}")),
                Err(_) => Ok(()),
            }
        }),
        scenario("generate-fibonacci", true, |api| async move {
            let (none, ten) =
                tokio::join!(api.generate_fibonacci(0.0), api.generate_fibonacci(10.0));
            same(none.or_fail("fib(0)")?, vec![], "fib(0)")?;
            let want = vec![0.0, 1.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0];
            same(ten.or_fail("fib(10)")?, want, "fib(10)")
        }),
        scenario("get-user", true, |api| async move {
            let want = User {
                id: 1.0,
                name: "User 1".into(),
                profile: Profile {
                    bio: "Bio of user 1".into(),
                },
            };
            same(
                api.get_user(1.0).await.or_fail("getUser(1)")?,
                want,
                "getUser(1)",
            )
        }),
        scenario("authenticate-good", false, |api| async move {
            let session = api.authenticate("secret").await.or_fail("authenticate")?;
            same(
                session.whoami().await.or_fail("whoami")?,
                "alice".into(),
                "whoami",
            )
        }),
        scenario("authenticate-bad", true, |api| async move {
            rejected(api.authenticate("wrong").await, "Error", "invalid token")
        }),
        scenario("slow-concurrent", true, |api| async move {
            // Run one after the other, two slow(300) would take at least 600 ms.
            let start = Instant::now();
            let (a, b) = tokio::join!(api.slow(300.0), api.slow(300.0));
            let elapsed = start.elapsed();
            same(a.or_fail("slow(300)")?, 300.0, "slow(300)")?;
            same(b.or_fail("slow(300)")?, 300.0, "slow(300)")?;
            if elapsed >= Duration::from_millis(590) {
                return Err(format!("two slow(300) took {elapsed:?} together"));
            }
            Ok(())
        }),
        // Not over HTTP batch: there every answer arrives together, in one response.
        scenario("slow-ordering", false, |api| async move {
            // A fast call answers while slow ones run.
            let order = Mutex::new(Vec::new());
            let noting = |what: &'static str, call: RpcPromise<f64>| {
                let order = &order;
                async move {
                    let result = call.await;
                    order.lock().unwrap().push(what);
                    result
                }
            };
            let (a, b, c) = tokio::join!(
                noting("slow", api.slow(300.0)),
                noting("slow", api.slow(300.0)),
                noting("square", api.square(3.0)),
            );
            same(a.or_fail("slow(300)")?, 300.0, "slow(300)")?;
            same(b.or_fail("slow(300)")?, 300.0, "slow(300)")?;
            same(c.or_fail("square(3)")?, 9.0, "square(3)")?;
            same(
                order.into_inner().unwrap(),
                vec!["square", "slow", "slow"],
                "order",
            )
        }),
        scenario("release-pending-call", false, |api| async move {
            // Dropping an unawaited promise releases it; the session goes on.
            drop(api.slow(100.0));
            same(
                api.square(2.0).await.or_fail("square(2)")?,
                4.0,
                "square(2)",
            )?;
            tokio::time::sleep(Duration::from_millis(150)).await;
            Ok(())
        }),
    ]
}

fn pipelining() -> Vec<Scenario> {
    vec![
        scenario("pipeline-counter", true, |api| async move {
            let counter = api.make_counter(10.0);
            let (inc, value) = tokio::join!(counter.increment(5.0), counter.value());
            same(inc.or_fail("increment(5)")?, 15.0, "increment(5)")?;
            same(value.or_fail("value()")?, 15.0, "value()")
        }),
        scenario("pipeline-property-path", true, |api| async move {
            let bio = api.get_user(1.0).untyped().get("profile").get("bio");
            same(
                bio.await.or_fail("getUser(1).profile.bio")?,
                Value::from("Bio of user 1"),
                "bio",
            )
        }),
        scenario("pipeline-promise-argument", true, |api| async move {
            let nine = api.square(api.add(1.0, 2.0));
            same(
                nine.await.or_fail("square(add(1, 2))")?,
                9.0,
                "square(add(1, 2))",
            )
        }),
        scenario("pipeline-capability", true, |api| async move {
            let whoami = api.authenticate("secret").whoami();
            same(whoami.await.or_fail("whoami")?, "alice".into(), "whoami")
        }),
        scenario("pipeline-rejected-capability", true, |api| async move {
            rejected(
                api.authenticate("wrong").whoami().await,
                "Error",
                "invalid token",
            )
        }),
        scenario("pipeline-pass-back", true, |api| async move {
            let six = api.increment_counter(api.make_counter(1.0), 5.0);
            same(
                six.await.or_fail("incrementCounter")?,
                6.0,
                "incrementCounter",
            )
        }),
        // capnweb answers with per-element promises, resolved in the same batch response.
        scenario("map-array", true, |api| async move {
            let squares = api.generate_fibonacci(6.0).map(|x| api.square(x));
            let want = vec![0.0, 1.0, 1.0, 4.0, 9.0, 25.0];
            same(squares.await.or_fail("map")?, want, "fib(6).map(square)")
        }),
        // An empty array needs no per-element promises, so this one works over HTTP batch.
        scenario("map-empty-array", true, |api| async move {
            let squares = api.generate_fibonacci(0.0).map(|x| api.square(x));
            same(squares.await.or_fail("map")?, vec![], "fib(0).map(square)")
        }),
        scenario("map-capture", true, |api| async move {
            // The closure captures a counter that lives on the server.
            let counter = api.make_counter(100.0);
            let got = api.generate_fibonacci(5.0).map(|x| counter.increment(x));
            let want = vec![100.0, 101.0, 102.0, 104.0, 107.0];
            same(
                got.await.or_fail("map")?,
                want,
                "fib(5).map(counter.increment)",
            )
        }),
    ]
}

fn load() -> Vec<Scenario> {
    vec![
        scenario("many-calls-in-flight", true, |api| async move {
            let calls: Vec<_> = (0..1000).map(|i| api.square(f64::from(i))).collect();
            let calls = calls.into_iter().map(IntoFuture::into_future);
            let got: Result<Vec<f64>, _> = join_all(calls).await.into_iter().collect();
            let want: Vec<f64> = (0..1000).map(|i| f64::from(i * i)).collect();
            same(got.or_fail("square")?, want, "1000 squares")
        }),
        scenario("echo-1mib-string", true, |api| async move {
            let s = "0123456789abcdef\u{e9}\u{1F600}".repeat(MIB / 20);
            let got = api.echo(Value::from(s.as_str())).await.or_fail("echo")?;
            if got.as_str() != Some(s.as_str()) {
                return Err(format!("got a {}, not the same string", got.kind_name()));
            }
            Ok(())
        }),
        scenario("echo-1mib-bytes", true, |api| async move {
            let bytes: Vec<u8> = (0..MIB).map(|i| (i % 251) as u8).collect();
            // `None` is Uint8Array, the kind capnweb sends it back as.
            let sent = Value::Bytes(bytes.into(), None);
            let got = api.echo(sent.clone()).await.or_fail("echo")?;
            if got != sent {
                return Err(format!("got a {}, not the same bytes", got.kind_name()));
            }
            Ok(())
        }),
    ]
}
