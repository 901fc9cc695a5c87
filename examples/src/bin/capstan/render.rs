//! Values in and out as JSON, capabilities as named placeholders, errors and descriptions as
//! text.

use std::{collections::BTreeMap, future::Future, pin::Pin};

use base64::Engine;
use rpc_core::{RpcError, Stub, Value, value::Object};
use serde::Deserialize;
use serde_json::{Map, Number, json};

/// The capabilities results have carried, by name (`$1`, `$2`, …), so later commands can call
/// them. A name is given to every capability a result holds, in the order they appear.
#[derive(Default)]
pub struct Capabilities {
    named: BTreeMap<String, Stub>,
    next: u64,
}

impl Capabilities {
    /// The capability called `name` (with its `$`).
    pub fn get(&self, name: &str) -> Option<&Stub> {
        self.named.get(name)
    }

    fn name(&mut self, stub: Stub) -> String {
        self.next += 1;
        let name = format!("${}", self.next);
        self.named.insert(name.clone(), stub);
        name
    }
}

/// `value` as JSON. JSON has no word for some of what Cap'n Web carries; those become one-key
/// objects: `{"$capability": "$N"}` (the capability, now callable as `$N`), `{"$bytes":
/// base64}`, `{"$bigint": "digits"}`, `{"$date": ms}`, `{"$number": "NaN"}` (and the
/// infinities), `{"$error": {"name", "message"}}`, `{"$stream": "readable"|"writable"}`, and
/// for Fetch values `{"$url": href}`, `{"$headers": [[name, value], …]}`, `{"$blob": {"type",
/// "bytes"}}`, `{"$request": {"url", "method", "headers", "body"}}` and `{"$response":
/// {"status", "statusText", "headers", "body"}}`.
/// `undefined` reads as `null`, as `JSON.stringify` writes it in arrays.
pub fn to_json(value: Value, capabilities: &mut Capabilities) -> serde_json::Value {
    match value {
        Value::Undefined | Value::Null => serde_json::Value::Null,
        Value::Bool(b) => b.into(),
        Value::Int(i) => i.into(),
        // A whole number prints as JavaScript prints it (`144`, not `144.0`): MessagePack
        // carries JavaScript's numbers as floats, JSON as integers, and the output should not
        // depend on the codec.
        Value::Float(f) if f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER => (f as i64).into(),
        Value::Float(f) => match Number::from_f64(f) {
            Some(n) => serde_json::Value::Number(n),
            None => json!({ "$number": js_number_name(f) }),
        },
        Value::BigInt(b) => json!({ "$bigint": b.to_string() }),
        Value::String(s) => s.into(),
        Value::Utf16(units) => String::from_utf16_lossy(&units).into(),
        Value::Bytes(bytes, _) => {
            json!({ "$bytes": base64::engine::general_purpose::STANDARD.encode(&bytes) })
        }
        Value::Date(ms) => json!({ "$date": ms }),
        Value::Array(items) => items
            .into_iter()
            .map(|item| to_json(item, capabilities))
            .collect(),
        Value::Object(object) => object_to_json(object, capabilities),
        Value::Error(e) => json!({ "$error": { "name": e.name(), "message": e.message() } }),
        Value::Stub(stub) => json!({ "$capability": capabilities.name(stub) }),
        // `settle` replaced every promise; one that is left came from a value built after.
        Value::Promise(_) => json!({ "$promise": "unsettled" }),
        Value::Readable(_) => json!({ "$stream": "readable" }),
        Value::Writable(_) => json!({ "$stream": "writable" }),
        Value::Url(url) => json!({ "$url": url.as_str() }),
        Value::Headers(h) => json!({ "$headers": headers_json(&h) }),
        Value::Blob(b) => json!({ "$blob": { "type": b.mime, "bytes": b64(&b.data) } }),
        Value::Request(r) => json!({ "$request": {
            "url": r.url, "method": r.method, "headers": headers_json(&r.headers),
            "body": body_json(&r.body),
        } }),
        Value::Response(r) => json!({ "$response": {
            "status": r.status, "statusText": r.status_text,
            "headers": headers_json(&r.headers), "body": body_json(&r.body),
        } }),
    }
}

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn headers_json(headers: &rpc_core::value::Headers) -> serde_json::Value {
    headers.iter().map(|(n, v)| json!([n, v])).collect()
}

/// A body as text, `{"$bytes": …}`, `{"$stream": "readable"}` or `null`.
fn body_json(body: &Option<rpc_core::value::Body>) -> serde_json::Value {
    use rpc_core::value::Body;
    match body {
        None => serde_json::Value::Null,
        Some(Body::Text(s)) => s.as_str().into(),
        Some(Body::Bytes(b)) => json!({ "$bytes": b64(b) }),
        Some(Body::Stream(_)) => json!({ "$stream": "readable" }),
    }
}

fn object_to_json(object: Object, capabilities: &mut Capabilities) -> serde_json::Value {
    let mut map = Map::new();
    for (key, value) in object.iter() {
        map.insert(key.to_owned(), to_json(value.clone(), capabilities));
    }
    serde_json::Value::Object(map)
}

