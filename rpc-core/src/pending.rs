//! `Pending`: a result that others can wait on, or queue work behind, in order.

use std::sync::{Arc, Mutex};

use crate::{RpcError, value::Value};

/// The outcome of a call.
pub(crate) type Outcome = Result<Value, RpcError>;

type Listener = Box<dyn FnOnce(Outcome) + Send>;

enum State {
    Waiting(Vec<Listener>),
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
        let listeners = {
            let mut state = self.lock();
            match &mut *state {
                State::Settled(_) => return,
                State::Waiting(listeners) => {
                    let listeners = std::mem::take(listeners);
                    *state = State::Settled(outcome.clone());
                    listeners
                }
            }
        };
        for listener in listeners {
            listener(outcome.clone());
        }
    }

    /// Runs `f` with the outcome: now if settled, otherwise when it settles.
    pub(crate) fn on_settle(&self, f: impl FnOnce(Outcome) + Send + 'static) {
        let ready = {
            let mut state = self.lock();
            match &mut *state {
                State::Settled(outcome) => outcome.clone(),
                State::Waiting(listeners) => {
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
            State::Waiting(_) => None,
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
