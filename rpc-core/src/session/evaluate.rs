//! Expression → value for incoming messages: references become stubs, promises and calls.

mod fetch;

use std::sync::Arc;

use super::{
    shared::{ImportRef, SessionShared, SessionState},
    tables::{ExportKind, ImportEntry, ImportResult, next_generation},
};
use crate::{
    RpcError, RpcPromise, Stub,
    deliver::is_reserved,
    pending::{Pending, Settler},
    promise::Source,
    protocol::{CallExpr, Expr, Id, PathKey, RemapExpr},
    remap::Mapper,
    stream::{Chunks, ReadableStream, RemoteWriter, SinkTarget, WritableKind, WritableStream},
    value::{BigInt, Object, Value},
};

/// Where a delivered call goes.
pub(crate) enum Target {
    Value(Value),
    /// A result that has not settled: the call queues behind it, in arrival order.
    Pending(Pending),
}

/// What to do with a target.
pub(crate) enum Action {
    /// Walk `path`, then call with `args` (or just read, when `None`).
    Invoke {
        path: Vec<PathKey>,
        args: Option<Vec<Value>>,
    },
    /// Walk `path`, then apply a recorded `.map()`.
    Map { path: Vec<PathKey>, mapper: Mapper },
}

/// A call, property read or map on one of our exports, to run once the lock is released.
pub(crate) struct Delivery {
    pub(crate) target: Target,
    pub(crate) action: Action,
}

/// A call found nested inside a value; its result fills `settler`.
pub(crate) struct Job {
    pub(crate) delivery: Delivery,
    pub(crate) settler: Settler,
}

/// What a push evaluates to.
pub(crate) enum Root {
    Value(Value),
    Delivery(Delivery),
}

