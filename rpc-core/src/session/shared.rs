//! The state one session shares between its task, its handles and its stubs.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicUsize, Ordering},
    },
};

use tokio::sync::watch;

use super::{
    Extensions,
    devaluate::Devaluator,
    mailbox::Mailbox,
    tables::{ExportEntry, ExportKind, ImportEntry, ImportResult, next_generation},
};
use crate::{
    Limits, RpcError, RpcPromise,
    codec::Codec,
    middleware::InboundService,
    pending::{Outcome, Pending},
    promise::Source,
    protocol::{Expr, Id, Message, PathKey, RemapExpr},
    stream::SinkTarget,
    value::Value,
};

/// What the writer task sends.
pub(crate) enum Outbound {
    Message(Message),
    /// A `push` numbered `Id`: while it waits here, awaiting it may turn it into a `stream`.
    Call(Id, Message),
    /// Send a close frame with this reason, then close the transport.
    Close(String),
}

/// Work for the session task that must not run where it was requested (for example in `Drop`,
/// which may run while the state lock is held).
pub(crate) enum Command {
    /// The last handle on this import (of this generation) is gone.
    Release(Id, u64),
    Abort(RpcError),
    Close(RpcError),
}

type BrokenCallback = Box<dyn FnOnce(RpcError) + Send>;

/// A table keyed by protocol ID. Hashed with foldhash, seeded per table, rather than SipHash:
/// every message looks IDs up, and SipHash was about 6% of a call's instructions (callgrind);
/// the random seed still keeps a peer that picks its own export IDs from aiming at collisions.
pub(crate) type IdMap<V> = HashMap<Id, V, foldhash::fast::RandomState>;

pub(crate) struct SessionState {
    pub(crate) imports: IdMap<ImportEntry>,
    pub(crate) exports: IdMap<ExportEntry>,
    /// Our next push ID (1, 2, …).
    pub(crate) next_push: Id,
    /// Our next export ID (−1, −2, …), shared by `export`, `promise` and `writable`.
    pub(crate) next_export: Id,
    /// The ID the peer's next push takes in our export table.
    pub(crate) peer_next_push: Id,
    pub(crate) broken: Option<RpcError>,
    on_broken: Vec<BrokenCallback>,
    /// Shutting down: new calls are refused.
    pub(crate) draining: bool,
    /// The lowest export ID the peer has introduced; IDs below it were never introduced.
    pub(crate) peer_lowest_export: Id,
}

pub(crate) struct SessionShared {
    pub(crate) id: u64,
    state: Mutex<SessionState>,
    codec: Arc<dyn Codec>,
    /// Output and commands for the session task.
    pub(crate) mailbox: Mailbox,
    pub(crate) closed: watch::Sender<Option<RpcError>>,
    pub(crate) limits: Limits,
    /// The layered inbound service; `None` when no layer was added (calls go straight in).
    pub(crate) inbound: Option<InboundService>,
    pub(crate) extensions: Extensions,
    /// Whether the peer may call `__describe__` (see `SessionBuilder::reflection`).
    pub(crate) reflection: bool,
    /// The peer's calls that are running now. Outside the state lock: a call's [`Running`]
    /// guard may be dropped anywhere, even where that lock is held.
    pub(crate) calls_running: AtomicUsize,
}

/// Counts one of the peer's calls as running until dropped (when the call's future ends, is
/// cancelled, or is never started because its target failed).
pub(crate) struct Running(Arc<SessionShared>);

