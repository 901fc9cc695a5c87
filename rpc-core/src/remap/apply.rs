//! Applying a `.map()` recorded by the peer (`["remap", …]`): replay its instructions on each
//! element, here, so mapping over a remote array costs the caller one round trip.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use crate::{
    RpcError, RpcPromise,
    deliver::{self, is_reserved, resolve_deep},
    middleware::PeerCall,
    pending::Outcome,
    protocol::{CallExpr, ErrorExpr, Expr, PathKey},
    value::{Object, Value},
};

/// A recorded mapper: its captured stubs and its instructions.
///
/// Inside instructions, `0` is the input element, `-k` is `captures[k-1]` and `+k` is the result
/// of instruction `k`; the last instruction is the mapper's result.
#[derive(Clone)]
pub(crate) struct Mapper {
    pub(crate) captures: Vec<Value>,
    pub(crate) instructions: Arc<[Expr]>,
    /// Elements this map and the maps nested in it may still process: nesting multiplies
    /// work, so it is bounded as a whole (`Limits::max_map_elements`).
    pub(crate) budget: Arc<AtomicUsize>,
    /// Set when the map was sent by a peer: its calls on local objects are that peer's calls,
    /// and pass the session's inbound layers.
    pub(crate) peer: Option<PeerCall>,
}

impl Mapper {
    pub(crate) fn new(captures: Vec<Value>, instructions: Vec<Expr>, max_elements: usize) -> Self {
        Mapper {
            captures,
            instructions: instructions.into(),
            budget: Arc::new(AtomicUsize::new(max_elements)),
            peer: None,
        }
    }

    /// Takes `n` elements from the budget, or fails naming the limit.
    fn spend(&self, n: usize) -> Result<(), RpcError> {
        let left = self
            .budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(n)
            });
        left.map(drop).map_err(|_| {
            RpcError::limit(
                "max_map_elements",
                "a map (with the maps nested in it) processed too many elements",
            )
        })
    }
}

/// Reads `path` from `subject`, then maps: each element of an array, nothing for
/// `null`/`undefined`, the value itself otherwise. Results are settled before returning, so the
/// answer carries values inline.
pub(crate) async fn apply(subject: Value, path: Vec<PathKey>, mapper: Mapper) -> Outcome {
    let input = deliver::invoke(subject, path, None, mapper.peer.clone()).await?;
    mapper.spend(match &input {
        Value::Array(items) => items.len(),
        Value::Null | Value::Undefined => 0,
        _ => 1,
    })?;
    let mapped = match input {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| mapper.apply_one(item))
                .collect::<Result<_, _>>()?,
        ),
        Value::Null | Value::Undefined => input,
        other => mapper.apply_one(other)?,
    };
    resolve_deep(mapped).await
}

impl Mapper {
    fn apply_one(&self, input: Value) -> Outcome {
        let (last, steps) = self
            .instructions
            .split_last()
            .ok_or_else(|| RpcError::protocol("Invalid empty mapper function."))?;
        let mut variables = Vec::with_capacity(self.instructions.len());
        variables.push(input);
        for step in steps {
            let value = self.eval(step, &variables)?;
            variables.push(value);
        }
        self.eval(last, &variables)
    }

    fn variable(&self, id: i64, variables: &[Value]) -> Outcome {
        let found = if id < 0 {
            self.captures.get(id.unsigned_abs() as usize - 1)
        } else {
            variables.get(id as usize)
        };
        found
            .cloned()
            .ok_or_else(|| RpcError::protocol(format!("mapper refers to unknown variable {id}")))
    }

    /// Evaluates one instruction. Calls are started at once and stand as promises, so calls to
    /// remote objects from many elements go out together rather than one round trip each.
    fn eval(&self, expr: &Expr, variables: &[Value]) -> Outcome {
        Ok(match expr {
            Expr::Pipeline(call) | Expr::Import(call) => self.call(call, variables)?,
            Expr::Remap(remap) => {
                let subject = self.variable(remap.id, variables)?;
                let captures = remap
                    .captures
                    .iter()
                    .map(|c| match c {
                        Expr::Import(c) => self.variable(c.id, variables),
                        _ => Err(RpcError::protocol("nested map captures must be imports")),
                    })
                    .collect::<Result<_, _>>()?;
                let inner = Mapper {
                    captures,
                    instructions: remap.instructions.clone().into(),
                    budget: self.budget.clone(),
                    peer: self.peer.clone(),
                };
                let path = remap.path.clone();
                Value::Promise(RpcPromise::from_future(apply(subject, path, inner)))
            }
            Expr::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|e| self.eval(e, variables))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Object(entries) => {
                let mut o = Object::new();
                for (k, e) in entries {
                    let v = self.eval(e, variables)?;
                    if !is_reserved(k) {
                        o.insert(k.clone(), v);
                    }
                }
                Value::Object(o)
            }
            Expr::Error(e) => self.error(e, variables)?,
            Expr::Export(_) | Expr::Promise(_) | Expr::Readable(_) | Expr::Writable(_) => {
                return Err(RpcError::protocol(
                    "A mapper function cannot refer to exports.",
                ));
            }
            scalar => crate::session::scalar(scalar.clone())?,
        })
    }

    fn call(&self, call: &CallExpr, variables: &[Value]) -> Outcome {
        let target = self.variable(call.id, variables)?;
        let path = call.path.clone().unwrap_or_default();
        if call.args.is_none() && path.is_empty() {
            return Ok(target);
        }
        let args = match &call.args {
            Some(args) => Some(
                args.iter()
                    .map(|e| self.eval(e, variables))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        Ok(Value::Promise(RpcPromise::from_future(deliver::invoke(
            target,
            path,
            args,
            self.peer.clone(),
        ))))
    }

    fn error(&self, e: &ErrorExpr, variables: &[Value]) -> Outcome {
        let mut props = Object::new();
        for (k, v) in e.props.iter().flatten() {
            props.insert(k.clone(), self.eval(v, variables)?);
        }
        Ok(Value::Error(RpcError::from_wire(
            e.name.clone(),
            e.message.clone(),
            e.stack.clone(),
            props,
        )))
    }
}
