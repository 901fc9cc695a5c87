//! `Pending`: a result that others can wait on, or queue work behind, in order.

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll, Waker},
};

use crate::{RpcError, value::Value};

/// The outcome of a call.
pub(crate) type Outcome = Result<Value, RpcError>;

enum Listener {
    Call(Box<dyn FnOnce(Outcome) + Send>),
    /// A task awaiting [`Pending::wait`]: woken, it reads the outcome itself.
    Wake(WakeOnDrop),
}

/// Wakes its task when dropped, so a waiting task is woken even if the listeners before it
/// panicked and the queue was dropped (the outcome is published anyway: see
/// [`PublishOnUnwind`]).
struct WakeOnDrop(Waker);

impl Drop for WakeOnDrop {
    fn drop(&mut self) {
        self.0.wake_by_ref();
    }
}

/// Listeners in the order they were added. Almost every result has exactly one (the pull, or
/// the caller waiting), so the first is stored inline: no list is allocated for it.
#[derive(Default)]
struct Listeners {
    first: Option<Listener>,
    rest: Vec<Listener>,
}

impl Listeners {
    fn push(&mut self, listener: Listener) {
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(listener);
        } else {
            self.rest.push(listener);
        }
    }

    fn is_empty(&self) -> bool {
        self.first.is_none() && self.rest.is_empty()
    }

    fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    fn get_mut(&mut self, index: usize) -> Option<&mut Listener> {
        match index {
            0 => self.first.as_mut(),
            i => self.rest.get_mut(i - 1),
        }
    }

    /// Runs the callbacks; wake-ups are moved to `woken`, to be done once the outcome is
    /// published (a task woken earlier would find the result still settling, and wait again).
    fn run(self, outcome: &Outcome, woken: &mut Listeners) {
        for listener in self.first.into_iter().chain(self.rest) {
            match listener {
                Listener::Call(f) => f(outcome.clone()),
                wake @ Listener::Wake(_) => woken.push(wake),
            }
        }
    }
}

enum State {
    Waiting(Listeners),
    /// The outcome is known and the listeners are running (outside the lock). It still reads
    /// as unsettled, and listeners added now join the queue: "settled" means every listener
    /// has run, so `Session::drain` never sees a result as settled before its resolution is
    /// queued.
    Settling(Listeners),
    Settled(Outcome),
}

/// A result that may not exist yet.
///
/// Listeners run in the order they were added, which is how calls queued on an unresolved
/// promise keep their arrival order (E-order). Listeners never run under the internal lock.
#[derive(Clone)]
pub(crate) struct Pending(Arc<Mutex<State>>);

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match &*self.lock() {
            State::Waiting(_) => "Pending(waiting)",
            State::Settling(_) => "Pending(settling)",
            State::Settled(Ok(_)) => "Pending(resolved)",
            State::Settled(Err(_)) => "Pending(rejected)",
        })
    }
}

impl Pending {
    pub(crate) fn new() -> Self {
        Pending(Arc::new(Mutex::new(State::Waiting(Listeners::default()))))
    }

    pub(crate) fn settled(outcome: Outcome) -> Self {
        Pending(Arc::new(Mutex::new(State::Settled(outcome))))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A listener never runs under this lock, so poisoning can only come from a bug in
        // this file; recover rather than cascade the panic.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Settles once; later calls are ignored.
    pub(crate) fn settle(&self, outcome: Outcome) {
        let mut listeners = {
            let mut state = self.lock();
            match &mut *state {
                State::Settled(_) | State::Settling(_) => return,
                State::Waiting(listeners) => {
                    let listeners = std::mem::take(listeners);
                    *state = State::Settling(Listeners::default());
                    listeners
                }
            }
        };
        // Declared before the guard, so that on a panic the outcome is published before
        // these tasks are woken (dropping a wake-up wakes).
        let mut woken = Listeners::default();
        let mut unwinding = PublishOnUnwind {
            pending: self,
            outcome: Some(&outcome),
        };
        loop {
            listeners.run(&outcome, &mut woken);
            let mut state = self.lock();
            match &mut *state {
                State::Settling(late) if !late.is_empty() => listeners = std::mem::take(late),
                _ => {
                    *state = State::Settled(outcome.clone());
                    unwinding.outcome = None;
                    drop(state);
                    drop(woken);
                    return;
                }
            }
        }
    }

    /// Runs `f` with the outcome: now if settled, otherwise when it settles.
    pub(crate) fn on_settle(&self, f: impl FnOnce(Outcome) + Send + 'static) {
        let ready = {
            let mut state = self.lock();
            match &mut *state {
                State::Settled(outcome) => outcome.clone(),
                State::Waiting(listeners) | State::Settling(listeners) => {
                    listeners.push(Listener::Call(Box::new(f)));
                    return;
                }
            }
        };
        f(ready)
    }

    /// The outcome, if settled.
    pub(crate) fn peek(&self) -> Option<Outcome> {
        match &*self.lock() {
            State::Settled(outcome) => Some(outcome.clone()),
            State::Waiting(_) | State::Settling(_) => None,
        }
    }

    /// Waits for the outcome. The waiting task is woken directly: no channel, no boxed
    /// listener.
    pub(crate) fn wait(&self) -> Wait<'_> {
        Wait {
            pending: self,
            slot: None,
        }
    }

