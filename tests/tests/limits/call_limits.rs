//! Per-call limits: the call over the limit is rejected with kind `LimitExceeded` (on the wire,
//! the `code` prop `LIMIT_EXCEEDED`, which the caller's side turns back into the kind) and a
//! message naming the limit; the session goes on.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use rpc_core::{
    ErrorKind, Limits, RpcError, RpcPromise, Session, Stub, Value, codec::Json, protocol::PathKey,
};
use tests::{
    CalculatorClient, CalculatorImpl, CalculatorServer,
    hostile::{Received, serve_raw},
};

/// A calculator server with `limits` and a typed client, over memory.
fn calculator(limits: Limits) -> (Session, Session) {
    let (a, b) = rpc_transports::memory::pair();
    let server = Session::builder()
        .limits(limits)
        .main(CalculatorServer::new(CalculatorImpl::default()))
        .start(a);
    (server, Session::builder().start(b))
}

fn assert_limit(error: &RpcError, limit: &str) {
    assert_eq!(error.kind(), ErrorKind::LimitExceeded, "{error}");
    assert!(error.message().contains(limit), "{error}");
    // The wire's `code: "LIMIT_EXCEEDED"` became the kind: it is not left as a prop.
    assert!(error.prop("code").is_none(), "{error:?}");
}

#[tokio::test]
async fn max_calls_in_flight_rejects_the_call_over_it_then_recovers() {
    let limits = Limits {
        max_calls_in_flight: 3,
        ..Limits::default()
    };
    let (_server, client) = calculator(limits);
    let calc: CalculatorClient = client.main_as();
    // Just under: two slow calls running and a third call make three. (The slow calls take
    // 2 s so that they are surely still running when the call over the limit arrives.)
    let slow: Vec<_> = (0..2).map(|_| calc.slow(2000)).collect();
    assert_eq!(calc.add(1, 2).await.unwrap(), 3);
    // At the limit: three slow calls running; the fourth is refused at once.
    let third = calc.slow(2000);
    let refused = tokio::time::timeout(Duration::from_secs(1), calc.add(1, 2))
        .await
        .expect("refused at once, not after the slow calls");
    assert_limit(&refused.unwrap_err(), "max_calls_in_flight");
    for call in slow.into_iter().chain([third]) {
        assert_eq!(call.await.unwrap(), 2000);
    }
    // They finished: calls run again.
    assert_eq!(calc.add(1, 2).await.unwrap(), 3);
}

/// A main object that, called as a function, takes 100 ms and records how many of its calls
/// ran at once.
fn concurrency_probe() -> (Stub, Arc<AtomicUsize>) {
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (r, m) = (running.clone(), most.clone());
    let stub = Stub::from_fn(move |_args| {
        let (running, most) = (r.clone(), m.clone());
        async move {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(100)).await;
            running.fetch_sub(1, Ordering::SeqCst);
            Ok::<_, RpcError>(Value::from(0))
        }
    });
    (stub, most)
}

