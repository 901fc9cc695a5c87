//! The one task of a session: it reads and dispatches frames, runs commands, and writes.
//!
//! Reading and writing share one task (rather than a reader task and a writer task) because
//! a reply produced while handling a frame is then written by the task that produced it, with
//! no wake-up of another task in between, and because an idle connection then costs one task
//! and no lock around a split transport.

use std::{
    collections::VecDeque,
    future::{Future, poll_fn},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use tokio::time::Instant;

use super::{
    inbound,
    shared::{Command, Outbound, SessionShared},
};
use crate::{Frame, RpcError, Transport, codec::Codec, protocol::Message};

/// Frames handled before the queued replies are written: under load, replies to a burst of
/// calls share one write, while a burst cannot delay replies for long.
const READ_BURST: usize = 64;

/// How long `release` messages with nothing else to send may wait for company. A release is
/// never urgent, and the caller that dropped a result usually makes its next call at once: the
/// release then rides in the same write, and the peer wakes once per call rather than twice.
const RELEASE_DELAY: Duration = Duration::from_millis(1);

/// Bytes read and written in one turn beyond which the task yields to the scheduler rather
/// than simply sleeping. A yield makes tokio wake an idle worker, which then shares the load
/// (the peer's session task, say, runs in parallel with this one): worth a wake-up after a
/// turn of bulk data, pure overhead after a turn of small calls (see
/// [`Mailbox`](super::mailbox::Mailbox)).
const HEAVY_TURN_BYTES: usize = 64 * 1024;

/// Runs the session on `transport` until it ends.
pub(crate) async fn run<T: Transport>(
    shared: Arc<SessionShared>,
    transport: T,
    codec: Arc<dyn Codec>,
    keepalive: Option<Duration>,
) {
    let mut driver = Driver {
        shared,
        transport,
        outbound: VecDeque::new(),
        turn_bytes: 0,
        codec,
        heartbeat: Heartbeat::new(keepalive),
        reading: true,
        held: None,
        held_release: false,
        unflushed: false,
        releases_only: false,
        release_delay: Box::pin(tokio::time::sleep(Duration::ZERO)),
        release_armed: false,
        closing: false,
    };
    poll_fn(|cx| driver.poll(cx)).await;
    driver.shared.mailbox.close();
}

struct Driver<T> {
    shared: Arc<SessionShared>,
    transport: T,
    /// Output taken from the mailbox, not yet encoded.
    outbound: VecDeque<Outbound>,
    /// Bytes read and written in the current turn (see [`HEAVY_TURN_BYTES`]).
    turn_bytes: usize,
    codec: Arc<dyn Codec>,
    heartbeat: Heartbeat,
    /// False once the session has ended: only the remaining output is written.
    reading: bool,
    /// An encoded frame waiting for the transport to accept it.
    held: Option<Frame>,
    /// The held frame is a `release`.
    held_release: bool,
    /// Frames were accepted since the last flush.
    unflushed: bool,
    /// Every frame accepted since the last flush is a `release` (see [`RELEASE_DELAY`]).
    releases_only: bool,
    /// Flushes releases-only output once [`RELEASE_DELAY`] has passed.
    release_delay: Pin<Box<tokio::time::Sleep>>,
    /// `release_delay` is set for the output waiting now.
    release_armed: bool,
    /// The close frame has been taken from the queue: nothing more is sent after it.
    closing: bool,
}

/// Where writing stopped.
enum Write {
    /// The task is finished.
    Done,
    /// Everything queued was written, or is held back for company (see [`RELEASE_DELAY`]):
    /// more output can go now.
    Drained,
    /// Waiting for the transport; it wakes the task when it can take more.
    Full,
}

impl<T: Transport> Driver<T> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.shared.mailbox.wake_up(cx.waker());
        self.turn_bytes = 0;
        loop {
            let mut busy = false;
            if self.reading {
                self.poll_heartbeat(cx);
            }
            if self.reading {
                self.poll_commands();
            }
            if self.reading {
                busy = self.poll_frames(cx);
            }
            let write = self.poll_write(cx);
            if let Write::Done = write {
                return Poll::Ready(());
            }
            // Frames were left unread after a full burst: go round again, after writing what
            // the burst produced. (tokio's cooperative budget makes the transport return
            // `Pending` eventually, so this cannot starve other tasks.) Otherwise sleep,
            // unless something was queued that this turn can still act on.
            let drained = matches!(write, Write::Drained);
            if !busy
                && self
                    .shared
                    .mailbox
                    .sleep(self.reading, drained && !self.closing)
            {
                if self.turn_bytes >= HEAVY_TURN_BYTES {
                    cx.waker().wake_by_ref();
                }
                return Poll::Pending;
            }
        }
    }

    fn poll_heartbeat(&mut self, cx: &mut Context<'_>) {
        while self.heartbeat.poll_tick(cx).is_ready() {
            if let Err(error) = self.heartbeat.check(&self.shared) {
                tracing::warn!(session = self.shared.id, %error, "the peer is gone");
                self.end(error, false);
                return;
            }
        }
    }

    fn poll_commands(&mut self) {
        // Releases first: they free memory and never wait.
        while self.reading {
            match self.shared.mailbox.next_command() {
                Some(Command::Release(id, generation)) => {
                    self.shared.release_import(id, generation)
                }
                Some(Command::Abort(reason)) => self.end(reason, true),
                Some(Command::Close(reason)) => self.end(reason, false),
                None => return,
            }
        }
    }

    /// Handles up to [`READ_BURST`] frames; true when more may be ready.
    fn poll_frames(&mut self, cx: &mut Context<'_>) -> bool {
        for _ in 0..READ_BURST {
            if !self.reading {
                return false;
            }
            match Pin::new(&mut self.transport).poll_next(cx) {
                Poll::Ready(frame) => {
                    self.heartbeat.heard();
                    self.frame(frame);
                }
                Poll::Pending => return false,
            }
        }
        self.reading
    }

    fn frame(&mut self, frame: Option<std::io::Result<Frame>>) {
        let shared = &self.shared;
        match frame {
            Some(Ok(Frame::Close(reason))) => self.end(
                RpcError::disconnected(format!("the peer closed the connection: {reason}")),
                false,
            ),
            Some(Ok(frame)) => {
                self.turn_bytes += frame.len();
                let handled = self
                    .codec
                    .decode(&frame, &shared.limits)
                    .map_err(|e| match e {
                        crate::codec::CodecError::Limit { limit, detail } => {
                            RpcError::limit(limit, detail)
                        }
                        other => RpcError::protocol(other.to_string()),
                    })
                    .and_then(|message| inbound::handle(shared, message));
                if let Err(error) = handled {
                    tracing::warn!(session = shared.id, %error, "aborting session");
                    self.end(error, true);
                } else if shared.broken().is_some() {
                    self.reading = false;
                }
            }
            Some(Err(e)) => self.end(
                RpcError::disconnected(format!("the connection failed: {e}")),
                false,
            ),
            None => self.end(
                RpcError::disconnected("the peer closed the connection"),
                false,
            ),
        }
    }

    /// Ends the session (its close frame is queued last) and stops reading.
    fn end(&mut self, error: RpcError, tell_peer: bool) {
        self.shared.break_with(error, tell_peer);
        self.reading = false;
    }

    /// The connection failed while writing: the session ends and the task with it.
    fn fail(&mut self, reason: String) -> Write {
        self.shared
            .break_with(RpcError::disconnected(reason), false);
        Write::Done
    }

    /// Encodes and writes queued messages, flushing once per burst so that many small
    /// messages share one write under load.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Write {
        loop {
            if let Some(frame) = self.held.take() {
                let mut sink = Pin::new(&mut self.transport);
                match sink.as_mut().poll_ready(cx) {
                    Poll::Ready(Ok(())) => {
                        let close = matches!(frame, Frame::Close(_));
                        self.turn_bytes += frame.len();
                        match sink.start_send(frame) {
                            Ok(()) => {
                                self.releases_only =
                                    self.held_release && (self.releases_only || !self.unflushed);
                                self.unflushed = true;
                            }
                            // The session is over anyway: just close.
                            Err(_) if close => {}
                            Err(e) => return self.fail(format!("the connection failed: {e}")),
                        }
                    }
                    Poll::Ready(Err(e)) if !self.closing => {
                        return self.fail(format!("the connection failed: {e}"));
                    }
                    Poll::Ready(Err(_)) => return Write::Done,
                    Poll::Pending => {
                        self.held = Some(frame);
                        return Write::Full;
                    }
                }
            }
            if self.closing {
                break;
            }
            if self.outbound.is_empty() {
                self.shared.mailbox.take_outbound(&mut self.outbound);
            }
            match self.outbound.pop_front() {
                Some(Outbound::Message(message) | Outbound::Call(_, message)) => {
                    self.held_release = matches!(message, Message::Release(..));
                    match self.codec.encode(&message) {
                        Ok(frame) => self.held = Some(frame),
                        Err(e) => {
                            tracing::error!(%e, tag = message.tag(), "could not encode a message");
                            return self.fail(format!("could not encode a message: {e}"));
                        }
                    }
                }
                Some(Outbound::Close(reason)) => {
                    self.held_release = false;
                    self.held = Some(Frame::Close(reason));
                    self.closing = true;
                    self.reading = false;
                }
                None => break,
            }
        }
        if self.unflushed && self.releases_only && self.reading && !self.closing {
            if !self.release_armed {
                let at = Instant::now() + RELEASE_DELAY;
                self.release_delay.as_mut().reset(at);
                self.release_armed = true;
            }
            if self.release_delay.as_mut().poll(cx).is_pending() {
                return Write::Drained;
            }
        }
        if self.unflushed {
            self.release_armed = false;
            match Pin::new(&mut self.transport).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(e)) if !self.closing => {
                    return self.fail(format!("the connection failed: {e}"));
                }
                Poll::Ready(Err(_)) => return Write::Done,
                Poll::Pending => return Write::Full,
            }
        }
        if self.closing && self.held.is_none() {
            return match Pin::new(&mut self.transport).poll_close(cx) {
                Poll::Ready(_) => Write::Done,
                Poll::Pending => Write::Full,
            };
        }
        Write::Drained
    }
}