    /// A guard that settles this with a cancellation if it is dropped before settling.
    pub(crate) fn settler(&self) -> Settler {
        Settler(Some(self.clone()))
    }
}

/// The future of [`Pending::wait`].
pub(crate) struct Wait<'a> {
    pending: &'a Pending,
    /// Where this future's waker sits in the waiting list, once registered.
    slot: Option<usize>,
}

impl Future for Wait<'_> {
    type Output = Outcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let this = &mut *self;
        let mut state = this.pending.lock();
        match &mut *state {
            State::Settled(outcome) => Poll::Ready(outcome.clone()),
            State::Waiting(listeners) => {
                // Polled again before settling: refresh the waker already registered rather
                // than add another. (Each extra one is an extra wake-up of the task when the
                // result settles, which makes it poll again, which registered yet another.)
                if let Some(Listener::Wake(wake)) = this.slot.and_then(|i| listeners.get_mut(i)) {
                    if !wake.0.will_wake(cx.waker()) {
                        wake.0 = cx.waker().clone();
                    }
                    return Poll::Pending;
                }
                this.slot = Some(listeners.len());
                listeners.push(Listener::Wake(WakeOnDrop(cx.waker().clone())));
                Poll::Pending
            }
            // Settling: the list registered in is running and will wake this task; a listener
            // added now runs after it, once more.
            State::Settling(listeners) => {
                this.slot = None;
                listeners.push(Listener::Wake(WakeOnDrop(cx.waker().clone())));
                Poll::Pending
            }
        }
    }
}

/// If a listener panics, publishes the outcome anyway (dropping the listeners still queued, so
/// their waiters see an error) rather than leave the `Pending` settling forever.
struct PublishOnUnwind<'a> {
    pending: &'a Pending,
    outcome: Option<&'a Outcome>,
}

impl Drop for PublishOnUnwind<'_> {
    fn drop(&mut self) {
        if let Some(outcome) = self.outcome {
            let late =
                std::mem::replace(&mut *self.pending.lock(), State::Settled(outcome.clone()));
            drop(late);
        }
    }
}

/// Settles a [`Pending`] exactly once, with a cancellation if dropped first.
pub(crate) struct Settler(Option<Pending>);

impl Settler {
    pub(crate) fn settle(mut self, outcome: Outcome) {
        if let Some(p) = self.0.take() {
            p.settle(outcome);
        }
    }
}

impl Drop for Settler {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            p.settle(Err(RpcError::canceled("the call was cancelled")));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn reads_as_settled_only_after_every_listener_ran() {
        let pending = Pending::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (p, l) = (pending.clone(), log.clone());
        pending.on_settle(move |_| {
            // Still running listeners: not settled yet, and a listener added now queues
            // behind this one instead of running first.
            l.lock()
                .unwrap()
                .push(format!("first sees settled: {}", p.peek().is_some()));
            let l2 = l.clone();
            p.on_settle(move |_| l2.lock().unwrap().push("late".into()));
            l.lock().unwrap().push("first done".into());
        });
        pending.settle(Ok(Value::from(1)));
        assert_eq!(
            *log.lock().unwrap(),
            ["first sees settled: false", "first done", "late"]
        );
        assert_eq!(pending.peek(), Some(Ok(Value::from(1))));
    }
}
