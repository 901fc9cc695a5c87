//! The Fetch API values (`url`, `headers`, `request`, `response`, `blob`) in both codecs.
//!
//! The golden texts are frames capnweb 0.12.0 sent under Node 20 (recorded from a real session),
//! so decoding then encoding them must give back the very same bytes.

mod common;

use bytes::Bytes;
use common::json::{value, value_err, wire};
use rpc_core::codec::{Codec, CodecError, MsgPack};
use rpc_core::protocol::{
    Expr, Message, RequestExpr, RequestInit, RequestOptions, ResponseExpr, TypedArrayKind,
};
use rpc_core::{Frame, Limits};

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// Every golden text with the model it decodes to.
fn goldens() -> Vec<(&'static str, Expr)> {
    vec![
        (
            r#"["url","https://example.com/a%20b?q=1#h"]"#,
            Expr::Url("https://example.com/a%20b?q=1#h".into()),
        ),
        (
            r#"["headers",[["content-type","text/plain"],["x-b","2, 3"]]]"#,
            Expr::Headers(pairs(&[("content-type", "text/plain"), ("x-b", "2, 3")])),
        ),
        (r#"["headers",[]]"#, Expr::Headers(vec![])),
        (
            r#"["request","https://example.com/x",{"method":"POST","headers":[["content-type","text/plain;charset=UTF-8"],["x-a","1"]],"body":["readable",1],"duplex":"half","redirect":"manual"}]"#,
            Expr::Request(Box::new(RequestExpr {
                url: "https://example.com/x".into(),
                init: RequestInit {
                    method: Some("POST".into()),
                    headers: Some(pairs(&[
                        ("content-type", "text/plain;charset=UTF-8"),
                        ("x-a", "1"),
                    ])),
                    body: Some(Expr::Readable(1)),
                    duplex: Some("half".into()),
                    options: RequestOptions {
                        redirect: Some("manual".into()),
                        ..RequestOptions::default()
                    },
                    ..RequestInit::default()
                },
            })),
        ),
        (
            r#"["request","https://example.com/",{}]"#,
            Expr::Request(Box::new(RequestExpr {
                url: "https://example.com/".into(),
                init: RequestInit::default(),
            })),
        ),
        (
            r#"["request","https://e.com/",{"method":"PUT","body":["bytes","AQI"],"duplex":"half","cache":"no-store","redirect":"error","integrity":"sha256-x","mode":"same-origin","credentials":"include","referrer":"https://r.com/","referrerPolicy":"no-referrer","keepalive":true}]"#,
            Expr::Request(Box::new(RequestExpr {
                url: "https://e.com/".into(),
                init: RequestInit {
                    method: Some("PUT".into()),
                    headers: None,
                    body: Some(Expr::Bytes(Bytes::from_static(&[1, 2]), None)),
                    duplex: Some("half".into()),
                    options: RequestOptions {
                        cache: Some("no-store".into()),
                        redirect: Some("error".into()),
                        integrity: Some("sha256-x".into()),
                        mode: Some("same-origin".into()),
                        credentials: Some("include".into()),
                        referrer: Some("https://r.com/".into()),
                        referrer_policy: Some("no-referrer".into()),
                    },
                    keepalive: Some(true),
                },
            })),
        ),
        (
            r#"["response",["readable",5],{"status":201,"statusText":"Created","headers":[["content-type","text/plain;charset=UTF-8"],["x-r","y"]]}]"#,
            Expr::Response(Box::new(ResponseExpr {
                body: Expr::Readable(5),
                status: Some(201),
                status_text: Some("Created".into()),
                headers: Some(pairs(&[
                    ("content-type", "text/plain;charset=UTF-8"),
                    ("x-r", "y"),
                ])),
            })),
        ),
        (
            r#"["response",null,{"status":204}]"#,
            Expr::Response(Box::new(ResponseExpr {
                body: Expr::Null,
                status: Some(204),
                status_text: None,
                headers: None,
            })),
        ),
        (
            r#"["response","inline text",{}]"#,
            Expr::Response(Box::new(ResponseExpr {
                body: Expr::String("inline text".into()),
                status: None,
                status_text: None,
                headers: None,
            })),
        ),
        (
            r#"["blob","text/plain",["readable",9]]"#,
            Expr::Blob {
                mime: "text/plain".into(),
                pipe: 9,
            },
        ),
        (
            r#"["blob","",["readable",1]]"#,
            Expr::Blob {
                mime: String::new(),
                pipe: 1,
            },
        ),
    ]
}

#[test]
fn json_goldens_decode_and_encode_byte_exact() {
    for (text, expr) in goldens() {
        assert_eq!(value(text), expr, "decoding {text}");
        assert_eq!(wire(expr), text);
    }
}

#[test]
fn fetch_values_nest_inside_ordinary_values() {
    // Call args and escaped arrays around a Fetch value, as capnweb sends `echo(new URL(…))`.
    let text = r#"[[["url","https://a/"],{"h":["headers",[["a","b"]]]}]]"#;
    let expr = value(text);
    assert_eq!(
        expr,
        Expr::Array(vec![
            Expr::Url("https://a/".into()),
            Expr::Object(vec![("h".into(), Expr::Headers(pairs(&[("a", "b")])))]),
        ])
    );
    assert_eq!(wire(expr), text);
    // Whitespace is accepted, as JSON.parse accepts it.
    let spaced =
        r#"[ "request" , "https://a/" , { "headers" : [ [ "a" , "b" ] ] , "keepalive" : false } ]"#;
    match value(spaced) {
        Expr::Request(r) => {
            assert_eq!(r.init.headers, Some(pairs(&[("a", "b")])));
            assert_eq!(r.init.keepalive, Some(false));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn msgpack_round_trips_every_golden() {
    for (_, expr) in goldens() {
        let msg = Message::Resolve(1, expr);
        let frame = MsgPack.encode(&msg).unwrap();
        assert_eq!(MsgPack.decode(&frame, &Limits::default()).unwrap(), msg);
    }
}

#[test]
fn msgpack_uses_the_json_shapes() {
    // ["url", "x:"] is a two-element array of strings; a blob's content is ["readable", id].
    let url = MsgPack::to_vec(&Message::Resolve(1, Expr::Url("x:".into()))).unwrap();
    assert_eq!(url, b"\x93\xa7resolve\x01\x92\xa3url\xa2x:");
    let blob = Expr::Blob {
        mime: "a/b".into(),
        pipe: 2,
    };
    let bytes = MsgPack::to_vec(&Message::Resolve(1, blob)).unwrap();
    assert_eq!(
        bytes,
        b"\x93\xa7resolve\x01\x93\xa4blob\xa3a/b\x92\xa8readable\x02"
    );
}

fn assert_malformed(text: &str, needle: &str) {
    match value_err(text) {
        CodecError::Malformed(m) => assert!(m.contains(needle), "{text}: {m}"),
        other => panic!("{text}: {other:?}"),
    }
}

#[test]
fn json_rejects_malformed_fetch_values_with_a_clear_error() {
    let cases = [
        (r#"["url"]"#, "unknown special value"),
        (r#"["url",5]"#, "unknown special value"),
        (r#"["url","a","b"]"#, "unknown special value"),
        (r#"["headers",{"a":"b"}]"#, "headers must be an array"),
        (r#"["headers",[["a"]]]"#, "headers must be an array"),
        (r#"["headers",[["a","b","c"]]]"#, "headers must be an array"),
        (r#"["headers",[["a",1]]]"#, "headers must be an array"),
        (r#"["headers",[[["a","b"]]]]"#, "headers must be an array"),
        (r#"["request","https://a/"]"#, "unknown special value"),
        (r#"["request","https://a/",[]]"#, "init must be an object"),
        (
            r#"["request","https://a/",{"cf":{}}]"#,
            "\"cf\" is not supported",
        ),
        (
            r#"["request","https://a/",{"signal":null}]"#,
            "not supported",
        ),
        (
            r#"["request","https://a/",{"method":7}]"#,
            "\"method\" must be a string",
        ),
        (
            r#"["request","https://a/",{"keepalive":"yes"}]"#,
            "keepalive must be a boolean",
        ),
        (
            r#"["request","https://a/",{"headers":{"a":"b"}}]"#,
            "headers must be an array",
        ),
        (r#"["request","https://a/",{"body":5}]"#, "a body must be"),
        (
            r#"["request","https://a/",{"body":{"a":1}}]"#,
            "a body must be",
        ),
        (
            r#"["request","https://a/",{"body":["pipeline",0]}]"#,
            "a body must be",
        ),
        // A body can never hide another Fetch value (that could nest without bound).
        (
            r#"["request","https://a/",{"body":["request","https://b/",{}]}]"#,
            "a body must be",
        ),
        (
            r#"["request","https://a/",{"body":["bytes","AAAAAA","Int32Array"]}]"#,
            "a body must be",
        ),
        (
            r#"["response",null,{"status":"200"}]"#,
            "status must be an integer",
        ),
        (
            r#"["response",null,{"status":70000}]"#,
            "status must be an integer",
        ),
        (
            r#"["response",null,{"status":1.5}]"#,
            "status must be an integer",
        ),
        (
            r#"["response",null,{"webSocket":null}]"#,
            "\"webSocket\" is not supported",
        ),
        (r#"["response",[[1]],{}]"#, "a body must be"),
        (r#"["response",null]"#, "unknown special value"),
        (r#"["blob","text/plain","abc"]"#, "blob content must be"),
        (
            r#"["blob","text/plain",["bytes","YWJj"]]"#,
            "blob content must be",
        ),
        (r#"["blob",1,["readable",1]]"#, "unknown special value"),
    ];
    for (text, needle) in cases {
        assert_malformed(text, needle);
    }
}

#[test]
fn msgpack_rejects_malformed_fetch_values() {
    let bad = [
        // ["url", 5]
        &b"\x93\xa7resolve\x01\x92\xa3url\x05"[..],
        // ["headers", [["a"]]]
        b"\x93\xa7resolve\x01\x92\xa7headers\x91\x91\xa1a",
        // ["request", "x:", {"cf": nil}]
        b"\x93\xa7resolve\x01\x93\xa7request\xa2x:\x81\xa2cf\xc0",
        // ["response", 5, {}]
        b"\x93\xa7resolve\x01\x93\xa8response\x05\x80",
        // ["blob", "", "x"]
        b"\x93\xa7resolve\x01\x93\xa4blob\xa0\xa1x",
        // ["blob", "", ["readable"]]: wrong arity
        b"\x93\xa7resolve\x01\x93\xa4blob\xa0\x91\xa8readable",
    ];
    for bytes in bad {
        let frame = Frame::Binary(Bytes::copy_from_slice(bytes));
        match MsgPack.decode(&frame, &Limits::default()) {
            Err(CodecError::Malformed(m)) => assert!(m.contains("special value"), "{m}"),
            other => panic!("{bytes:?}: {other:?}"),
        }
    }
}

#[test]
fn body_forms_follow_capnweb() {
    use rpc_core::protocol::is_body_expr;
    assert!(is_body_expr(&Expr::Null));
    assert!(is_body_expr(&Expr::String("x".into())));
    assert!(is_body_expr(&Expr::Bytes(
        Bytes::new(),
        Some(TypedArrayKind::Uint8Array)
    )));
    assert!(!is_body_expr(&Expr::Undefined));
    assert!(!is_body_expr(&Expr::Url("x:".into())));
}
