//! Reflection: what `#[rpc_interface]` says about an interface, and the reserved `__describe__`
//! method that hands it to peers (or, switched off, answers as an unknown method).

use rpc_core::{
    ErrorKind, RpcError, RpcTarget, Session, Stub, Value,
    reflect::{self, DESCRIBE_METHOD, InterfaceDescription},
};
use tests::{
    CalculatorClient, CalculatorImpl, CalculatorServer, CounterClient, CounterImpl, builder,
    calculator_pair, codecs,
};

fn method_names(description: &InterfaceDescription) -> Vec<&'static str> {
    description.methods.iter().map(|m| m.name).collect()
}

#[test]
fn the_description_has_the_interface_and_every_method_as_declared() {
    let d = CalculatorClient::DESCRIPTION;
    assert_eq!(d.name, "Calculator");
    assert_eq!(d.docs, "The interface most integration tests exercise.");
    assert_eq!(
        method_names(d),
        [
            "add",
            "square",
            "makeCounter",
            "incrementCounter",
            "isOwnCounter",
            "callBack",
            "subscribe",
            "fail",
            "explode",
            "slow",
            "getUser",
            "log",
            "forward",
        ]
    );
    let add = d.method("add").unwrap();
    assert_eq!(add.docs, "`a + b`.");
    assert_eq!(add.signature(), "add(a: i64, b: i64) -> i64");
    assert_eq!(add.error, "RpcError");
    let call_back = d.method("callBack").unwrap();
    assert_eq!(
        call_back.signature(),
        "callBack(cb: Callback<i64, i64>, x: i64) -> i64"
    );
    assert_eq!(call_back.docs, "Calls `cb(x)` and returns its result.");
    let make_counter = d.method("makeCounter").unwrap();
    assert_eq!(make_counter.returns, "CounterClient");
    assert_eq!(d.method("fail").unwrap().returns, "()");
    assert_eq!(
        d.method("make_counter"),
        None,
        "methods go by their wire names"
    );

    // The server, the client and the served object agree.
    assert_eq!(CalculatorServer::<CalculatorImpl>::DESCRIPTION, d);
    let server = CalculatorServer::new(CalculatorImpl::default());
    assert_eq!(server.description(), Some(d));
    assert_eq!(server.description().map(|d| d.name), Some("Calculator"));
}

#[test]
fn an_interface_without_docs_describes_them_as_empty() {
    let numbers = tests::NumbersClient::DESCRIPTION;
    assert_eq!(numbers.docs, "Numbers to map over.");
    let fibonacci = numbers.method("generateFibonacci").unwrap();
    assert_eq!(fibonacci.docs, "");
    assert_eq!(fibonacci.returns, "Vec<i64>");
    assert_eq!(numbers.method("even").unwrap().returns, "Option<i64>");
}

#[test]
fn the_description_serializes_as_plain_data() {
    let value = CalculatorClient::DESCRIPTION.to_value();
    assert_eq!(value.get("name"), Some(&Value::from("Calculator")));
    let methods = value.get("methods").and_then(Value::as_array).unwrap();
    assert_eq!(methods.len(), 13);
    let add = &methods[0];
    assert_eq!(add.get("name"), Some(&Value::from("add")));
    assert_eq!(add.get("returns"), Some(&Value::from("i64")));
    assert_eq!(add.get("error"), Some(&Value::from("RpcError")));
    let params = add.get("params").and_then(Value::as_array).unwrap();
    assert_eq!(params[1].get("name"), Some(&Value::from("b")));
    assert_eq!(params[1].get("type"), Some(&Value::from("i64")));
}

#[tokio::test]
async fn a_peer_reads_the_description_with_the_reserved_method() {
    for codec in codecs() {
        let (_server, client, _) = calculator_pair(&codec);
        let described = reflect::describe(&client.main()).await.unwrap();
        assert_eq!(
            described,
            CalculatorClient::DESCRIPTION.to_value(),
            "{}",
            codec.name()
        );
        // A plain call of the name does the same, as a capnweb peer would make it.
        let called = client.main().call(DESCRIBE_METHOD, vec![]).await.unwrap();
        assert_eq!(called, described);
        // A capability the server returns describes its own interface.
        let calc: CalculatorClient = client.main_as();
        let counter = calc.make_counter(5).await.unwrap();
        let counter_description = reflect::describe(rpc_core::TypedStub::as_stub(&counter))
            .await
            .unwrap();
        assert_eq!(counter_description, CounterClient::DESCRIPTION.to_value());
        assert_eq!(
            counter_description.get("name"),
            Some(&Value::from("Counter"))
        );
        // The object itself never sees the call: it still works as before.
        assert_eq!(counter.increment(2).await.unwrap(), 7);
    }
}

