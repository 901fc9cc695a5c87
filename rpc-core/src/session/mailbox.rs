//! `Mailbox`: how stubs, handles and the session's own code hand work to the session task, and
//! the doorbell that wakes it.
//!
//! A tokio channel wakes the receiving task on every send. When the sender is the session task
//! itself (a reply produced while it handles a frame), or another thread sends while the task
//! is running, that wake-up only makes tokio reschedule a task that drains the queue before it
//! sleeps anyway; and tokio answers a rescheduled task by waking an idle worker to steal it,
//! which finds nothing. strace showed two such futex wake-ups per call in the latency
//! benchmark, both on the path of the reply. Here a send rings only when the task is not
//! running, and the task looks at its queues once more after saying it is about to sleep, so
//! nothing sent in between is left behind.

use std::{
    collections::VecDeque,
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicBool, Ordering},
    },
    task::Waker,
};

use futures::task::AtomicWaker;

use super::shared::{Command, Outbound};

#[derive(Default)]
pub(crate) struct Mailbox {
    outbound: Mutex<VecDeque<Outbound>>,
    commands: Mutex<VecDeque<Command>>,
    /// The task is running: it will look at the queues before it sleeps.
    running: AtomicBool,
    /// The task has ended; what is sent now would never be read.
    closed: AtomicBool,
    waker: AtomicWaker,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Mailbox {
    /// Queues output, in order with everything else queued.
    pub(crate) fn send(&self, item: Outbound) {
        if !self.closed.load(Ordering::Acquire) {
            lock(&self.outbound).push_back(item);
            self.ring();
        }
    }

    /// Queues a command.
    pub(crate) fn command(&self, command: Command) {
        if !self.closed.load(Ordering::Acquire) {
            lock(&self.commands).push_back(command);
            self.ring();
        }
    }

    fn ring(&self) {
        // SeqCst pairs with `sleep`: either the task sees what was just queued, or this
        // sees that it is not running and wakes it.
        if !self.running.load(Ordering::SeqCst) {
            self.waker.wake();
        }
    }

    /// The task starts a turn: sends need not wake it until [`Mailbox::sleep`].
    pub(crate) fn wake_up(&self, waker: &Waker) {
        self.waker.register(waker);
        self.running.store(true, Ordering::SeqCst);
    }

    /// The task is about to sleep. False if something it can act on now was queued meanwhile
    /// (commands, when `commands`; output, when `outbound`): it must take another turn, and
    /// counts as running again. What it cannot act on yet (output while the transport is
    /// full) rings the doorbell instead.
    pub(crate) fn sleep(&self, commands: bool, outbound: bool) -> bool {
        self.running.store(false, Ordering::SeqCst);
        let idle = (!outbound || lock(&self.outbound).is_empty())
            && (!commands || lock(&self.commands).is_empty());
        if !idle {
            self.running.store(true, Ordering::SeqCst);
        }
        idle
    }

    /// Moves queued output to the back of `out`, under one lock.
    pub(crate) fn take_outbound(&self, out: &mut VecDeque<Outbound>) {
        let mut queued = lock(&self.outbound);
        if out.is_empty() {
            std::mem::swap(&mut *queued, out);
        } else {
            out.extend(queued.drain(..));
        }
    }

    /// Turns the queued `push` numbered `id` into a `stream`; false if it has gone out (or
    /// is not among the last few queued: a call awaited at once is at the back, and the
    /// search must stay short under the lock whatever the backlog).
    pub(crate) fn make_stream(&self, id: crate::protocol::Id) -> bool {
        const LOOK_BACK: usize = 64;
        let mut queued = lock(&self.outbound);
        for item in queued.iter_mut().rev().take(LOOK_BACK) {
            if let Outbound::Call(queued_id, message) = item {
                if *queued_id == id {
                    if let crate::protocol::Message::Push(expr) = message {
                        let expr = std::mem::replace(expr, crate::protocol::Expr::Null);
                        *item = Outbound::Message(crate::protocol::Message::Stream(expr));
                        return true;
                    }
                    return false;
                }
            }
        }
        false
    }

    /// The next command, if any.
    pub(crate) fn next_command(&self) -> Option<Command> {
        lock(&self.commands).pop_front()
    }

    /// The task has ended: drop what is queued, and queue nothing more.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        // Dropped outside the locks: a dropped error may hold a stub whose drop queues a
        // command.
        let outbound = std::mem::take(&mut *lock(&self.outbound));
        let commands = std::mem::take(&mut *lock(&self.commands));
        drop((outbound, commands));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use futures::task::{ArcWake, waker};

    use super::{Mailbox, Outbound};

    #[derive(Default)]
    struct Count(AtomicUsize);

    impl ArcWake for Count {
        fn wake_by_ref(arc_self: &Arc<Self>) {
            arc_self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn close() -> Outbound {
        Outbound::Close(String::new())
    }

    #[test]
    fn a_send_rings_only_while_the_task_sleeps() {
        let mailbox = Mailbox::default();
        let wakes = Arc::new(Count::default());
        let w = waker(wakes.clone());
        mailbox.wake_up(&w);
        // While the task runs, sends queue silently…
        mailbox.send(close());
        assert_eq!(wakes.0.load(Ordering::SeqCst), 0);
        // …and the task, about to sleep, finds them and takes another turn.
        assert!(!mailbox.sleep(true, true));
        let mut out = Default::default();
        mailbox.take_outbound(&mut out);
        assert_eq!(out.len(), 1);
        assert!(mailbox.sleep(true, true));
        // Asleep, a send wakes it.
        mailbox.send(close());
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn only_a_push_still_queued_becomes_a_stream_call() {
        use crate::protocol::{Expr, Message};
        let mailbox = Mailbox::default();
        let call = || Expr::pipeline(0, None, Some(vec![]));
        mailbox.send(Outbound::Call(1, Message::Push(call())));
        mailbox.send(Outbound::Call(2, Message::PushDeadline(call(), 100)));
        assert!(mailbox.make_stream(1));
        // A call with a deadline keeps it (a stream call cannot carry one); an unknown ID
        // is not there to change.
        assert!(!mailbox.make_stream(2));
        assert!(!mailbox.make_stream(3));
        let mut out = Default::default();
        mailbox.take_outbound(&mut out);
        assert!(matches!(&out[0], Outbound::Message(Message::Stream(e)) if *e == call()));
        assert!(matches!(
            &out[1],
            Outbound::Call(2, Message::PushDeadline(..))
        ));
        // Gone out: too late.
        assert!(!mailbox.make_stream(1));
    }

    #[test]
    fn output_the_task_cannot_write_yet_does_not_keep_it_awake() {
        let mailbox = Mailbox::default();
        let wakes = Arc::new(Count::default());
        mailbox.wake_up(&waker(wakes.clone()));
        mailbox.send(close());
        // The transport is full: the queued output waits for the transport's wake-up.
        assert!(mailbox.sleep(true, false));
        // A closed mailbox takes nothing more.
        mailbox.close();
        mailbox.send(close());
        let mut out = Default::default();
        mailbox.take_outbound(&mut out);
        assert!(out.is_empty());
    }
}
