//! Direction-3 scenarios: `echo` of every value type in `shared/conformance.md`, built as
//! `rpc_core::Value`, sent to capnweb and back. Each must come back exactly equal (`Value`'s
//! `PartialEq`, where NaN equals NaN). All are batch-compatible.

use rpc_core::{
    RpcError, Value,
    protocol::TypedArrayKind,
    value::{BigInt, Object},
};

use super::rust_battery::{OrFail, Scenario, same, scenario};

/// An `echo-NAME` scenario per value.
pub fn scenarios() -> Vec<Scenario> {
    let mut all: Vec<Scenario> = cases()
        .into_iter()
        .map(|(name, value)| echo_case(format!("echo-{name}"), value.clone(), value))
        .collect();
    all.extend(
        typed_arrays()
            .into_iter()
            .map(|(name, sent, back)| echo_case(format!("echo-{name}"), sent, back)),
    );
    all.push(scenario("echo-negative-zero", true, |api| async move {
        // JSON has no -0: capnweb sends it as 0, so it comes back as +0.
        let got = api.echo(Value::Float(-0.0)).await.or_fail("echo")?;
        match got.as_f64() {
            Some(z) if z == 0.0 && z.is_sign_positive() => Ok(()),
            _ => Err(format!("expected 0, got {got:?}")),
        }
    }));
    all
}

/// Echoes `sent`, expecting exactly `back`.
fn echo_case(name: String, sent: Value, back: Value) -> Scenario {
    scenario(name, true, move |api| {
        let (sent, back) = (sent.clone(), back.clone());
        async move {
            let got = api.echo(sent).await.or_fail("echo")?;
            same(got, back, "echoed")
        }
    })
}

fn obj(entries: Vec<(&str, Value)>) -> Value {
    let mut o = Object::new();
    for (k, v) in entries {
        o.insert(k, v);
    }
    Value::Object(o)
}

fn arr(items: Vec<Value>) -> Value {
    Value::Array(items)
}

fn s(text: &str) -> Value {
    Value::from(text)
}

fn bigint(decimal: &str) -> Value {
    Value::BigInt(BigInt::parse(decimal).expect("decimal digits"))
}

fn cases() -> Vec<(String, Value)> {
    let mut cases: Vec<(&str, Value)> = vec![
        ("zero", Value::Float(0.0)),
        ("fraction", Value::Float(-2.25)),
        ("infinity", Value::Float(f64::INFINITY)),
        ("negative-infinity", Value::Float(f64::NEG_INFINITY)),
        ("nan", Value::Float(f64::NAN)),
        ("max-safe-integer", Value::Float(9007199254740991.0)),
        ("min-safe-integer", Value::Float(-9007199254740991.0)),
        ("two-pow-60", Value::Float(2f64.powi(60))),
        ("1e300", Value::Float(1e300)),
        ("min-value-subnormal", Value::Float(5e-324)),
        ("min-positive-normal", Value::Float(f64::MIN_POSITIVE)),
        ("empty-string", s("")),
        ("string-ascii", s("hello, world")),
        ("string-astral", s("\u{1F600}\u{1D11E}\u{10FFFF}")),
        (
            "string-control",
            Value::String((0u8..32).chain([0x7f]).map(char::from).collect()),
        ),
        ("string-line-separators", s("a\u{2028}b\u{2029}c")),
        ("string-lone-surrogate", Value::Utf16(vec![0xD800])),
        (
            "string-lone-surrogates-mixed",
            Value::Utf16(vec![0x78, 0xDFFF, 0x79, 0xD800]),
        ),
        (
            "string-all-unicode",
            Value::String(('\0'..=char::MAX).collect()),
        ),
        ("null", Value::Null),
        ("true", Value::Bool(true)),
        ("false", Value::Bool(false)),
        ("undefined", Value::Undefined),
        (
            "undefined-field",
            obj(vec![("u", Value::Undefined), ("v", 1.into())]),
        ),
        (
            "undefined-element",
            arr(vec![1.into(), Value::Undefined, 3.into()]),
        ),
        ("array-empty", arr(vec![])),
        (
            "array-nested",
            arr(vec![
                1.into(),
                arr(vec![
                    2.into(),
                    arr(vec![3.into(), arr(vec![4.into(), arr(vec![])])]),
                ]),
                s("x"),
                arr(vec![Value::Null]),
            ]),
        ),
        // Arrays that look like the wire's tagged expressions are still plain data.
        ("array-like-date-tag", arr(vec![s("date"), 1.into()])),
        ("array-like-bigint-tag", arr(vec![s("bigint"), s("5")])),
        ("array-like-undefined-tag", arr(vec![s("undefined")])),
        ("array-like-export-tag", arr(vec![s("export"), (-1).into()])),
        (
            "array-like-pipeline-tag",
            arr(vec![
                s("pipeline"),
                0.into(),
                arr(vec![s("square")]),
                arr(vec![2.into()]),
            ]),
        ),
        (
            "array-like-error-tag",
            arr(vec![s("error"), s("Error"), s("not an error")]),
        ),
        ("object-empty", obj(vec![])),
        // JavaScript lists integer-like keys ("1") first, so the object is built in that order.
        (
            "object-odd-keys",
            obj(vec![
                ("1", 5.into()),
                ("", 1.into()),
                ("a b", 2.into()),
                ("\u{fc}", 3.into()),
                ("\u{1F600}", 4.into()),
                ("-1", 6.into()),
                ("with\"quote", 7.into()),
                ("\n", 8.into()),
            ]),
        ),
        ("object-50-deep", fifty_deep()),
        ("date", Value::Date(Some(1e12))),
        ("date-epoch", Value::Date(Some(0.0))),
        ("date-negative", Value::Date(Some(-123456789.0))),
        ("date-max", Value::Date(Some(8.64e15))),
        ("date-invalid", Value::Date(None)),
        (
            "bytes-untyped",
            Value::Bytes(vec![0, 1, 127, 128, 255].into(), None),
        ),
        ("bytes-empty", Value::Bytes(Vec::new().into(), None)),
        ("bigint-zero", bigint("0")),
        ("bigint-small", bigint("5")),
        ("bigint-beyond-2-64", bigint("18446744073709551617")),
        (
            "bigint-negative-huge",
            bigint("-515377520732011331036461129765621272702107522001"),
        ),
        ("error-with-props", error_with_props()),
        ("compound", compound()),
    ];
    let mut owned: Vec<(String, Value)> = cases.drain(..).map(|(n, v)| (n.to_owned(), v)).collect();
    owned.extend(errors());
    owned
}

