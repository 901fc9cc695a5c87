//! `Pending`: a result that others can wait on, or queue work behind, in order.

use std::sync::{Arc, Mutex};

use crate::{RpcError, value::Value};

/// The outcome of a call.
pub(crate) type Outcome = Result<Value, RpcError>;

type Listener = Box<dyn FnOnce(Outcome) + Send>;

enum State {
    Waiting(Vec<Listener>),
    /// The outcome is known and the listeners are running (outside the lock). It still reads
    /// as unsettled, and listeners added now join the queue: "settled" means every listener
    /// has run, so `Session::drain` never sees a result as settled before its resolution is
    /// queued.
    Settling(Vec<Listener>),
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
        Pending(Arc::new(Mutex::new(State::Waiting(Vec::new()))))
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
                    *state = State::Settling(Vec::new());
                    listeners
                }
            }
        };
        let mut unwinding = PublishOnUnwind {
            pending: self,
            outcome: Some(&outcome),
        };
        loop {
            for listener in listeners {
                listener(outcome.clone());
            }
            let mut state = self.lock();
            match &mut *state {
                State::Settling(late) if !late.is_empty() => listeners = std::mem::take(late),
                _ => {
                    *state = State::Settled(outcome.clone());
                    unwinding.outcome = None;
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
                    listeners.push(Box::new(f));
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

    /// Waits for the outcome.
    pub(crate) async fn wait(&self) -> Outcome {
        if let Some(outcome) = self.peek() {
            return outcome;
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.on_settle(move |outcome| {
            let _ = tx.send(outcome);
        });
        rx.await
            .unwrap_or_else(|_| Err(RpcError::canceled("the result was dropped")))
    }

    /// A guard that settles this with a cancellation if it is dropped before settling.
    pub(crate) fn settler(&self) -> Settler {
        Settler(Some(self.clone()))
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
    /// This settler, and the pending it settles (to watch for its outcome).
    pub(crate) fn watched(self) -> (Settler, Pending) {
        let pending = self.0.clone().expect("an unsettled settler");
        (self, pending)
    }

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
