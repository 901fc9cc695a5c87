//! Handling each message the peer sends.

use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use tokio::time::Instant;

use futures::{
    FutureExt,
    future::{AbortHandle, AbortRegistration, Abortable},
};

use super::{
    devaluate::Devaluator,
    evaluate::{Action, Delivery, Evaluator, Job, Root, Target},
    shared::{Running, SessionShared},
    tables::{ExportEntry, ExportKind, ImportEntry},
};
use crate::{
    RpcError, Session, Stub, deliver,
    middleware::PeerCall,
    pending::{Outcome, Pending, Settler},
    protocol::{Expr, Id, Message},
    remap,
    start::start,
    stream::SinkTarget,
    value::Value,
};

/// Handles one message. An `Err` is a protocol violation: the caller aborts the session.
pub(crate) fn handle(shared: &Arc<SessionShared>, message: Message) -> Result<(), RpcError> {
    match message {
        Message::Push(expr) => push(shared, expr, false, None),
        Message::PushDeadline(expr, ms) => {
            let deadline = Instant::now() + Duration::from_millis(ms);
            push(shared, expr, false, Some(deadline))
        }
        Message::Stream(expr) => push(shared, expr, true, None),
        Message::Pipe => pipe(shared),
        Message::Pull(id) => pull(shared, id),
        Message::Resolve(id, expr) => settle(shared, id, expr, true),
        Message::Reject(id, expr) => settle(shared, id, expr, false),
        Message::Release(id, count) => release(shared, id, count),
        Message::Abort(expr) => {
            let reason = abort_reason(shared, expr);
            shared.break_with(reason, false);
            Ok(())
        }
    }
}

/// `["pipe"]`: the peer will write a stream into the next export ID; its readable end is
/// named later by `["readable", id]`.
fn pipe(shared: &Arc<SessionShared>) -> Result<(), RpcError> {
    let mut st = shared.lock();
    check_exports(shared, st.exports.len())?;
    let id = st.peer_next_push;
    st.peer_next_push += 1;
    let pipe = SinkTarget::pipe(&shared.limits);
    st.exports.insert(
        id,
        ExportEntry {
            refcount: 1,
            kind: ExportKind::Capability(Stub::new(pipe)),
        },
    );
    Ok(())
}

/// Every push, stream and pipe of the peer's takes an export entry until released; a peer
/// that never releases them must not grow the table without bound.
fn check_exports(shared: &SessionShared, len: usize) -> Result<(), RpcError> {
    let max = shared.limits.max_exports;
    if len >= max {
        return Err(RpcError::limit(
            "max_exports",
            format!("the peer holds more than {max} results and objects unreleased"),
        ));
    }
    Ok(())
}

/// A `push`, or a `stream` (`stream`: implicitly pulled, and forgotten once answered).
fn push(
    shared: &Arc<SessionShared>,
    expr: Expr,
    stream: bool,
    deadline: Option<Instant>,
) -> Result<(), RpcError> {
    let pending = Pending::new();
    let (abort, registration) = AbortHandle::new_pair();
    let (id, root, jobs, refusal) = {
        let mut st = shared.lock();
        check_exports(shared, st.exports.len())?;
        let id = st.peer_next_push;
        st.peer_next_push += 1;
        let mut ev = Evaluator::new(shared, &mut st);
        let root = ev.root(expr)?;
        let jobs = std::mem::take(&mut ev.jobs);
        st.exports.insert(
            id,
            ExportEntry {
                refcount: 1,
                kind: ExportKind::Result {
                    pending: pending.clone(),
                    pulled: stream,
                    dependents: 0,
                    abort: Some(abort),
                    auto_release: stream,
                },
            },
        );
        let refusal = match &root {
            Root::Delivery(_) if st.draining => Err(RpcError::with_kind(
                crate::ErrorKind::Canceled,
                "Error",
                "the server is shutting down",
            )),
            // A stream write waits for its reader, not for work: it is bounded by the stream's
            // buffer and the export table, not by the calls in flight. Any other call sent as
            // a `stream` message is a call like the rest.
            Root::Delivery(d) if stream && writes_a_stream(d) => Ok(None),
            Root::Delivery(_) => Running::start(shared)
                .map(Some)
                .ok_or_else(|| calls_limit(shared)),
            Root::Value(_) => Ok(None),
        };
        (id, root, jobs, refusal)
    };
    run_jobs(shared, jobs);
    if stream {
        // Nobody pulls a stream message: its result (the write's acknowledgement) is sent
        // as soon as it settles.
        let session = shared.clone();
        pending.on_settle(move |outcome| session.send_resolution(id, outcome));
    }
    let settler = pending.settler();
    match (root, refusal) {
        (Root::Value(v), _) => settler.settle(Ok(v)),
        (Root::Delivery(_), Err(refusal)) => settler.settle(Err(refusal)),
        (Root::Delivery(d), Ok(running)) => {
            deliver(shared, d, settler, Some(registration), deadline, running)
        }
    }
    Ok(())
}