/// Evaluates expressions against this session's tables. Runs under the state lock and never
/// runs user code: calls it finds are returned as [`Job`]s to start afterwards, in order.
pub(crate) struct Evaluator<'a> {
    shared: &'a Arc<SessionShared>,
    state: &'a mut SessionState,
    pub(crate) jobs: Vec<Job>,
    /// Whether any value evaluated so far holds a promise (so it must settle before delivery).
    pub(crate) made_promises: bool,
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(shared: &'a Arc<SessionShared>, state: &'a mut SessionState) -> Self {
        Evaluator {
            shared,
            state,
            jobs: Vec::new(),
            made_promises: false,
        }
    }

    pub(crate) fn root(&mut self, expr: Expr) -> Result<Root, RpcError> {
        match expr {
            Expr::Pipeline(call) | Expr::Import(call) if is_call(&call) => {
                Ok(Root::Delivery(self.delivery(*call)?))
            }
            Expr::Remap(remap) => Ok(Root::Delivery(self.remap(*remap)?)),
            other => Ok(Root::Value(self.value(other)?)),
        }
    }

    pub(crate) fn value(&mut self, expr: Expr) -> Result<Value, RpcError> {
        Ok(match expr {
            Expr::Array(items) => {
                // A plain loop rather than collecting `Result`s, with numbers taken directly:
                // a stream batch of thousands of numbers costs 3x fewer instructions an item.
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(match item {
                        Expr::Int(i) => Value::Int(i),
                        other => self.value(other)?,
                    });
                }
                Value::Array(values)
            }
            Expr::Object(entries) => Value::Object(self.object(entries)?),
            Expr::Error(e) => {
                let e = *e;
                let props = match e.props {
                    Some(props) => self.object(props)?,
                    None => Object::new(),
                };
                Value::Error(RpcError::from_wire(e.name, e.message, e.stack, props))
            }
            Expr::Export(id) => Value::Stub(self.import_capability(id)?),
            Expr::Promise(id) => self.import_promise(id)?,
            Expr::Import(call) => {
                if is_call(&call) {
                    Value::Stub(self.nested_call(*call)?.into_stub())
                } else {
                    self.reference(call.id)?
                }
            }
            Expr::Pipeline(call) => {
                if is_call(&call) {
                    Value::Promise(self.nested_call(*call)?)
                } else {
                    self.reference(call.id)?
                }
            }
            Expr::Remap(remap) => {
                let delivery = self.remap(*remap)?;
                Value::Promise(self.nested(delivery))
            }
            Expr::Readable(id) => Value::Readable(self.pipe_reader(id)?),
            Expr::Writable(id) => {
                let stub = self.import_capability(id)?;
                Value::Writable(WritableStream(WritableKind::Remote(RemoteWriter::new(
                    stub,
                ))))
            }
            // Matched by name so that plain scalars, the common case, skip the Fetch checks.
            fetch @ (Expr::Url(_)
            | Expr::Headers(_)
            | Expr::Request(_)
            | Expr::Response(_)
            | Expr::Blob { .. }) => self.fetch(fetch)?,
            other => scalar(other)?,
        })
    }

    /// JavaScript drops `Object.prototype` names (after evaluating them, so their stubs are
    /// released); so do we.
    fn object(&mut self, entries: Vec<(String, Expr)>) -> Result<Object, RpcError> {
        let mut o = Object::new();
        for (k, e) in entries {
            let v = self.value(e)?;
            if !is_reserved(&k) {
                o.insert(k, v);
            }
        }
        Ok(o)
    }

    /// The peer exports an object to us.
    fn import_capability(&mut self, id: Id) -> Result<Stub, RpcError> {
        if id >= 0 {
            return Err(RpcError::protocol(format!(
                "export ID {id} has the wrong sign: exporters choose negative IDs"
            )));
        }
        self.note_introduction(id)?;
        let entry = self.state.imports.entry(id).or_insert_with(|| ImportEntry {
            generation: next_generation(),
            introductions: 0,
            handles: 0,
            result: None,
        });
        if entry.result.is_some() {
            return Err(RpcError::protocol(format!(
                "ID {id} is a promise, not an export"
            )));
        }
        entry.introductions = entry.introductions.saturating_add(1);
        entry.handles += 1;
        Ok(Stub::remote(self.import_ref(id)))
    }

    /// `["readable", id]`: the readable end of a pipe the peer opened with `["pipe"]`. Each
    /// pipe's readable end may be taken once.
    fn pipe_reader(&mut self, id: Id) -> Result<ReadableStream, RpcError> {
        let reader = match self.state.exports.get(&id).map(|e| &e.kind) {
            Some(ExportKind::Capability(stub)) => stub
                .downcast::<SinkTarget>()
                .and_then(|pipe| Some((pipe.take_reader()?, pipe.queue_id()))),
            _ => None,
        };
        let (reader, origin) = reader.ok_or_else(|| {
            RpcError::protocol(format!(
                "ID {id} is not a pipe whose readable end is unused"
            ))
        })?;
        Ok(ReadableStream::from_origin(Chunks::new(reader), origin))
    }

    /// The peer exports a promise it will resolve unprompted.
    fn import_promise(&mut self, id: Id) -> Result<Value, RpcError> {
        if id >= 0 {
            return Err(RpcError::protocol(format!(
                "promise ID {id} has the wrong sign: exporters choose negative IDs"
            )));
        }
        self.note_introduction(id)?;
        if self.state.imports.contains_key(&id) {
            // capnweb turns a reused promise ID into an error value; so do we.
            return Ok(Value::Error(RpcError::protocol(format!(
                "promise ID {id} was reused"
            ))));
        }
        self.made_promises = true;
        let pending = Pending::new();
        self.state.imports.insert(
            id,
            ImportEntry {
                generation: next_generation(),
                introductions: 1,
                handles: 1,
                result: Some(ImportResult {
                    pending: pending.clone(),
                    pulled: true,
                    stream: false,
                    arrived: false,
                    named: false,
                }),
            },
        );
        let import = self.import_ref(id);
        Ok(Value::Promise(RpcPromise::new(
            Source::Remote {
                import,
                result: pending,
            },
            Vec::new(),
        )))
    }

    /// Bounds the import table, and remembers how far the peer's export IDs have gone (so a
    /// resolve naming an ID never introduced can be told from a late one).
    fn note_introduction(&mut self, id: Id) -> Result<(), RpcError> {
        let max = self.shared.limits.max_imports;
        if !self.state.imports.contains_key(&id) && self.state.imports.len() >= max {
            return Err(RpcError::limit(
                "max_imports",
                format!("the peer exported more than {max} objects and promises"),
            ));
        }
        self.state.peer_lowest_export = self.state.peer_lowest_export.min(id);
        Ok(())
    }

    fn import_ref(&self, id: Id) -> Arc<ImportRef> {
        Arc::new(ImportRef {
            session: self.shared.clone(),
            id,
            generation: self.state.imports.get(&id).map_or(0, |e| e.generation),
        })
    }

    /// `["import"|"pipeline", id]` with no path or call: one of our exports, as a value.
    fn reference(&mut self, id: Id) -> Result<Value, RpcError> {
        Ok(match self.target(id)? {
            Target::Value(v) => v,
            Target::Pending(p) => {
                self.made_promises = true;
                Value::Promise(RpcPromise::new(Source::Local(p), Vec::new()))
            }
        })
    }

    fn target(&mut self, id: Id) -> Result<Target, RpcError> {
        let entry = self
            .state
            .exports
            .get_mut(&id)
            .ok_or_else(|| RpcError::protocol(format!("no such export ID {id}")))?;
        Ok(match &mut entry.kind {
            ExportKind::Capability(stub) => Target::Value(Value::Stub(stub.clone())),
            ExportKind::Result {
                pending,
                dependents,
                ..
            } => {
                let max = self.shared.limits.max_queued_per_promise;
                if *dependents as usize >= max && pending.peek().is_none() {
                    // A per-call limit: this call fails, the session goes on.
                    let full = RpcError::limit(
                        "max_queued_per_promise",
                        format!("more than {max} calls wait on result {id}"),
                    );
                    return Ok(Target::Value(Value::Stub(Stub::broken(full))));
                }
                *dependents += 1;
                Target::Pending(pending.clone())
            }
            ExportKind::NoMain => Target::Value(Value::Stub(Stub::broken(RpcError::error(
                "This connection has no main object.",
            )))),
        })
    }

    pub(crate) fn delivery(&mut self, call: CallExpr) -> Result<Delivery, RpcError> {
        let target = self.target(call.id)?;
        let args = match call.args {
            Some(args) => Some(
                args.into_iter()
                    .map(|e| self.value(e))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        Ok(Delivery {
            target,
            action: Action::Invoke {
                path: call.path.unwrap_or_default(),
                args,
            },
        })
    }

    /// `["remap", subject, path, captures, instructions]`: captures are evaluated now (each an
    /// `import` of ours or an `export` of the peer's); instructions wait for the subject.
    fn remap(&mut self, remap: RemapExpr) -> Result<Delivery, RpcError> {
        let target = self.target(remap.id)?;
        let captures = remap
            .captures
            .into_iter()
            .map(|c| match c {
                Expr::Import(_) | Expr::Export(_) => self.value(c),
                _ => Err(RpcError::protocol(
                    "map captures must be imports or exports",
                )),
            })
            .collect::<Result<_, _>>()?;
        Ok(Delivery {
            target,
            action: Action::Map {
                path: remap.path,
                mapper: Mapper::new(
                    captures,
                    remap.instructions,
                    self.shared.limits.max_map_elements,
                ),
            },
        })
    }

    fn nested_call(&mut self, call: CallExpr) -> Result<RpcPromise, RpcError> {
        let delivery = self.delivery(call)?;
        Ok(self.nested(delivery))
    }

    fn nested(&mut self, delivery: Delivery) -> RpcPromise {
        self.made_promises = true;
        let pending = Pending::new();
        self.jobs.push(Job {
            delivery,
            settler: pending.settler(),
        });
        RpcPromise::new(Source::Local(pending), Vec::new())
    }
}

/// Plain data that needs no session: everything but containers, errors and references.
#[inline]
pub(crate) fn scalar(expr: Expr) -> Result<Value, RpcError> {
    Ok(match expr {
        Expr::Undefined => Value::Undefined,
        Expr::Null => Value::Null,
        Expr::Bool(b) => Value::Bool(b),
        Expr::Int(i) => Value::Int(i),
        Expr::Float(f) => Value::Float(f),
        Expr::String(s) => Value::String(s),
        Expr::Utf16(u) => Value::Utf16(u),
        Expr::BigInt(b) => Value::BigInt(
            BigInt::parse(&b).ok_or_else(|| RpcError::protocol(format!("bad bigint {b:?}")))?,
        ),
        Expr::Date(d) => Value::Date(d),
        Expr::Bytes(b, kind) => Value::Bytes(b, kind),
        other @ (Expr::Url(_) | Expr::Headers(_)) => match fetch::plain(other)? {
            Ok(value) => value,
            Err(other) => return Err(RpcError::protocol(format!("unexpected {other:?}"))),
        },
        other => {
            return Err(RpcError::protocol(format!(
                "expected plain data, found {other:?}"
            )));
        }
    })
}

fn is_call(call: &CallExpr) -> bool {
    call.args.is_some() || call.path.as_ref().is_some_and(|p| !p.is_empty())
}
