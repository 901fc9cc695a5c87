//! The table of hostile inputs that must abort the session, run over every socket and codec.

use bytes::Bytes;
use rpc_core::{
    Frame, Limits,
    codec::{Json, MsgPack},
};
use tests::hostile::{Step, TestServer, Wire, bigint, nested_arrays};

/// One hostile input: what to send (and the answers to expect on the way), and a piece of
/// the abort message that names the problem.
struct Case {
    name: &'static str,
    steps: Vec<Step>,
    needle: &'static str,
}

fn case(name: &'static str, frames: &[&str], needle: &'static str) -> Case {
    Case {
        name,
        steps: frames.iter().map(|f| Step::send(*f)).collect(),
        needle,
    }
}

/// Makes a real export first: `makeCounter(5)` answers `["export",-1]`; then `frames`.
fn with_counter(name: &'static str, frames: &[&str], needle: &'static str) -> Case {
    let mut steps = vec![
        Step::send(r#"["push",["pipeline",0,["makeCounter"],[5]]]"#),
        Step::send(r#"["pull",1]"#),
        Step::expect(r#"["resolve",1,["export",-1]]"#),
    ];
    steps.extend(frames.iter().map(|f| Step::send(*f)));
    Case {
        name,
        steps,
        needle,
    }
}

fn binary(name: &'static str, bytes: &'static [u8], needle: &'static str) -> Case {
    Case {
        name,
        steps: vec![Step::Send(Frame::Binary(Bytes::from_static(bytes)))],
        needle,
    }
}

fn cases() -> Vec<Case> {
    let deep = format!(
        r#"["push",["pipeline",0,["square"],[{}]]]"#,
        nested_arrays(300)
    );
    let huge = format!(r#"["push",["pipeline",0,["square"],[{}]]]"#, bigint(20_000));
    let mut cases = vec![
        case("non-JSON text", &["hello, server"], "bad RPC message"),
        case(
            "a JSON object, not a message",
            &[r#"{"push":1}"#],
            "bad RPC message",
        ),
        case(
            "two messages in one frame",
            &[r#"["pull",1]["pull",2]"#],
            "bad RPC message",
        ),
        binary(
            "garbage binary",
            b"\xff\xfe\x00\x13\x37\xc1",
            "bad RPC message",
        ),
        binary("an empty frame", b"", "bad RPC message"),
        case(
            "unknown message tag",
            &[r#"["bogus",1]"#],
            "bad RPC message",
        ),
        case(
            "unknown expression tag",
            &[r#"["push",["nope"]]"#],
            "unknown special value",
        ),
        case(
            "push without an expression",
            &[r#"["push"]"#],
            "bad RPC message",
        ),
        case(
            "pull of a string ID",
            &[r#"["pull","x"]"#],
            "bad RPC message",
        ),
        case(
            "release without a count",
            &[r#"["release",1]"#],
            "bad RPC message",
        ),
        case(
            "resolve without fields",
            &[r#"["resolve"]"#],
            "bad RPC message",
        ),
        case(
            "pull of a fractional ID",
            &[r#"["pull",1.5]"#],
            "bad RPC message",
        ),
        case(
            "pull of an unknown ID",
            &[r#"["pull",99]"#],
            "pull of unknown export ID 99",
        ),
        case(
            "release of an unknown ID",
            &[r#"["release",99,1]"#],
            "release of unknown export ID 99",
        ),
        case(
            "pipeline on an unknown ID",
            &[r#"["push",["pipeline",99,["x"],[]]]"#],
            "no such export ID 99",
        ),
        case(
            "remap on an unknown ID",
            &[r#"["push",["remap",42,[],[],[["pipeline",0]]]]"#],
            "no such export ID 42",
        ),
        case(
            "remap capturing a plain value",
            &[r#"["push",["remap",0,[],[5],[["pipeline",0]]]]"#],
            "map captures must be imports or exports",
        ),
        with_counter(
            "release by zero",
            &[r#"["release",-1,0]"#],
            "bad RPC message",
        ),
        with_counter(
            "release by a negative count",
            &[r#"["release",-1,-1]"#],
            "bad RPC message",
        ),
        with_counter(
            "release by 2^32",
            &[r#"["release",-1,4294967296]"#],
            "bad RPC message",
        ),
        with_counter(
            "release by more than the refcount",
            &[r#"["release",-1,2]"#],
            "refcount would go negative",
        ),
        with_counter(
            "release repeated",
            &[r#"["release",-1,1]"#, r#"["release",-1,1]"#],
            "release of unknown export ID -1",
        ),
        case(
            "resolve of an ID never introduced",
            &[r#"["resolve",99,1]"#],
            "never introduced",
        ),
        case(
            "reject of an ID never introduced",
            &[r#"["reject",-99,["error","Error","x"]]"#],
            "never introduced",
        ),
        case(
            "resolve of the main import",
            &[r#"["resolve",0,1]"#],
            "not a promise",
        ),
        case(
            "export ID of the wrong sign",
            &[r#"["push",["pipeline",0,["incrementCounter"],[["export",5],1]]]"#],
            "export ID 5 has the wrong sign",
        ),
        case(
            "promise ID of the wrong sign",
            &[r#"["push",["pipeline",0,["square"],[["promise",3]]]]"#],
            "promise ID 3 has the wrong sign",
        ),
        case(
            "readable end of no pipe",
            &[r#"["push",["pipeline",0,["square"],[["readable",7]]]]"#],
            "is not a pipe",
        ),
        case(
            "bad base64",
            &[r#"["push",["pipeline",0,["square"],[["bytes","!!!"]]]]"#],
            "unknown special value",
        ),
        case(
            "unknown typed-array name",
            &[r#"["push",["pipeline",0,["square"],[["bytes","AAAA","Int128Array"]]]]"#],
            "unknown special value",
        ),
        case(
            "a request init key capnweb never sends",
            &[r#"["push",["pipeline",0,["square"],[["request","https://a/",{"cf":{}}]]]]"#],
            "request init key",
        ),
        case(
            "a request method that is not a string",
            &[r#"["push",["pipeline",0,["square"],[["request","https://a/",{"method":7}]]]]"#],
            "must be a string",
        ),
        case(
            "a GET request with a body",
            &[r#"["push",["pipeline",0,["square"],[["request","https://a/",{"body":"x"}]]]]"#],
            "cannot have a body",
        ),
        case(
            "a request for a relative URL",
            &[r#"["push",["pipeline",0,["square"],[["request","/a",{}]]]]"#],
            "Invalid URL",
        ),
        case(
            "a URL without a scheme",
            &[r#"["push",["pipeline",0,["square"],[["url","nope"]]]]"#],
            "Invalid URL",
        ),
        case(
            "a header name that is no token",
            &[r#"["push",["pipeline",0,["square"],[["headers",[["a b","c"]]]]]]"#],
            "Invalid header name",
        ),
        case(
            "headers that are not pairs",
            &[r#"["push",["pipeline",0,["square"],[["headers",[["a"]]]]]]"#],
            "headers must be an array",
        ),
        case(
            "a response status outside 200-599",
            &[r#"["push",["pipeline",0,["square"],[["response",null,{"status":99}]]]]"#],
            "outside 200-599",
        ),
        case(
            "a 204 response with a body",
            &[r#"["push",["pipeline",0,["square"],[["response","x",{"status":204}]]]]"#],
            "cannot have a body",
        ),
        case(
            "a blob whose content is no pipe",
            &[r#"["push",["pipeline",0,["square"],[["blob","",["readable",7]]]]]"#],
            "is not a pipe",
        ),
        case(
            "a blob whose pipe carries text, not bytes",
            &[
                r#"["pipe"]"#,
                r#"["push",["pipeline",0,["square"],[["blob","",["readable",1]]]]]"#,
                r#"["stream",["pipeline",1,["write"],["text"]]]"#,
                r#"["stream",["pipeline",1,["close"],[]]]"#,
            ],
            "must carry bytes",
        ),
        case(
            "a blob with inline content",
            &[r#"["push",["pipeline",0,["square"],[["blob","",["bytes","YQ"]]]]]"#],
            "blob content must be",
        ),
    ];
    cases.push(Case {
        name: "300 nested arrays in an argument",
        steps: vec![Step::send(deep)],
        needle: "max_depth",
    });
    cases.push(Case {
        name: "a bigint of 20,000 digits",
        steps: vec![Step::send(huge)],
        needle: "max_bigint_digits",
    });
    cases
}

/// Runs every case on its own connection to one server, checking the server after each.
async fn run_all(server: &TestServer, cases: Vec<Case>) {
    for case in cases {
        let mut raw = server.raw().await;
        raw.run(&case.steps).await;
        let abort = raw.expect_abort(case.needle).await;
        drop(abort);
        drop(raw);
        server.assert_healthy(case.name).await;
    }
}

#[tokio::test]
async fn hostile_json_over_tcp_to_a_json_server() {
    let server = TestServer::tcp(Wire::Json).await;
    run_all(&server, cases()).await;
}

#[tokio::test]
async fn hostile_json_over_tcp_to_a_default_codec_server() {
    // The default codec reads JSON too (a frame starting with `[`), so it faces the same table.
    let server = TestServer::tcp(Wire::Auto).await;
    run_all(&server, cases()).await;
}

#[tokio::test]
async fn hostile_json_over_websocket() {
    let server = TestServer::websocket(Wire::Json).await;
    run_all(&server, cases()).await;
}

/// The same inputs in MessagePack, for those that mean something beyond JSON syntax: each
/// JSON frame is parsed without limits and re-encoded, so the default codec's binary decoder
/// and the session meet the same hostile content.
fn as_msgpack(cases: Vec<Case>) -> Vec<Case> {
    let unlimited = Limits {
        max_depth: usize::MAX,
        max_bigint_digits: usize::MAX,
        ..Limits::default()
    };
    let convert = |step: &Step| match step {
        Step::Send(Frame::Text(text)) => {
            let message = Json::from_text(text, &unlimited).ok()?;
            let bytes = MsgPack::to_vec(&message).expect("encodes");
            Some(Step::Send(Frame::Binary(bytes.into())))
        }
        other => Some(other.clone()),
    };
    cases
        .into_iter()
        .filter_map(|c| {
            let steps = c.steps.iter().map(convert).collect::<Option<Vec<_>>>()?;
            Some(Case { steps, ..c })
        })
        .collect()
}

#[tokio::test]
async fn hostile_msgpack_over_tcp_to_a_default_codec_server() {
    let server = TestServer::tcp(Wire::Auto).await;
    let cases = as_msgpack(cases());
    assert!(
        cases.len() >= 15,
        "only {} cases survive conversion",
        cases.len()
    );
    let mut all = cases;
    // MessagePack-specific garbage.
    all.push(binary(
        "a truncated message",
        b"\x92\xa4pull",
        "bad RPC message",
    ));
    all.push(binary(
        "a message that is a map",
        b"\x81\xa4push\x01",
        "bad RPC message",
    ));
    all.push(binary(
        "trailing bytes",
        b"\x92\xa4pull\x01\x01",
        "bad RPC message",
    ));
    all.push(binary(
        "an array claiming 2^32-1 items",
        b"\xdd\xff\xff\xff\xff\xa4push",
        "bad RPC message",
    ));
    run_all(&server, all).await;
}