/// Whether a delivery goes to one of our stream sinks (a pipe or writable the peer writes).
fn writes_a_stream(delivery: &Delivery) -> bool {
    matches!(&delivery.target, Target::Value(Value::Stub(s)) if s.downcast::<SinkTarget>().is_some())
}

/// Starts nested calls found while evaluating, in the order they appeared.
/// Calls nested in arguments count against `max_calls_in_flight` like top-level ones.
pub(crate) fn run_jobs(shared: &Arc<SessionShared>, jobs: Vec<Job>) {
    for job in jobs {
        match Running::start(shared) {
            Some(running) => deliver(shared, job.delivery, job.settler, None, None, Some(running)),
            None => job.settler.settle(Err(calls_limit(shared))),
        }
    }
}

fn calls_limit(shared: &SessionShared) -> RpcError {
    let max = shared.limits.max_calls_in_flight;
    RpcError::limit(
        "max_calls_in_flight",
        format!("more than {max} calls are running"),
    )
}

/// Runs a delivery: at once on a settled target, or queued behind a pending one. `running`
/// counts the call until its future ends.
fn deliver(
    shared: &Arc<SessionShared>,
    delivery: Delivery,
    settler: Settler,
    abort: Option<AbortRegistration>,
    deadline: Option<Instant>,
    running: Option<Running>,
) {
    let Delivery { target, action } = delivery;
    match target {
        Target::Value(v) => act(shared, v, action, settler, abort, deadline, running),
        Target::Pending(p) => {
            let shared = shared.clone();
            p.on_settle(move |outcome| match outcome {
                Ok(v) => act(&shared, v, action, settler, abort, deadline, running),
                Err(e) => settler.settle(Err(e)),
            })
        }
    }
}

fn act(
    shared: &Arc<SessionShared>,
    target: Value,
    action: Action,
    settler: Settler,
    abort: Option<AbortRegistration>,
    deadline: Option<Instant>,
    running: Option<Running>,
) {
    let peer = PeerCall {
        shared: shared.clone(),
        deadline,
    };
    let call: Pin<Box<dyn Future<Output = Outcome> + Send>> = match action {
        Action::Invoke { path, args } => deliver::invoke(target, path, args, Some(peer)),
        Action::Map { path, mut mapper } => {
            mapper.peer = Some(peer);
            Box::pin(remap::apply(target, path, mapper))
        }
    };
    let call: Pin<Box<dyn Future<Output = Outcome> + Send>> = match deadline {
        Some(deadline) => Box::pin(crate::deadline::serve(deadline, call)),
        None => call,
    };
    let call = Session::scope(shared, call);
    match abort {
        // Aborting drops the settler, which settles the result as cancelled.
        Some(registration) => start(
            Abortable::new(
                async move {
                    let _running = running;
                    settler.settle(call.await)
                },
                registration,
            )
            .map(drop),
        ),
        None => start(async move {
            let _running = running;
            settler.settle(call.await)
        }),
    }
}

fn pull(shared: &Arc<SessionShared>, id: Id) -> Result<(), RpcError> {
    let pending = {
        let mut st = shared.lock();
        let entry = st
            .exports
            .get_mut(&id)
            .ok_or_else(|| RpcError::protocol(format!("pull of unknown export ID {id}")))?;
        match &mut entry.kind {
            ExportKind::Result {
                pending, pulled, ..
            } => {
                if *pulled {
                    return Ok(());
                }
                *pulled = true;
                pending.clone()
            }
            // Pulling an object answers with the object itself (capnweb does this for main).
            ExportKind::Capability(stub) => {
                let value = Value::Stub(stub.clone());
                // Each answer exports the object anew, so it counts against the table's bound.
                check_exports(shared, st.exports.len())?;
                let mut dv = Devaluator::new(shared, &mut st);
                let expr = dv.value(&value);
                let promises = dv.finish();
                shared.send(Message::Resolve(id, expr));
                drop(st);
                promises.start(shared);
                return Ok(());
            }
            ExportKind::NoMain => {
                let error = Expr::error("Error", "This connection has no main object.");
                shared.send(Message::Reject(id, error));
                return Ok(());
            }
        }
    };
    let session = shared.clone();
    pending.on_settle(move |outcome| session.send_resolution(id, outcome));
    Ok(())
}

