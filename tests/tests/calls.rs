//! Plain calls, and every kind of error a call can end with.

use rpc_core::{ErrorKind, Session, Value};
use tests::{CalculatorClient, INITIAL, User, calculator_pair, codecs, wait_for_stats};

#[tokio::test]
async fn plain_calls_return_their_values() {
    for codec in codecs() {
        let (server, client, _) = calculator_pair(&codec);
        let calc: CalculatorClient = client.main_as();
        assert_eq!(calc.add(2, 3).await.unwrap(), 5);
        assert_eq!(calc.square(-12).await.unwrap(), 144);
        assert_eq!(calc.add(i64::MAX - 1, 1).await.unwrap(), i64::MAX);
        let user: User = calc.get_user(7).await.unwrap();
        assert_eq!(user.name, "User 7");
        assert_eq!(user.profile.bio, "Bio of user 7");
        drop(calc);
        wait_for_stats(&client, INITIAL).await;
        wait_for_stats(&server, INITIAL).await;
    }
}

#[tokio::test]
async fn an_application_error_keeps_its_name_message_and_properties() {
    for codec in codecs() {
        let (_server, client, _) = calculator_pair(&codec);
        let calc: CalculatorClient = client.main_as();
        let err = calc.fail("out of range").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Application, "{}", codec.name());
        assert_eq!(err.name(), "RangeError");
        assert_eq!(err.message(), "out of range");
        assert_eq!(err.prop("code").and_then(Value::as_i64), Some(42));
    }
}

#[tokio::test]
async fn an_unknown_method_is_a_clear_error() {
    for codec in codecs() {
        let (_server, client, _) = calculator_pair(&codec);
        let err = client
            .main()
            .call("noSuchMethod", vec![Value::from(1)])
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnknownMethod);
        assert_eq!(err.name(), "TypeError");
        assert_eq!(err.message(), "'noSuchMethod' is not a function.");
    }
}

#[tokio::test]
async fn object_internals_are_not_callable() {
    let (_server, client, _) = calculator_pair(&codecs()[0]);
    for name in [
        "constructor",
        "__proto__",
        "toString",
        "valueOf",
        "hasOwnProperty",
    ] {
        let err = client.main().call(name, vec![]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnknownMethod, "{name}");
    }
    // Property reads of them give undefined, never an internal.
    let v = client.main().get("constructor").await.unwrap();
    assert_eq!(v, Value::Undefined);
}

#[tokio::test]
async fn arguments_of_the_wrong_type_are_rejected_with_the_argument_named() {
    for codec in codecs() {
        let (_server, client, _) = calculator_pair(&codec);
        let err = client
            .main()
            .call("add", vec![Value::from("two"), Value::from(1)])
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert_eq!(err.name(), "TypeError");
        assert!(
            err.message().contains("add: argument `a`"),
            "{}",
            err.message()
        );
        // A missing argument is `undefined`, which an i64 cannot take.
        let err = client.main().call("square", vec![]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }
}

#[tokio::test]
async fn a_panicking_handler_fails_only_its_call() {
    for codec in codecs() {
        let (server, client, _) = calculator_pair(&codec);
        let calc: CalculatorClient = client.main_as();
        let err = calc.explode().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Panicked);
        assert!(err.message().contains("kaboom"), "{}", err.message());
        // The session goes on.
        assert_eq!(calc.add(1, 1).await.unwrap(), 2);
        assert!(server.broken_error().is_none());
        assert!(client.broken_error().is_none());
    }
}

#[tokio::test]
async fn calling_a_peer_without_a_main_object_is_an_error() {
    let (a, b) = rpc_transports::memory::pair();
    let _one = Session::builder().start(a);
    let two = Session::builder().start(b);
    let err = two.main().call("anything", vec![]).await.unwrap_err();
    assert_eq!(err.message(), "This connection has no main object.");
}

#[tokio::test]
async fn either_side_may_call_the_other() {
    // Both sides serve a calculator; each calls the other's.
    for codec in codecs() {
        let (a, b) = rpc_transports::memory::pair();
        let left = tests::builder(&codec)
            .main(tests::CalculatorServer::new(
                tests::CalculatorImpl::default(),
            ))
            .start(a);
        let right = tests::builder(&codec)
            .main(tests::CalculatorServer::new(
                tests::CalculatorImpl::default(),
            ))
            .start(b);
        let from_left: CalculatorClient = left.main_as();
        let from_right: CalculatorClient = right.main_as();
        let (x, y) = tokio::join!(from_left.add(1, 2), from_right.square(4));
        assert_eq!((x.unwrap(), y.unwrap()), (3, 16));
    }
}
