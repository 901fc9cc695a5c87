//! Delivering a call or a property read to a value: the one place paths are walked.

use std::{future::Future, pin::Pin};

use crate::{
    RpcError, pending::Outcome, protocol::PathKey, start::catch_panic, stub::Hook, value::Value,
};

type BoxOutcome = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// Names a peer may never reach, whatever the target: JavaScript's `Object.prototype` members
/// (capnweb hides them too) and `toJSON`.
pub(crate) fn is_reserved(name: &str) -> bool {
    matches!(
        name,
        "__proto__"
            | "constructor"
            | "__defineGetter__"
            | "__defineSetter__"
            | "__lookupGetter__"
            | "__lookupSetter__"
            | "hasOwnProperty"
            | "isPrototypeOf"
            | "propertyIsEnumerable"
            | "toLocaleString"
            | "toString"
            | "valueOf"
            | "toJSON"
    )
}

/// Walks `path` from `target`, then calls the last segment with `args` (or the target itself,
/// for an empty path), or just reads the path when `args` is `None`. Promise arguments are
/// awaited first, so the callee only ever sees settled values.
pub(crate) fn invoke(
    target: Value,
    mut path: Vec<PathKey>,
    args: Option<Vec<Value>>,
) -> BoxOutcome {
    Box::pin(async move {
        let Some(args) = args else {
            let mut current = target;
            for key in path {
                current = get_property(current, key).await?;
            }
            return settle_value(current).await;
        };
        let args = resolve_all(args).await?;
        let method = path.pop();
        let mut current = target;
        for key in path {
            current = get_property(current, key).await?;
        }
        match method {
            Some(method) => call_method(current, method, args).await,
            None => call_function(current, args).await,
        }
    })
}

/// A promise is replaced by what it resolves to; anything else is already settled.
async fn settle_value(value: Value) -> Outcome {
    match value {
        Value::Promise(p) => p.resolve().await,
        other => Ok(other),
    }
}

fn get_property(value: Value, key: PathKey) -> BoxOutcome {
    Box::pin(async move {
        let name = key.to_string();
        if is_reserved(&name) {
            return Ok(Value::Undefined);
        }
        match value {
            Value::Promise(p) => get_property(p.resolve().await?, key).await,
            Value::Stub(stub) => match &stub.0 {
                Hook::Local(t) => catch_panic(t.clone().get(&name)).await,
                Hook::Broken(e) => Err(e.clone()),
                _ => stub.invoke(vec![key], None).resolve().await,
            },
            Value::Object(o) => Ok(o.get(&name).cloned().unwrap_or_default()),
            Value::Array(items) => {
                let index = match key {
                    PathKey::Index(i) => Some(i as usize),
                    PathKey::Name(n) => n.parse::<usize>().ok(),
                };
                Ok(index
                    .and_then(|i| items.get(i).cloned())
                    .unwrap_or_default())
            }
            _ => Ok(Value::Undefined),
        }
    })
}

fn not_a_function(name: &str) -> Outcome {
    Err(RpcError::unknown_method(name))
}

fn call_method(value: Value, method: PathKey, args: Vec<Value>) -> BoxOutcome {
    Box::pin(async move {
        let name = method.to_string();
        if is_reserved(&name) {
            return not_a_function(&name);
        }
        match value {
            Value::Promise(p) => call_method(p.resolve().await?, method, args).await,
            Value::Stub(stub) => match &stub.0 {
                Hook::Local(t) => catch_panic(t.clone().call(&name, args)).await,
                Hook::Broken(e) => Err(e.clone()),
                _ => stub.invoke(vec![method], Some(args)).resolve().await,
            },
            _ => not_a_function(&name),
        }
    })
}

fn call_function(value: Value, args: Vec<Value>) -> BoxOutcome {
    Box::pin(async move {
        match value {
            Value::Promise(p) => call_function(p.resolve().await?, args).await,
            Value::Stub(stub) => match &stub.0 {
                Hook::Local(t) => catch_panic(t.clone().call_as_function(args)).await,
                Hook::Broken(e) => Err(e.clone()),
                _ => stub.invoke(Vec::new(), Some(args)).resolve().await,
            },
            other => Err(RpcError::type_error(format!(
                "a {} is not a function.",
                other.kind_name()
            ))),
        }
    })
}

/// Awaits every promise inside the arguments.
async fn resolve_all(args: Vec<Value>) -> Result<Vec<Value>, RpcError> {
    if !args.iter().any(has_promise) {
        return Ok(args);
    }
    let mut out = Vec::with_capacity(args.len());
    for arg in args {
        out.push(resolve_deep(arg).await?);
    }
    Ok(out)
}

fn has_promise(value: &Value) -> bool {
    match value {
        Value::Promise(_) => true,
        Value::Array(a) => a.iter().any(has_promise),
        Value::Object(o) => o.iter().any(|(_, v)| has_promise(v)),
        _ => false,
    }
}

/// Replaces every promise in `value` by its resolution.
pub(crate) fn resolve_deep(value: Value) -> BoxOutcome {
    Box::pin(async move {
        match value {
            Value::Promise(p) => resolve_deep(p.resolve().await?).await,
            Value::Array(items) if items.iter().any(has_promise) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(resolve_deep(item).await?);
                }
                Ok(Value::Array(out))
            }
            Value::Object(o) if o.iter().any(|(_, v)| has_promise(v)) => {
                let mut out = crate::value::Object::new();
                for (k, v) in o {
                    out.insert(k, resolve_deep(v).await?);
                }
                Ok(Value::Object(out))
            }
            other => Ok(other),
        }
    })
}