/// Each typed array kind, holding bytes that include 0x00, 0x80 and 0xff (and, read as
/// floats, NaNs with payloads: the bytes must survive untouched): the name, what is sent and
/// what must come back.
fn typed_arrays() -> Vec<(String, Value, Value)> {
    TypedArrayKind::ALL
        .into_iter()
        .map(|kind| {
            let len = kind.element_size() * 4;
            let bytes: Vec<u8> = (0..len)
                .map(|i| [0x00, 0x80, 0xff, 0x7f, 0x01][i % 5])
                .collect();
            let name = format!("typed-{}", kind.name().to_lowercase());
            let sent = Value::Bytes(bytes.clone().into(), Some(kind));
            (name, sent, Value::Bytes(bytes.into(), uint8_untyped(kind)))
        })
        .collect()
}

/// capnweb sends a `Uint8Array` untyped (`["bytes", b64]`), which Capstan reads as kind
/// `None`: so `Some(Uint8Array)` comes back as `None`, the same JavaScript type.
fn uint8_untyped(kind: TypedArrayKind) -> Option<TypedArrayKind> {
    (kind != TypedArrayKind::Uint8Array).then_some(kind)
}

/// An error of every built-in JavaScript class.
fn errors() -> Vec<(String, Value)> {
    [
        "Error",
        "EvalError",
        "RangeError",
        "ReferenceError",
        "SyntaxError",
        "TypeError",
        "URIError",
    ]
    .into_iter()
    .map(|class| {
        let error = RpcError::new(class, format!("a {class}"));
        (
            format!("error-{}", class.to_lowercase()),
            Value::Error(error),
        )
    })
    .chain([("error-aggregateerror".to_owned(), aggregate_error())])
    .collect()
}

/// A JavaScript AggregateError always has `errors`, and capnweb sends it, so it is part of
/// the value (without it, capnweb adds `errors: []`).
fn aggregate_error() -> Value {
    let errors = arr(vec![
        Value::Error(RpcError::error("one")),
        Value::Error(RpcError::type_error("two")),
    ]);
    Value::Error(RpcError::new("AggregateError", "several").with_prop("errors", errors))
}

fn error_with_props() -> Value {
    let detail = obj(vec![
        ("where", arr(vec![s("here"), 1.into()])),
        ("deep", obj(vec![("ok", true.into())])),
    ]);
    Value::Error(
        RpcError::type_error("bad thing")
            .with_prop("code", 42)
            .with_prop("detail", detail),
    )
}

fn fifty_deep() -> Value {
    let mut deep = obj(vec![("leaf", s("bottom"))]);
    for level in 1..=50 {
        deep = obj(vec![("level", level.into()), ("next", deep)]);
    }
    deep
}

fn compound() -> Value {
    obj(vec![
        ("n", 1.5.into()),
        ("s", s("str")),
        ("t", true.into()),
        ("z", Value::Null),
        ("big", bigint("-99")),
        ("when", Value::Date(Some(1e12))),
        ("bytes", Value::Bytes(b"hi".to_vec().into(), None)),
        (
            "i32",
            Value::Bytes(vec![0xff; 4].into(), Some(TypedArrayKind::Int32Array)),
        ),
        ("inf", f64::INFINITY.into()),
        ("nan", f64::NAN.into()),
        (
            "list",
            arr(vec![
                arr(vec![1.into(), s("a")]),
                obj(vec![("x", arr(vec![]))]),
            ]),
        ),
        ("err", Value::Error(RpcError::range_error("inside"))),
    ])
}