impl Running {
    /// Counts a call, unless `max_calls_in_flight` are running already.
    pub(crate) fn start(shared: &Arc<SessionShared>) -> Option<Running> {
        let max = shared.limits.max_calls_in_flight;
        shared
            .calls_running
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Running(shared.clone()))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.calls_running.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One handle on an import. Dropping the last clone releases it (through the session task).
pub(crate) struct ImportRef {
    pub(crate) session: Arc<SessionShared>,
    pub(crate) id: Id,
    /// The generation of the import entry this handle was made for.
    pub(crate) generation: u64,
}

impl Drop for ImportRef {
    fn drop(&mut self) {
        // The main object (ID 0) is never released.
        if self.id != 0 {
            self.session
                .command(Command::Release(self.id, self.generation));
        }
    }
}

/// What a session is made of, from its builder.
pub(crate) struct SessionConfig {
    pub(crate) main: ExportKind,
    pub(crate) codec: Arc<dyn Codec>,
    pub(crate) limits: Limits,
    pub(crate) inbound: Option<InboundService>,
    pub(crate) extensions: Extensions,
    pub(crate) reflection: bool,
}

impl SessionShared {
    pub(crate) fn new(id: u64, config: SessionConfig) -> Self {
        let SessionConfig {
            main,
            codec,
            limits,
            inbound,
            extensions,
            reflection,
        } = config;
        let mut imports = IdMap::default();
        imports.insert(0, ImportEntry::main());
        let mut exports = IdMap::default();
        exports.insert(
            0,
            ExportEntry {
                refcount: u32::MAX,
                kind: main,
            },
        );
        SessionShared {
            id,
            state: Mutex::new(SessionState {
                imports,
                exports,
                next_push: 1,
                next_export: -1,
                peer_next_push: 1,
                broken: None,
                on_broken: Vec::new(),
                draining: false,
                peer_lowest_export: 0,
            }),
            codec,
            mailbox: Mailbox::default(),
            closed: watch::channel(None).0,
            limits,
            inbound,
            extensions,
            reflection,
            calls_running: AtomicUsize::new(0),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, SessionState> {
        // No user code runs under this lock, so a poisoned lock means a Capstan bug; keep the
        // state rather than turn one bug into a panic storm.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a message. Call it under the state lock wherever order matters (IDs are numbered
    /// by arrival order at the peer).
    pub(crate) fn send(&self, message: Message) {
        self.mailbox.send(Outbound::Message(message));
    }

    pub(crate) fn command(&self, command: Command) {
        self.mailbox.command(command);
    }

    /// Whether the peer is known to be Capstan (it speaks MessagePack), so Capstan's
    /// extensions are safe.
    pub(crate) fn peer_is_capstan(&self) -> bool {
        self.codec.peer_is_capstan()
    }

    pub(crate) fn broken(&self) -> Option<RpcError> {
        self.lock().broken.clone()
    }

    pub(crate) fn on_broken(&self, f: impl FnOnce(RpcError) + Send + 'static) {
        let already = {
            let mut st = self.lock();
            match &st.broken {
                Some(e) => e.clone(),
                None => {
                    st.on_broken.push(Box::new(f));
                    return;
                }
            }
        };
        f(already)
    }

    /// Sends `["push", ["pipeline", target, path, args]]` and returns the promise of its result.
    pub(crate) fn push_call(
        self: &Arc<Self>,
        target: Id,
        path: Vec<PathKey>,
        args: Option<Vec<Value>>,
    ) -> RpcPromise {
        self.push(|dv| {
            dv.name_import(target);
            let args = args
                .as_ref()
                .map(|a| a.iter().map(|v| dv.value(v)).collect());
            let path = (!path.is_empty() || args.is_some()).then_some(path);
            Expr::pipeline(target, path, args)
        })
    }

    /// Sends `["push", ["remap", subject, path, captures, instructions]]`: one recorded `.map()`.
    pub(crate) fn push_remap(
        self: &Arc<Self>,
        subject: Id,
        path: Vec<PathKey>,
        captures: Vec<Value>,
        instructions: Vec<Expr>,
    ) -> RpcPromise {
        self.push(|dv| {
            dv.name_import(subject);
            let captures = captures.iter().map(|c| dv.capture(c)).collect();
            Expr::Remap(Box::new(RemapExpr {
                id: subject,
                path,
                captures,
                instructions,
            }))
        })
    }

    /// Pushes `null`: the cheapest exchange every Cap'n Web peer answers (a keepalive).
    pub(crate) fn push_value(self: &Arc<Self>) -> RpcPromise {
        self.push(|_| Expr::Null)
    }

    /// Pushes the expression `build` makes and returns the promise of its result.
    fn push(self: &Arc<Self>, build: impl FnOnce(&mut Devaluator) -> Expr) -> RpcPromise {
        let sent = self.send_call(false, |dv| {
            let expr = build(dv);
            // A Capstan peer also learns the deadline, to cancel the call itself in time.
            match crate::deadline::outgoing() {
                Some(d) if dv.peer_is_capstan() => {
                    Message::PushDeadline(expr, crate::deadline::remaining_ms(d))
                }
                _ => Message::Push(expr),
            }
        });
        match sent {
            Ok((id, generation, pending)) => {
                let import = Arc::new(ImportRef {
                    session: self.clone(),
                    id,
                    generation,
                });
                RpcPromise::new(
                    Source::Remote {
                        import,
                        result: pending,
                    },
                    Vec::new(),
                )
            }
            Err(e) => RpcPromise::rejected(e),
        }
    }

    /// Sends `["stream", ["pipeline", target, [method], args]]`: a call that is implicitly
    /// pulled and forgotten once settled. Stream writes, closes and aborts use it.
    pub(crate) fn push_stream(
        self: &Arc<Self>,
        target: Id,
        method: &str,
        args: Vec<Value>,
    ) -> Pending {
        let sent = self.send_call(true, |dv| {
            let args = args.iter().map(|v| dv.value(v)).collect();
            let path = vec![PathKey::from(method)];
            Message::Stream(Expr::pipeline(target, Some(path), Some(args)))
        });
        match sent {
            Ok((_, _, pending)) => pending,
            Err(e) => Pending::settled(Err(e)),
        }
    }

    /// Sends the call message `build` makes, numbering its result with our next push ID.
    /// Devaluation and numbering happen under the lock, so IDs are allocated in send order.
    /// A `stream` call is implicitly pulled and never released; a push is pulled on demand and
    /// released when its last handle goes.
    fn send_call(
        self: &Arc<Self>,
        stream: bool,
        build: impl FnOnce(&mut Devaluator) -> Message,
    ) -> Result<(Id, u64, Pending), RpcError> {
        let (id, generation, pending, deferred) = {
            let mut st = self.lock();
            if let Some(e) = &st.broken {
                return Err(e.clone());
            }
            let mut dv = Devaluator::new(self, &mut st);
            let message = build(&mut dv);
            let deferred = dv.finish();
            let id = st.next_push;
            st.next_push += 1;
            let pending = Pending::new();
            let handles = u32::from(!stream);
            let generation = next_generation();
            st.imports.insert(
                id,
                ImportEntry {
                    generation,
                    introductions: handles,
                    handles,
                    result: Some(ImportResult {
                        pending: pending.clone(),
                        pulled: stream,
                        stream,
                        arrived: false,
                        named: false,
                    }),
                },
            );
            if stream {
                self.send(message);
            } else {
                self.mailbox.send(Outbound::Call(id, message));
            }
            (id, generation, pending, deferred)
        };
        deferred.start(self);
        Ok((id, generation, pending))
    }

    /// Sends `pull` for one of our push results, once.
    pub(crate) fn pull(&self, id: Id, sole: bool) {
        let mut st = self.lock();
        let Some(entry) = st.imports.get_mut(&id) else {
            return;
        };
        let handles = entry.handles;
        let Some(result) = &mut entry.result else {
            return;
        };
        if result.pulled {
            return;
        }
        result.pulled = true;
        // Awaited by its only holder before the push has even gone out, and named by nothing
        // we sent: it goes as a `stream` call instead, which the peer answers unprompted and
        // forgets once answered. No `pull` now and no `release` later: two messages fewer per
        // call. (If the caller gives up before the answer, dropping the handle still sends a
        // `release`, which cancels the call; a Capstan peer ignores one that crosses the
        // answer.)
        if sole
            && handles == 1
            && !result.named
            && self.peer_is_capstan()
            && self.mailbox.make_stream(id)
        {
            result.stream = true;
        } else {
            self.send(Message::Pull(id));
        }
    }

    /// The last handle on an import is gone: release it.
    pub(crate) fn release_import(&self, id: Id, generation: u64) {
        let removed = {
            let mut st = self.lock();
            let Some(entry) = st.imports.get_mut(&id) else {
                return;
            };
            if entry.generation != generation {
                // A handle on an earlier entry whose ID the peer has since reused.
                return;
            }
            entry.handles = entry.handles.saturating_sub(1);
            if entry.handles > 0 {
                return;
            }
            let entry = st.imports.remove(&id);
            if let Some(entry) = &entry {
                if entry.introductions > 0 {
                    self.send(Message::Release(id, entry.introductions));
                }
            }
            entry
        };
        drop(removed);
    }

    /// Answers a pulled push (or an exported promise) with its outcome.
    pub(crate) fn send_resolution(self: &Arc<Self>, id: Id, outcome: Outcome) {
        let promises = {
            let mut st = self.lock();
            if !st.exports.contains_key(&id) || st.broken.is_some() {
                return;
            }
            let mut dv = Devaluator::new(self, &mut st);
            let message = match &outcome {
                Ok(v) => Message::Resolve(id, dv.value(v)),
                Err(e) => Message::Reject(id, dv.error(e)),
            };
            let promises = dv.finish();
            self.send(message);
            // A `stream` message's result is forgotten once answered; the peer never releases it.
            if let Some(ExportEntry {
                kind:
                    ExportKind::Result {
                        auto_release: true, ..
                    },
                ..
            }) = st.exports.get(&id)
            {
                let entry = st.exports.remove(&id);
                drop(st);
                drop(entry);
            }
            promises
        };
        promises.start(self);
        drop(outcome);
    }

    /// Marks every result of the peer's calls as pulled, so each is sent once it settles, asked
    /// for or not. A graceful shutdown does this so that no accepted call loses its result.
    pub(crate) fn answer_all(self: &Arc<Self>) {
        let unasked: Vec<(Id, Pending)> = {
            let mut st = self.lock();
            st.exports
                .iter_mut()
                .filter_map(|(id, e)| match &mut e.kind {
                    ExportKind::Result {
                        pending, pulled, ..
                    } if !*pulled => {
                        *pulled = true;
                        Some((*id, pending.clone()))
                    }
                    _ => None,
                })
                .collect()
        };
        for (id, pending) in unasked {
            let session = self.clone();
            pending.on_settle(move |outcome| session.send_resolution(id, outcome));
        }
    }

    /// Results the peer has pulled (or we promised) that have not settled yet.
    pub(crate) fn unsettled(&self) -> Vec<Pending> {
        self.lock()
            .exports
            .values()
            .filter_map(|e| match &e.kind {
                ExportKind::Result {
                    pending,
                    pulled: true,
                    ..
                } if pending.peek().is_none() => Some(pending.clone()),
                _ => None,
            })
            .collect()
    }

    /// Ends the session: fails every pending call, breaks every stub, drops every export.
    pub(crate) fn break_with(&self, error: RpcError, tell_peer: bool) {
        let (imports, exports, callbacks) = {
            let mut st = self.lock();
            if st.broken.is_some() {
                return;
            }
            st.broken = Some(error.clone());
            if tell_peer {
                self.send(Message::Abort(Expr::error(error.name(), error.message())));
            }
            self.mailbox
                .send(Outbound::Close(error.message().to_owned()));
            (
                std::mem::take(&mut st.imports),
                std::mem::take(&mut st.exports),
                std::mem::take(&mut st.on_broken),
            )
        };
        tracing::debug!(session = self.id, %error, "session ended");
        self.closed.send_replace(Some(error.clone()));
        for (_, entry) in imports {
            match entry.result {
                Some(result) if !result.arrived => result.pending.settle(Err(error.clone())),
                _ => {}
            }
        }
        for (_, entry) in exports {
            match entry.kind {
                ExportKind::Result { pending, abort, .. } => {
                    if let Some(abort) = abort {
                        abort.abort();
                    }
                    pending.settle(Err(error.clone()));
                }
                // Streams being written to us end with the session's error.
                ExportKind::Capability(stub) => {
                    if let Some(sink) = stub.downcast::<SinkTarget>() {
                        sink.fail(error.clone());
                    }
                }
                ExportKind::NoMain => {}
            }
        }
        for callback in callbacks {
            callback(error.clone());
        }
    }
}