/// Calls nested in another call's arguments are the peer's calls too: one push carrying ten
/// of them must not run ten at once when the limit is two.
#[tokio::test]
async fn max_calls_in_flight_counts_calls_nested_in_arguments() {
    let (main, most) = concurrency_probe();
    let limits = Limits {
        max_calls_in_flight: 2,
        ..Limits::default()
    };
    let (_server, mut raw) = serve_raw(Session::builder().codec(Json).limits(limits).main(main));
    let nested = [r#"["pipeline",0,[],[]]"#; 10].join(",");
    raw.send(&format!(r#"["push",["pipeline",0,[],[{nested}]]]"#))
        .await;
    raw.send(r#"["pull",1]"#).await;
    // Refused or answered, either way within the limit.
    let _ = raw.recv().await;
    let most = most.load(Ordering::SeqCst);
    assert!(
        most <= 2,
        "{most} calls ran at once with max_calls_in_flight = 2"
    );
}

/// A `stream` message is exempt from the limit only when it writes to one of our streams: a
/// peer cannot get round `max_calls_in_flight` by sending ordinary calls as `stream`.
#[tokio::test]
async fn calls_sent_as_stream_messages_count_against_max_calls_in_flight() {
    let (main, most) = concurrency_probe();
    let limits = Limits {
        max_calls_in_flight: 2,
        ..Limits::default()
    };
    let (_server, mut raw) = serve_raw(Session::builder().codec(Json).limits(limits).main(main));
    for _ in 0..10 {
        raw.send(r#"["stream",["pipeline",0,[],[]]]"#).await;
    }
    // Every stream message is answered unprompted: eight refusals, then two results.
    let mut refused = 0;
    for _ in 0..10 {
        match raw.recv().await {
            Received::Message(m) if m.contains("max_calls_in_flight") => refused += 1,
            Received::Message(_) => {}
            other => panic!("the session ended: {other:?}"),
        }
    }
    let most = most.load(Ordering::SeqCst);
    assert!(
        most <= 2,
        "{most} calls ran at once with max_calls_in_flight = 2"
    );
    assert_eq!(refused, 8);
}

#[tokio::test]
async fn max_queued_per_promise_rejects_the_call_over_it() {
    let limits = Limits {
        max_queued_per_promise: 4,
        ..Limits::default()
    };
    let (_server, client) = calculator(limits);
    let slow: RpcPromise = client.main().call("slow", vec![Value::from(2000)]);
    // Property reads pipelined on the unresolved result: four wait for it, the fifth is
    // refused at once.
    let read = || slow.invoke(vec![PathKey::from("x")], None);
    let queued: Vec<_> = (0..4).map(|_| read()).collect();
    let over = tokio::time::timeout(Duration::from_secs(1), read())
        .await
        .expect("refused at once, not after the slow call");
    assert_limit(&over.unwrap_err(), "max_queued_per_promise");
    for q in queued {
        // A number has no property `x`: each queued read ran, and read undefined.
        assert_eq!(q.await.unwrap(), Value::Undefined);
    }
    // The result has settled: nothing waits any more, so reads are no longer limited.
    for _ in 0..6 {
        assert_eq!(read().await.unwrap(), Value::Undefined);
    }
}

/// A raw peer that ignores the window: it writes into a pipe whose reader never reads.
#[tokio::test]
async fn max_stream_buffer_bytes_refuses_the_write_over_it() {
    // The callee keeps the readable end it is given, without reading it.
    let kept = Arc::new(Mutex::new(Vec::new()));
    let keep = kept.clone();
    let main = Stub::from_fn(move |args| {
        keep.lock().unwrap().extend(args);
        async { Ok::<_, RpcError>(Value::Undefined) }
    });
    let limits = Limits {
        max_stream_buffer_bytes: 1000,
        ..Limits::default()
    };
    let (_server, mut raw) = serve_raw(Session::builder().codec(Json).limits(limits).main(main));
    raw.send(r#"["pipe"]"#).await; // export 1: the pipe's writable end
    raw.send(r#"["push",["pipeline",0,[],[["readable",1]]]]"#)
        .await; // 2
    raw.send(r#"["pull",2]"#).await;
    raw.expect(r#"["resolve",2,["undefined"]]"#).await;
    // A 98-character string counts 100 bytes: ten writes fill the buffer exactly.
    let write = format!(
        r#"["stream",["pipeline",1,["write"],["{}"]]]"#,
        "x".repeat(98)
    );
    for id in 3..=12 {
        raw.send(&write).await;
        raw.expect(&format!(r#"["resolve",{id},["undefined"]]"#))
            .await;
    }
    raw.send(&write).await;
    raw.expect(
        r#"["reject",13,["error","RangeError","max_stream_buffer_bytes limit exceeded: 1100 bytes buffered",null,{"code":"LIMIT_EXCEEDED"}]]"#,
    )
    .await;
    // The session goes on.
    raw.send(r#"["push",["pipeline",0,[],[]]]"#).await;
    raw.send(r#"["pull",14]"#).await;
    raw.expect(r#"["resolve",14,["undefined"]]"#).await;
    assert_eq!(kept.lock().unwrap().len(), 1);
}
