//! Value → expression for outgoing messages: capabilities become table entries.

mod fetch;

use std::sync::Arc;

use super::{
    shared::{ImportRef, SessionShared, SessionState},
    tables::{ExportEntry, ExportKind, ImportEntry, next_generation},
};
use crate::{
    RpcError, RpcPromise, Stub,
    pending::Pending,
    promise::Source,
    protocol::{ErrorExpr, Expr, Id, Message},
    start::start,
    stream::{
        ChunkQueue, Chunks, ReadableStream, RemoteWriter, SinkTarget, WritableKind, WritableStream,
        pump,
    },
    stub::Hook,
    value::Value,
};

/// Plain data as an expression; containers, errors and references are the caller's to handle.
#[inline]
pub(crate) fn scalar_expr(value: &Value) -> Expr {
    match value {
        Value::Undefined => Expr::Undefined,
        Value::Null => Expr::Null,
        Value::Bool(b) => Expr::Bool(*b),
        Value::Int(i) => Expr::Int(*i),
        Value::Float(f) => Expr::Float(*f),
        Value::BigInt(b) => Expr::BigInt(b.as_str().to_owned()),
        Value::String(s) => Expr::String(s.clone()),
        Value::Utf16(u) => Expr::Utf16(u.clone()),
        Value::Bytes(b, kind) => Expr::Bytes(b.clone(), *kind),
        Value::Date(d) => Expr::Date(*d),
        Value::Url(u) => Expr::Url(u.as_str().to_owned()),
        Value::Headers(h) => Expr::Headers(h.clone().into_pairs()),
        // Not scalars: the devaluators handle these before falling back here.
        Value::Array(_)
        | Value::Object(_)
        | Value::Error(_)
        | Value::Stub(_)
        | Value::Promise(_)
        | Value::Readable(_)
        | Value::Writable(_)
        | Value::Request(_)
        | Value::Response(_)
        | Value::Blob(_) => Expr::Undefined,
    }
}

/// Turns values into wire expressions, registering every capability it meets as an export.
///
/// Runs under the state lock, so that export IDs are allocated in the same order the messages
/// naming them are queued. It only reads the value, so nothing is dropped under the lock.
pub(crate) struct Devaluator<'a> {
    shared: &'a Arc<SessionShared>,
    state: &'a mut SessionState,
    deferred: Deferred,
}

/// Work a devaluation leaves for after the lock: resolving exported promises and pumping
/// streams.
#[derive(Default)]
pub(crate) struct Deferred {
    promises: Vec<(Id, RpcPromise, Pending)>,
    pumps: Vec<(RemoteWriter, Chunks)>,
}

impl Deferred {
    /// Resolves each exported promise (its resolution is sent unprompted, as capnweb expects)
    /// and starts each stream's pump.
    pub(crate) fn start(self, shared: &Arc<SessionShared>) {
        for (id, promise, pending) in self.promises {
            let session = shared.clone();
            pending.on_settle(move |outcome| session.send_resolution(id, outcome));
            let settler = pending.settler();
            start(async move { settler.settle(promise.resolve().await) });
        }
        for (writer, chunks) in self.pumps {
            start(pump(writer, chunks));
        }
    }
}

impl<'a> Devaluator<'a> {
    pub(crate) fn new(shared: &'a Arc<SessionShared>, state: &'a mut SessionState) -> Self {
        Devaluator {
            shared,
            state,
            deferred: Deferred::default(),
        }
    }

    /// Whether the peer is known to be Capstan (see [`SessionShared::peer_is_capstan`]).
    pub(crate) fn peer_is_capstan(&self) -> bool {
        self.shared.peer_is_capstan()
    }

    /// What must run once the lock is released; see [`Deferred::start`].
    pub(crate) fn finish(self) -> Deferred {
        self.deferred
    }

    pub(crate) fn value(&mut self, value: &Value) -> Expr {
        match value {
            Value::Array(items) => Expr::Array(items.iter().map(|v| self.value(v)).collect()),
            Value::Object(o) => Expr::Object(
                o.iter()
                    .map(|(k, v)| (k.to_owned(), self.value(v)))
                    .collect(),
            ),
            Value::Error(e) => self.error(e),
            Value::Stub(stub) => self.stub(stub),
            Value::Promise(p) => self.promise(p),
            Value::Readable(r) => self.readable(r),
            Value::Writable(w) => self.writable(w),
            Value::Request(r) => self.request(r),
            Value::Response(r) => self.response(r),
            Value::Blob(b) => self.blob(b),
            scalar => scalar_expr(scalar),
        }
    }

    /// A stream we send: a `["pipe"]` (queued before the message that names it, since the
    /// pipe takes the next push ID), then `["readable", id]`, and a pump writing into it.
    fn readable(&mut self, stream: &ReadableStream) -> Expr {
        let chunks = stream.take().unwrap_or_else(|| {
            Chunks::failed(RpcError::type_error("this stream was already read or sent"))
        });
        let id = self.state.next_push;
        self.state.next_push += 1;
        let generation = next_generation();
        self.state.imports.insert(
            id,
            ImportEntry {
                generation,
                introductions: 1,
                handles: 1,
                result: None,
            },
        );
        self.shared.send(Message::Pipe);
        let pipe = Stub::remote(Arc::new(ImportRef {
            session: self.shared.clone(),
            id,
            generation,
        }));
        self.deferred.pumps.push((RemoteWriter::new(pipe), chunks));
        Expr::Readable(id)
    }

