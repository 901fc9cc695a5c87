//! Delivering a call or a property read to a value: the one place paths are walked.

use std::{future::Future, pin::Pin};

use crate::{
    RpcError, middleware::PeerCall, pending::Outcome, protocol::PathKey, start::catch_panic,
    stub::Hook, value::Value,
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
/// awaited first, so the callee only ever sees settled values. A call from a peer (`peer`)
/// reaches a local object through that session's inbound layers.
pub(crate) fn invoke(
    target: Value,
    mut path: Vec<PathKey>,
    args: Option<Vec<Value>>,
    peer: Option<PeerCall>,
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
            Some(method) => call_method(current, method, args, peer).await,
            None => call_function(current, args, peer).await,
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

/// A path key as a method or property name.
fn key_name(key: &PathKey) -> std::borrow::Cow<'_, str> {
    match key {
        PathKey::Name(name) => std::borrow::Cow::Borrowed(name),
        PathKey::Index(i) => std::borrow::Cow::Owned(i.to_string()),
    }
}

fn call_method(
    value: Value,
    method: PathKey,
    args: Vec<Value>,
    peer: Option<PeerCall>,
) -> BoxOutcome {
    Box::pin(async move {
        // Borrowed, not formatted: this runs for every call.
        let name = key_name(&method);
        if is_reserved(&name) {
            return not_a_function(&name);
        }
        match value {
            Value::Promise(p) => call_method(p.resolve().await?, method, args, peer).await,
            Value::Stub(stub) => match &stub.0 {
                // The reserved `__describe__` is answered by reflection, never by the object.
                Hook::Local(t) => match crate::reflect::intercept(t.as_ref(), &name, peer.as_ref())
                {
                    Some(answer) => answer,
                    None => match peer.filter(PeerCall::is_layered) {
                        Some(peer) => peer.dispatch(t, Some(name.into_owned()), args).await,
                        None => catch_panic(t.clone().call(&name, args)).await,
                    },
                },
                Hook::Broken(e) => Err(e.clone()),
                _ => {
                    stub.invoke(vec![method.clone()], Some(args))
                        .resolve()
                        .await
                }
            },
            _ => not_a_function(&name),
        }
    })
}

fn call_function(value: Value, args: Vec<Value>, peer: Option<PeerCall>) -> BoxOutcome {
    Box::pin(async move {
        match value {
            Value::Promise(p) => call_function(p.resolve().await?, args, peer).await,
            Value::Stub(stub) => match &stub.0 {
                Hook::Local(t) => match peer.filter(PeerCall::is_layered) {
                    Some(peer) => peer.dispatch(t, None, args).await,
                    None => catch_panic(t.clone().call_as_function(args)).await,
                },
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
///
/// Substituting results into a value can nest it deeper than any frame did (a peer can chain
/// results into results), so the depth is checked before each substitution: a value never
/// grows past `max_depth`, and so can never overflow a stack when it is cloned, walked or
/// dropped.
pub(crate) fn resolve_deep(value: Value) -> BoxOutcome {
    let max = crate::Session::current()
        .map(|s| s.limits().max_depth)
        .unwrap_or_else(|| crate::Limits::default().max_depth);
    resolve_at(value, 0, max)
}

fn resolve_at(value: Value, depth: usize, max: usize) -> BoxOutcome {
    Box::pin(async move {
        match value {
            Value::Promise(p) => {
                let resolved = p.resolve().await?;
                if depth + value_depth(&resolved, max + 1) > max {
                    return Err(RpcError::limit(
                        "max_depth",
                        format!("a result nests values more than {max} deep"),
                    ));
                }
                resolve_at(resolved, depth, max).await
            }
            Value::Array(items) if items.iter().any(has_promise) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(resolve_at(item, depth + 1, max).await?);
                }
                Ok(Value::Array(out))
            }
            Value::Object(o) if o.iter().any(|(_, v)| has_promise(v)) => {
                let mut out = crate::value::Object::new();
                for (k, v) in o {
                    out.insert(k, resolve_at(v, depth + 1, max).await?);
                }
                Ok(Value::Object(out))
            }
            other => Ok(other),
        }
    })
}

/// How deeply `value` nests containers, counted without recursion and given up at `limit`.
fn value_depth(value: &Value, limit: usize) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, d)) = stack.pop() {
        deepest = deepest.max(d);
        if deepest >= limit {
            return deepest;
        }
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Object(o) => stack.extend(o.iter().map(|(_, i)| (i, d + 1))),
            Value::Error(e) => stack.extend(e.props().iter().map(|(_, i)| (i, d + 1))),
            _ => {}
        }
    }
    deepest
}