#[tokio::test]
async fn reflection_off_answers_as_an_unknown_method() {
    for codec in codecs() {
        let (a, b) = rpc_transports::memory::pair();
        let _server = builder(&codec)
            .main(CalculatorServer::new(CalculatorImpl::default()))
            .reflection(false)
            .start(a);
        let client = builder(&codec).start(b);
        let off = reflect::describe(&client.main()).await.unwrap_err();
        let unknown = client
            .main()
            .call("noSuchMethod", vec![])
            .await
            .unwrap_err();
        assert_eq!(off.kind(), ErrorKind::UnknownMethod, "{}", codec.name());
        assert_eq!(off.kind(), unknown.kind());
        assert_eq!(off.name(), "TypeError");
        assert_eq!(off.name(), unknown.name());
        assert_eq!(off.message(), "'__describe__' is not a function.");
        assert_eq!(unknown.message(), "'noSuchMethod' is not a function.");
        // Returned capabilities are covered by the same switch.
        let calc: CalculatorClient = client.main_as();
        let counter = calc.make_counter(1).await.unwrap();
        let e = reflect::describe(rpc_core::TypedStub::as_stub(&counter))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnknownMethod);
        // Everything else works as usual.
        assert_eq!(calc.add(2, 3).await.unwrap(), 5);
    }
}

#[tokio::test]
async fn the_switch_is_per_session_and_only_for_calls_from_the_peer() {
    for codec in codecs() {
        let (a, b) = rpc_transports::memory::pair();
        let imp = CalculatorImpl::default();
        let server = builder(&codec)
            .main(CalculatorServer::new(imp.clone()))
            .reflection(false)
            .start(a);
        // The client serves a counter as its own main object, with reflection on.
        let client = builder(&codec)
            .main(CounterClient::local(CounterImpl::new(
                0,
                imp.observed.clone(),
            )))
            .start(b);
        let e = reflect::describe(&client.main()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnknownMethod, "{}", codec.name());
        // The side that switched it off still reads its peer's descriptions.
        let from_server = reflect::describe(&server.main()).await.unwrap();
        assert_eq!(from_server, CounterClient::DESCRIPTION.to_value());
        // In the process, with no session around the call, the description is always there.
        let own = Stub::new(CalculatorServer::new(imp.clone()));
        assert_eq!(
            reflect::describe(&own).await.unwrap(),
            CalculatorClient::DESCRIPTION.to_value()
        );
    }
}

#[tokio::test]
async fn an_object_without_a_description_answers_as_an_unknown_method() {
    let (a, b) = rpc_transports::memory::pair();
    let _server = Session::builder()
        .main(Stub::from_fn(|_| async {
            Ok::<_, RpcError>(Value::from(1))
        }))
        .start(a);
    let client = Session::builder().start(b);
    let e = reflect::describe(&client.main()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownMethod);
    assert_eq!(e.message(), "'__describe__' is not a function.");
    assert_eq!(
        client.main().call_function(vec![]).await.unwrap(),
        Value::from(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_server_honours_its_reflection_setting() {
    use rpc_transports::{
        http_batch::{self, HttpConfig},
        websocket,
    };
    for reflection in [true, false] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let serving = tokio::spawn(http_batch::serve_with(
            listener,
            || CalculatorServer::new(CalculatorImpl::default()),
            HttpConfig::default().with_session_setup(move |s| s.reflection(reflection)),
        ));
        let url = format!("http://{addr}/rpc");
        let batch = http_batch::session(&url, None).unwrap();
        let over_batch = reflect::describe(&batch.main()).await;
        let ws = websocket::connect(&format!("ws://{addr}/rpc"))
            .await
            .unwrap();
        let ws = Session::builder().codec(rpc_core::codec::Json).start(ws);
        let over_websocket = reflect::describe(&ws.main()).await;
        for (how, answer) in [("batch", over_batch), ("WebSocket", over_websocket)] {
            match (reflection, answer) {
                (true, Ok(description)) => {
                    assert_eq!(
                        description,
                        CalculatorClient::DESCRIPTION.to_value(),
                        "{how}"
                    )
                }
                (false, Err(e)) => assert_eq!(e.kind(), ErrorKind::UnknownMethod, "{how}"),
                (on, answer) => panic!("{how} with reflection {on}: {answer:?}"),
            }
        }
        serving.abort();
    }
}
