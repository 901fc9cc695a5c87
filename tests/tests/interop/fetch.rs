//! Direction-3 Fetch API scenarios: a Rust client sends URLs, headers, requests, responses and
//! blobs to capnweb's `echo` and checks what comes back. capnweb returns every body over a
//! pipe, so a body sent inline comes back as a stream (read here with `Body::read_all`).

use bytes::Bytes;
use rpc_core::value::{Blob, Body, Headers, Request, Response, Url, Value};

use super::rust_battery::{OrFail, Scenario, same, scenario};

/// Reads a body that capnweb sent back, which it always streams.
async fn body_text(body: Option<Body>) -> Result<Vec<u8>, String> {
    match body {
        Some(body @ Body::Stream(_)) => {
            Ok(body.read_all(1 << 20).await.or_fail("reading")?.to_vec())
        }
        other => Err(format!("expected a streamed body, got {other:?}")),
    }
}

pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario("fetch-url", true, |api| async move {
            let url = Url::parse("https://example.com/a%20b?q=1#h").or_fail("parse")?;
            let got = api.echo(Value::from(url.clone())).await.or_fail("echo")?;
            same(got, Value::Url(url), "echoed URL")
        }),
        scenario("fetch-headers", true, |api| async move {
            // `new Headers(pairs)` lowercases, sorts and joins repeated names.
            let sent: Headers = [("X-B", "2"), ("content-type", "text/plain"), ("x-b", "3")]
                .into_iter()
                .collect();
            let got = api.echo(Value::from(sent)).await.or_fail("echo")?;
            let want: Headers = [("content-type", "text/plain"), ("x-b", "2, 3")]
                .into_iter()
                .collect();
            same(got, Value::Headers(want), "echoed headers")
        }),
        scenario("fetch-request-without-body", true, |api| async move {
            let mut req = Request::new("https://example.com/x?y=1");
            req.method = "DELETE".into();
            req.headers.append("x-a", "1");
            req.options.redirect = Some("manual".into());
            req.options.cache = Some("no-store".into());
            req.options.credentials = Some("include".into());
            req.options.referrer_policy = Some("no-referrer".into());
            req.options.integrity = Some("sha256-abc".into());
            req.keepalive = true;
            let plain = Request::new("https://example.com/");
            let (got, got_plain) = tokio::join!(
                api.echo(Value::from(req.clone())),
                api.echo(Value::from(plain.clone()))
            );
            same(got.or_fail("echo")?, req.into(), "echoed request")?;
            same(got_plain.or_fail("echo")?, plain.into(), "echoed GET")
        }),
        scenario("fetch-request-with-body", false, |api| async move {
            let mut req = Request::new("https://example.com/up");
            req.method = "POST".into();
            req.headers.append("content-type", "text/plain");
            req.body = Some("hello body".into());
            let Value::Request(got) = api.echo(Value::from(req)).await.or_fail("echo")? else {
                return Err("not a request".into());
            };
            same(got.method.as_str(), "POST", "method")?;
            same(
                got.headers.get("content-type"),
                Some("text/plain"),
                "header",
            )?;
            same(
                body_text(got.body).await?,
                b"hello body".to_vec(),
                "text body",
            )?;

            let mut bytes = Request::new("https://example.com/b");
            bytes.method = "PUT".into();
            bytes.body = Some(Body::Bytes(Bytes::from_static(&[0, 1, 255])));
            let Value::Request(got) = api.echo(Value::from(bytes)).await.or_fail("echo")? else {
                return Err("not a request".into());
            };
            same(body_text(got.body).await?, vec![0, 1, 255], "bytes body")
        }),
        scenario("fetch-response", false, |api| async move {
            let mut resp = Response::new(Some("body!".into()));
            resp.status = 201;
            resp.status_text = "Created".into();
            resp.headers.append("x-r", "y");
            let Value::Response(got) = api.echo(Value::from(resp)).await.or_fail("echo")? else {
                return Err("not a response".into());
            };
            same(
                (got.status, got.status_text.as_str(), got.headers.get("x-r")),
                (201, "Created", Some("y")),
                "status and headers",
            )?;
            same(body_text(got.body).await?, b"body!".to_vec(), "body")
        }),
        scenario("fetch-response-null-body", true, |api| async move {
            let mut resp = Response::new(None);
            resp.status = 204;
            let got = api.echo(Value::from(resp.clone())).await.or_fail("echo")?;
            same(got, resp.into(), "echoed 204")
        }),
        scenario("fetch-blob", false, |api| async move {
            let blob = Blob::new("text/plain", &b"abc"[..]);
            let got = api.echo(Value::from(blob.clone())).await.or_fail("echo")?;
            same(got, Value::Blob(blob), "small blob")?;
            let empty = Blob::new("", Bytes::new());
            let got = api.echo(Value::from(empty.clone())).await.or_fail("echo")?;
            same(got, Value::Blob(empty), "empty blob")?;
            let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
            let big = Blob::new("application/octet-stream", big);
            let got = api.echo(Value::from(big.clone())).await.or_fail("echo")?;
            same(got, Value::Blob(big), "300 kB blob")
        }),
    ]
}