    /// A sink we pass: its owner's queue is exported as `["writable", id]`. A sink that is
    /// itself remote is forwarded through a local queue.
    fn writable(&mut self, sink: &WritableStream) -> Expr {
        let queue = match &sink.0 {
            WritableKind::Local(queue) => queue.clone(),
            WritableKind::Remote(writer) => {
                let queue = ChunkQueue::new(&self.shared.limits);
                self.deferred
                    .pumps
                    .push((writer.clone(), Chunks::new(queue.reader())));
                queue
            }
        };
        let target = Stub::new(SinkTarget::writable(queue));
        Expr::Writable(self.allocate(ExportKind::Capability(target)))
    }

    /// A `.map()` capture: `["import", id]` for something the peer already exports to us
    /// (including a pending result), `["export", id]` for anything else. capnweb accepts only
    /// these two forms.
    pub(crate) fn capture(&mut self, value: &Value) -> Expr {
        let pathless = |p: &RpcPromise| -> Option<Id> {
            match &p.source {
                Source::Remote { import, .. }
                    if p.path.is_empty() && self.is_mine(&import.session) =>
                {
                    Some(import.id)
                }
                _ => None,
            }
        };
        let mine = match value {
            Value::Stub(stub) => match &stub.0 {
                Hook::Remote(import) if self.is_mine(&import.session) => Some(import.id),
                Hook::Promised(p) => pathless(p),
                _ => None,
            },
            Value::Promise(p) => pathless(p),
            _ => None,
        };
        if let Some(id) = mine {
            return Expr::import(self.name_import(id), None, None);
        }
        let stub = match value {
            Value::Stub(stub) => stub.clone(),
            Value::Promise(p) => p.clone().into_stub(),
            other => Stub::broken(RpcError::type_error(format!(
                "a {} cannot be captured by a map",
                other.kind_name()
            ))),
        };
        self.export(ExportKind::Capability(stub))
    }

    pub(crate) fn error(&mut self, error: &RpcError) -> Expr {
        let props = error.wire_props();
        let props = (!props.is_empty()).then(|| {
            props
                .iter()
                .map(|(k, v)| (k.to_owned(), self.value(v)))
                .collect()
        });
        Expr::Error(Box::new(ErrorExpr {
            name: error.name().to_owned(),
            message: error.message().to_owned(),
            stack: error.stack().map(str::to_owned),
            props,
        }))
    }

    /// Notes that what we are sending names our import `id` (see [`ImportResult::named`]).
    pub(crate) fn name_import(&mut self, id: Id) -> Id {
        if let Some(result) = self
            .state
            .imports
            .get_mut(&id)
            .and_then(|e| e.result.as_mut())
        {
            result.named = true;
        }
        id
    }

    fn is_mine(&self, session: &Arc<SessionShared>) -> bool {
        Arc::ptr_eq(session, self.shared)
    }

    fn stub(&mut self, stub: &Stub) -> Expr {
        match &stub.0 {
            // The peer's own object goes home as itself, not as a proxy of a proxy.
            Hook::Remote(import) if self.is_mine(&import.session) => {
                Expr::import(self.name_import(import.id), None, None)
            }
            Hook::Promised(p) => match self.same_session_reference(p) {
                Some(expr) => expr,
                None => self.export(ExportKind::Capability(stub.clone())),
            },
            _ => self.export(ExportKind::Capability(stub.clone())),
        }
    }

    fn promise(&mut self, promise: &RpcPromise) -> Expr {
        if let Some(expr) = self.same_session_reference(promise) {
            return expr;
        }
        let pending = Pending::new();
        let id = self.allocate(ExportKind::Result {
            pending: pending.clone(),
            pulled: true,
            dependents: 0,
            abort: None,
            auto_release: false,
        });
        self.deferred.promises.push((id, promise.clone(), pending));
        Expr::Promise(id)
    }

    /// A result of ours from this very session is named by its push ID and path.
    fn same_session_reference(&mut self, promise: &RpcPromise) -> Option<Expr> {
        match &promise.source {
            Source::Remote { import, .. } if self.is_mine(&import.session) => {
                let path = (!promise.path.is_empty()).then(|| promise.path.clone());
                Some(Expr::pipeline(self.name_import(import.id), path, None))
            }
            _ => None,
        }
    }

    fn export(&mut self, kind: ExportKind) -> Expr {
        Expr::Export(self.allocate(kind))
    }

    /// A fresh negative ID per introduction: capnweb always releases with a count of 1, so a
    /// reused ID would leak.
    fn allocate(&mut self, kind: ExportKind) -> Id {
        let id = self.state.next_export;
        self.state.next_export -= 1;
        self.state
            .exports
            .insert(id, ExportEntry { refcount: 1, kind });
        id
    }
}