fn settle(shared: &Arc<SessionShared>, id: Id, expr: Expr, ok: bool) -> Result<(), RpcError> {
    let verb = if ok { "resolve" } else { "reject" };
    let (pending, value, jobs, deep) = {
        let mut st = shared.lock();
        // Check the ID before evaluating the value, so the value cannot introduce the very
        // promise it settles (a promise resolved with itself would wait on itself forever).
        let never_introduced = if id >= 0 {
            id >= st.next_push
        } else {
            id < st.peer_lowest_export
        };
        let known = match st.imports.get(&id) {
            None if never_introduced => {
                return Err(RpcError::protocol(format!(
                    "{verb} of import ID {id}, which was never introduced"
                )));
            }
            None => false,
            Some(ImportEntry { result: None, .. }) => {
                return Err(RpcError::protocol(format!(
                    "{verb} of import ID {id}, which is not a promise"
                )));
            }
            Some(_) => true,
        };
        let mut ev = Evaluator::new(shared, &mut st);
        let value = ev.value(expr)?;
        let jobs = std::mem::take(&mut ev.jobs);
        let deep = ev.made_promises;
        // Already released (not `known`): the value is dropped, releasing whatever it holds.
        let pending = if known {
            let entry = st.imports.get_mut(&id).expect("checked above");
            let result = entry.result.as_mut().expect("checked above");
            result.arrived = true;
            let pending = result.pending.clone();
            if result.stream {
                // A `stream` message's result: forgotten once settled, never released.
                st.imports.remove(&id);
            } else if id < 0 {
                // A `promise` import is done once resolved: release it now, as capnweb does.
                // Our handles on it keep the settled value.
                let entry = st.imports.remove(&id).expect("present");
                shared.send(Message::Release(id, entry.introductions));
            }
            Some(pending)
        } else {
            None
        };
        (pending, value, jobs, deep)
    };
    run_jobs(shared, jobs);
    let Some(pending) = pending else {
        return Ok(());
    };
    if !ok {
        pending.settle(Err(RpcError::from_rejection(value)));
    } else if deep {
        // Promises inside a resolution are awaited before delivery, as capnweb does. If the
        // session ends first, a resolution that can complete still wins (`biased`); one that
        // never could fails with the session's error instead of waiting forever.
        let settler = pending.settler();
        let session = Session::from_shared(shared);
        start(async move {
            let outcome = tokio::select! {
                biased;
                outcome = deliver::resolve_deep(value) => outcome,
                error = session.closed() => Err(error),
            };
            settler.settle(outcome)
        });
    } else {
        pending.settle(Ok(value));
    }
    Ok(())
}

fn release(shared: &Arc<SessionShared>, id: Id, count: u32) -> Result<(), RpcError> {
    let removed = {
        let mut st = shared.lock();
        let peer_next_push = st.peer_next_push;
        let Some(entry) = st.exports.get_mut(&id) else {
            // A Capstan peer cancelling a call it sent as `stream` may release it just as our
            // answer (which forgot it) is on its way: a push ID of the past is no error.
            if 0 < id && id < peer_next_push && shared.peer_is_capstan() {
                return Ok(());
            }
            return Err(RpcError::protocol(format!(
                "release of unknown export ID {id}"
            )));
        };
        if id == 0 {
            // The main object lives as long as the session; capnweb never releases it.
            return Ok(());
        }
        if count == 0 || count > entry.refcount {
            return Err(RpcError::protocol(format!(
                "release of export ID {id} by {count}: refcount would go negative"
            )));
        }
        entry.refcount -= count;
        if entry.refcount > 0 {
            return Ok(());
        }
        st.exports.remove(&id)
    };
    if let Some(ExportEntry {
        kind:
            ExportKind::Result {
                pending,
                dependents: 0,
                abort: Some(abort),
                ..
            },
        ..
    }) = removed
    {
        // Nobody can observe this result any more: stop the work (both peers are Capstan or
        // the peer disposed the promise).
        if pending.peek().is_none() {
            abort.abort();
        }
    }
    Ok(())
}

fn abort_reason(shared: &Arc<SessionShared>, expr: Expr) -> RpcError {
    let value = {
        let mut st = shared.lock();
        Evaluator::new(shared, &mut st).value(expr)
    };
    let error = match value {
        Ok(Value::Error(e)) => e,
        Ok(Value::String(s)) => RpcError::error(s),
        _ => RpcError::error("the peer aborted the session"),
    };
    RpcError::with_kind(crate::ErrorKind::Aborted, error.name(), error.message())
}