/// JavaScript's `Number.MAX_SAFE_INTEGER`: every whole float up to it is exact as an `i64`.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

fn js_number_name(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

type Settling = Pin<Box<dyn Future<Output = Result<Value, RpcError>> + Send>>;

/// `value` with every promise inside it replaced by what it resolves to, so the whole result
/// can be printed.
pub fn settle(value: Value) -> Settling {
    Box::pin(async move {
        Ok(match value {
            Value::Promise(promise) => settle(promise.await?).await?,
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(settle(item).await?);
                }
                Value::Array(out)
            }
            Value::Object(object) => {
                let mut out = Object::new();
                for (key, value) in object.iter() {
                    out.insert(key, settle(value.clone()).await?);
                }
                Value::Object(out)
            }
            other => other,
        })
    })
}

/// A JSON argument as the value sent.
pub fn from_json(json: &serde_json::Value) -> Result<Value, String> {
    rpc_core::value::to_value(json).map_err(|e| e.message().to_owned())
}

/// The arguments of a one-shot call: each one JSON text.
pub fn parse_json_args(args: &[String]) -> Result<Vec<Value>, String> {
    args.iter()
        .enumerate()
        .map(|(i, text)| {
            let json: serde_json::Value = serde_json::from_str(text).map_err(|e| {
                format!(
                    "argument {} (`{text}`) is not JSON: {e}; quote a string, as '\"{text}\"'",
                    i + 1
                )
            })?;
            from_json(&json)
        })
        .collect()
}

/// An error as `Name: message`, with its extra properties, if any, as JSON after it.
pub fn error_text(e: &RpcError) -> String {
    let mut text = format!("{}: {}", e.name(), e.message());
    if !e.props().is_empty() {
        let props = object_to_json(e.props().clone(), &mut Capabilities::default());
        text.push_str(&format!(" {props}"));
    }
    text
}

/// A description, as `__describe__` answers it (see `rpc_core::reflect`).
#[derive(Debug, Deserialize)]
pub struct Description {
    pub name: String,
    #[serde(default)]
    pub docs: String,
    #[serde(default)]
    pub methods: Vec<MethodDescription>,
}

/// One method of a [`Description`].
#[derive(Debug, Deserialize)]
pub struct MethodDescription {
    pub name: String,
    #[serde(default)]
    pub docs: String,
    #[serde(default)]
    pub params: Vec<ParamDescription>,
    #[serde(default)]
    pub returns: String,
}

/// One parameter of a [`MethodDescription`].
#[derive(Debug, Deserialize)]
pub struct ParamDescription {
    pub name: String,
    #[serde(rename = "type", default)]
    pub ty: String,
}

impl Description {
    /// Reads the answer of `__describe__`.
    pub fn from_json(json: &serde_json::Value) -> Result<Description, String> {
        Description::deserialize(json)
            .map_err(|e| format!("the server's description does not read as one: {e}"))
    }

    /// The description for people: the interface and its docs, then each method's signature
    /// with its docs indented under it.
    pub fn to_text(&self) -> String {
        let mut out = format!("interface {}\n", self.name);
        for line in self.docs.lines() {
            out.push_str(&indented(2, line));
        }
        out.push_str("\nmethods:\n");
        if self.methods.is_empty() {
            out.push_str("  (none)\n");
        }
        for method in &self.methods {
            let params: Vec<String> = method
                .params
                .iter()
                .map(|p| format!("{}: {}", p.name, p.ty))
                .collect();
            out.push_str(&format!(
                "  {}({}) -> {}\n",
                method.name,
                params.join(", "),
                method.returns
            ));
            for line in method.docs.lines() {
                out.push_str(&indented(6, line));
            }
        }
        out
    }
}

fn indented(by: usize, line: &str) -> String {
    if line.is_empty() {
        "\n".to_owned()
    } else {
        format!("{:by$}{line}\n", "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_print_as_json_with_placeholders() {
        let mut caps = Capabilities::default();
        let mut object = Object::new();
        object.insert("n", 1.5);
        object.insert("whole", 144.0);
        object.insert(
            "big",
            Value::BigInt("18446744073709551616".parse().unwrap()),
        );
        object.insert("nan", f64::NAN);
        object.insert(
            "cap",
            Stub::from_fn(|_| async { Ok::<_, RpcError>(Value::Null) }),
        );
        let json = to_json(Value::Object(object), &mut caps);
        assert_eq!(
            json,
            json!({
                "n": 1.5,
                "whole": 144,
                "big": {"$bigint": "18446744073709551616"},
                "nan": {"$number": "NaN"},
                "cap": {"$capability": "$1"},
            })
        );
        assert!(caps.get("$1").is_some());
        assert!(caps.get("$2").is_none());
    }

    #[test]
    fn one_shot_arguments_are_json() {
        let args = parse_json_args(&["1".into(), "\"x\"".into(), "[true]".into()]).unwrap();
        assert_eq!(
            args,
            [
                Value::Int(1),
                Value::from("x"),
                Value::Array(vec![Value::Bool(true)])
            ]
        );
        let e = parse_json_args(&["hello".into()]).unwrap_err();
        assert!(e.starts_with("argument 1 (`hello`) is not JSON"), "{e}");
    }
}