/// Detects a dead peer: after `interval` without a frame from the peer, send a heartbeat (a
/// push of `null`, pulled, which any Cap'n Web peer answers); if nothing at all arrives within
/// another `interval`, the peer is gone.
///
/// Hearing from the peer only sets a flag, read at the next tick (every quarter interval):
/// reading the clock for every frame would cost more than the whole check.
struct Heartbeat {
    interval: Option<Duration>,
    ticks: Option<tokio::time::Interval>,
    last_heard: Instant,
    heard: bool,
    sent: Option<Instant>,
}

impl Heartbeat {
    fn new(interval: Option<Duration>) -> Self {
        let ticks = interval.map(|i| {
            let mut t = tokio::time::interval(i / 4);
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            t
        });
        Heartbeat {
            interval,
            ticks,
            last_heard: Instant::now(),
            heard: false,
            sent: None,
        }
    }

    fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.ticks {
            Some(t) => t.poll_tick(cx).map(drop),
            None => Poll::Pending,
        }
    }

    fn heard(&mut self) {
        self.heard = true;
    }

    fn check(&mut self, shared: &Arc<SessionShared>) -> Result<(), RpcError> {
        let Some(interval) = self.interval else {
            return Ok(());
        };
        if std::mem::take(&mut self.heard) {
            self.last_heard = Instant::now();
            self.sent = None;
        }
        match self.sent {
            Some(sent) if sent.elapsed() >= interval => Err(RpcError::disconnected(format!(
                "the peer did not answer a keepalive within {interval:?}"
            ))),
            Some(_) => Ok(()),
            None if self.last_heard.elapsed() >= interval => {
                self.sent = Some(Instant::now());
                let ping = shared.push_value();
                tokio::spawn(async move {
                    let _ = ping.resolve().await;
                });
                Ok(())
            }
            None => Ok(()),
        }
    }
}
