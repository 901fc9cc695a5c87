//! The JSON codec on every kind of value: numbers, strings, bytes, errors, dates, objects.

mod common;

use bytes::Bytes;
use common::json::{encode, value, value_err, wire};
use rpc_core::codec::CodecError;
use rpc_core::protocol::{ErrorExpr, Expr, Message, TypedArrayKind};

#[test]
fn numbers_print_like_javascript() {
    let max_safe = (1i64 << 53) - 1;
    let cases = [
        (Expr::Int(max_safe), "9007199254740991"),
        (Expr::Int(-max_safe), "-9007199254740991"),
        (Expr::Int(1 << 53), "9007199254740992"),
        (Expr::Int((1 << 53) + 1), r#"["bigint","9007199254740993"]"#),
        (Expr::Int(i64::MIN), r#"["bigint","-9223372036854775808"]"#),
        (Expr::Int(i64::MAX), r#"["bigint","9223372036854775807"]"#),
        // Shortest round-trip digits, then zeros: what node prints for 2**60 and 2**64.
        (Expr::Float(2f64.powi(60)), "1152921504606847000"),
        (Expr::Float(2f64.powi(64)), "18446744073709552000"),
        (Expr::Float(1e300), "1e+300"),
        (Expr::Float(-1e300), "-1e+300"),
        (Expr::Float(5e-324), "5e-324"),
        (Expr::Float(1e21), "1e+21"),
        (Expr::Float(1e20), "100000000000000000000"),
        (Expr::Float(1.5), "1.5"),
        (Expr::Float(0.1), "0.1"),
        (Expr::Float(1e-7), "1e-7"),
        (Expr::Float(123e-20), "1.23e-18"),
        (Expr::Float(2.0), "2"),
        (Expr::Float(-0.0), "0"),
        (Expr::Float(f64::NAN), r#"["nan"]"#),
        (Expr::Float(f64::INFINITY), r#"["inf"]"#),
        (Expr::Float(f64::NEG_INFINITY), r#"["-inf"]"#),
        (Expr::Float(f64::MAX), "1.7976931348623157e+308"),
    ];
    for (e, text) in cases {
        assert_eq!(wire(e), text);
    }
}

#[test]
fn numbers_parse_like_javascript() {
    assert_eq!(value("9007199254740991"), Expr::Int((1 << 53) - 1));
    assert_eq!(value("-9007199254740992"), Expr::Int(-(1 << 53)));
    assert_eq!(value("9007199254740993"), Expr::Float(9007199254740992.0));
    assert_eq!(value("1152921504606846976"), Expr::Float(2f64.powi(60)));
    assert_eq!(
        value("123456789012345678901234567890"),
        Expr::Float(1.2345678901234568e29)
    );
    assert_eq!(value("1e300"), Expr::Float(1e300));
    assert_eq!(value("1E+2"), Expr::Float(100.0));
    assert_eq!(value("5e-324"), Expr::Float(5e-324));
    assert_eq!(value("1e400"), Expr::Float(f64::INFINITY));
    assert_eq!(value("1.0"), Expr::Float(1.0));
    assert_eq!(value("0"), Expr::Int(0));
    assert_eq!(value("0.30000000000000004"), Expr::Float(0.1 + 0.2));
    let Expr::Float(neg_zero) = value("-0") else {
        panic!("-0 is a float")
    };
    assert!(neg_zero == 0.0 && neg_zero.is_sign_negative());
    assert!(matches!(value(r#"["nan"]"#), Expr::Float(f) if f.is_nan()));
    assert_eq!(value(r#"["inf"]"#), Expr::Float(f64::INFINITY));
    assert_eq!(value(r#"["-inf"]"#), Expr::Float(f64::NEG_INFINITY));
    for bad in [
        "01", "+1", ".5", "1.", "1e", "-", "--1", "0x10", "1_000", "NaN", "Infinity",
    ] {
        assert!(matches!(value_err(bad), CodecError::Malformed(_)), "{bad}");
    }
}

#[test]
fn bigints_decode_and_validate() {
    assert_eq!(value(r#"["bigint","-123"]"#), Expr::BigInt("-123".into()));
    assert_eq!(
        value(r#"["bigint","18446744073709551616"]"#),
        Expr::BigInt("18446744073709551616".into())
    );
    assert_eq!(wire(Expr::BigInt("-99".into())), r#"["bigint","-99"]"#);
    for bad in [
        r#"["bigint",""]"#,
        r#"["bigint","-"]"#,
        r#"["bigint","1.5"]"#,
        r#"["bigint","12a"]"#,
        r#"["bigint",12]"#,
        r#"["bigint"]"#,
    ] {
        assert!(matches!(value_err(bad), CodecError::Malformed(_)), "{bad}");
    }
}

#[test]
fn strings_escape_like_json_stringify() {
    let s = "\"\\\u{8}\u{c}\n\r\t\u{0}\u{1}\u{1f}\u{7f}/é\u{2028}\u{2029}😀";
    let text = r#""\"\\\b\f\n\r\t\u0000\u0001\u001f"#.to_owned() + "\u{7f}/é\u{2028}\u{2029}😀\"";
    assert_eq!(wire(Expr::String(s.into())), text);
    assert_eq!(value(&text), Expr::String(s.into()));
    assert_eq!(wire(Expr::String(String::new())), r#""""#);
}

#[test]
fn strings_decode_every_escape() {
    assert_eq!(
        value(r#""\/\u0041\u00e9\u20AC\ud83d\ude00\uD83D\uDE00""#),
        Expr::String("/Aé€😀😀".into())
    );
    assert_eq!(
        value("\"raw 😀 \u{2028}\""),
        Expr::String("raw 😀 \u{2028}".into())
    );
    for bad in [
        "\"\u{1}\"",
        "\"\n\"",
        r#""\x""#,
        r#""\u12""#,
        r#""\u12G4""#,
        r#""abc"#,
        r#""\"#,
    ] {
        assert!(
            matches!(value_err(bad), CodecError::Malformed(_)),
            "{bad:?}"
        );
    }
}

#[test]
fn lone_surrogates_survive_as_utf16() {
    // (input, code units, what JSON.stringify gives back: valid pairs come out raw)
    let cases: [(&str, &[u16], &str); 5] = [
        (r#""\ud800""#, &[0xd800], r#""\ud800""#),
        (r#""a\udc00b""#, &[0x61, 0xdc00, 0x62], r#""a\udc00b""#),
        (r#""\ud800\u0041""#, &[0xd800, 0x41], r#""\ud800A""#),
        (
            r#""\udbff\ud800\udc00""#,
            &[0xdbff, 0xd800, 0xdc00],
            "\"\\udbff\u{10000}\"",
        ),
        (
            r#""é\ude00😀""#,
            &[0xe9, 0xde00, 0xd83d, 0xde00],
            r#""é\ude00😀""#,
        ),
    ];
    for (text, units, stringified) in cases {
        let e = value(text);
        assert_eq!(e, Expr::Utf16(units.to_vec()), "{text}");
        assert_eq!(wire(e.clone()), stringified);
        assert_eq!(value(stringified), e);
    }
    // Valid UTF-16 held as `Utf16` prints as ordinary text.
    assert_eq!(
        wire(Expr::Utf16(vec![0x41, 0xd83d, 0xde00, 0x0a])),
        "\"A😀\\n\""
    );
    // Keys cannot hold lone surrogates in the model; they become U+FFFD.
    assert_eq!(
        value(r#"{"\ud800":1}"#),
        Expr::Object(vec![("\u{fffd}".into(), Expr::Int(1))])
    );
}

#[test]
fn bytes_accept_padding_and_every_typed_array() {
    assert_eq!(
        value(r#"["bytes","aGk="]"#),
        Expr::Bytes(Bytes::from_static(b"hi"), None)
    );
    assert_eq!(
        value(r#"["bytes","aGk"]"#),
        Expr::Bytes(Bytes::from_static(b"hi"), None)
    );
    assert_eq!(value(r#"["bytes",""]"#), Expr::Bytes(Bytes::new(), None));
    assert_eq!(
        wire(Expr::Bytes(Bytes::from_static(b"hi"), None)),
        r#"["bytes","aGk"]"#
    );
    assert_eq!(
        wire(Expr::Bytes(Bytes::from_static(&[255]), None)),
        r#"["bytes","/w"]"#
    );
    for kind in TypedArrayKind::ALL {
        let data = Bytes::from((0..kind.element_size() as u8 * 2).collect::<Vec<u8>>());
        let e = Expr::Bytes(data, Some(kind));
        let text = wire(e.clone());
        assert!(text.ends_with(&format!(",\"{}\"]", kind.name())), "{text}");
        assert_eq!(value(&text), e);
    }
}

#[test]
fn bad_bytes_are_rejected() {
    for bad in [
        r#"["bytes","!!!!"]"#,
        r#"["bytes","a"]"#,
        r#"["bytes","aGk=="]"#,
        r#"["bytes","aG k"]"#,
        r#"["bytes","aGk","Int33Array"]"#,
        r#"["bytes","aGk","uint8array"]"#,
        r#"["bytes","AAAA","Int16Array"]"#,
        r#"["bytes","AAAAAA","Float64Array"]"#,
        r#"["bytes",12]"#,
        r#"["bytes"]"#,
        r#"["bytes","aGk",null]"#,
        r#"["bytes","aGk","Uint8Array",1]"#,
    ] {
        assert!(matches!(value_err(bad), CodecError::Malformed(_)), "{bad}");
    }
}

#[test]
fn undefined_as_value_field_and_element() {
    assert_eq!(value(r#"["undefined"]"#), Expr::Undefined);
    let e = value(r#"{"u":["undefined"],"a":[[["undefined"],1]]}"#);
    assert_eq!(
        e,
        Expr::Object(vec![
            ("u".into(), Expr::Undefined),
            ("a".into(), Expr::Array(vec![Expr::Undefined, Expr::Int(1)])),
        ])
    );
    assert_eq!(wire(e), r#"{"u":["undefined"],"a":[[["undefined"],1]]}"#);
    assert_eq!(
        encode(&Message::Resolve(5, Expr::Undefined)),
        r#"["resolve",5,["undefined"]]"#
    );
}

#[test]
fn errors_with_stack_and_props() {
    let full = ErrorExpr {
        name: "TypeError".into(),
        message: "bad thing".into(),
        stack: Some("TypeError: bad thing\n    at x".into()),
        props: Some(vec![
            ("code".into(), Expr::Int(42)),
            ("cause".into(), Expr::error("Error", "root")),
        ]),
    };
    let cases = [
        (
            ErrorExpr {
                stack: None,
                props: None,
                ..full.clone()
            },
            r#"["error","TypeError","bad thing"]"#,
        ),
        (
            ErrorExpr {
                props: None,
                ..full.clone()
            },
            r#"["error","TypeError","bad thing","TypeError: bad thing\n    at x"]"#,
        ),
        (
            ErrorExpr {
                stack: None,
                ..full.clone()
            },
            r#"["error","TypeError","bad thing",null,{"code":42,"cause":["error","Error","root"]}]"#,
        ),
        (
            full,
            r#"["error","TypeError","bad thing","TypeError: bad thing\n    at x",{"code":42,"cause":["error","Error","root"]}]"#,
        ),
    ];
    for (err, text) in cases {
        let e = Expr::Error(Box::new(err));
        assert_eq!(wire(e.clone()), text);
        assert_eq!(value(text), e);
    }
    // A null stack with no props is accepted (and dropped).
    assert_eq!(
        value(r#"["error","Error","m",null]"#),
        Expr::error("Error", "m")
    );
    for bad in [
        r#"["error","Error"]"#,
        r#"["error",1,"m"]"#,
        r#"["error","E","m",5]"#,
        r#"["error","E","m",null,[]]"#,
        r#"["error","E","m",null,{},1]"#,
    ] {
        assert!(matches!(value_err(bad), CodecError::Malformed(_)), "{bad}");
    }
}

#[test]
fn dates_valid_and_invalid() {
    assert_eq!(value(r#"["date",1000000000000]"#), Expr::Date(Some(1e12)));
    // Decoding follows `new Date(ms)`: whole milliseconds, ±8.64e15 at most, else invalid.
    assert_eq!(value(r#"["date",-1.5]"#), Expr::Date(Some(-1.0)));
    assert_eq!(value(r#"["date",8640000000000001]"#), Expr::Date(None));
    // Found by the fuzzer: a number that overflows to infinity once came back as a different
    // message after a round trip.
    assert_eq!(value(r#"["date",8640009999999e9999]"#), Expr::Date(None));
    assert_eq!(value(r#"["date",null]"#), Expr::Date(None));
    assert_eq!(wire(Expr::Date(Some(1e12))), r#"["date",1000000000000]"#);
    assert_eq!(
        wire(Expr::Date(Some(8.64e15))),
        r#"["date",8640000000000000]"#
    );
    assert_eq!(wire(Expr::Date(Some(0.5))), r#"["date",0.5]"#);
    assert_eq!(wire(Expr::Date(None)), r#"["date",null]"#);
    assert_eq!(wire(Expr::Date(Some(f64::NAN))), r#"["date",null]"#);
    assert_eq!(wire(Expr::Date(Some(-0.0))), r#"["date",0]"#);
    for bad in [r#"["date"]"#, r#"["date","2020"]"#, r#"["date",1,2]"#] {
        assert!(matches!(value_err(bad), CodecError::Malformed(_)), "{bad}");
    }
}

#[test]
fn objects_keep_every_key_in_order() {
    let text = r#"{"z":1,"__proto__":2,"toString":3,"a":{},"z":4}"#;
    let e = value(text);
    let Expr::Object(fields) = &e else { panic!() };
    let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["z", "__proto__", "toString", "a", "z"]);
    assert_eq!(wire(e), text);
    assert_eq!(
        wire(Expr::Object(vec![("a\"b".into(), Expr::Null)])),
        r#"{"a\"b":null}"#
    );
}
