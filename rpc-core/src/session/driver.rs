//! The two tasks of a session: one reads and dispatches, one writes.

use std::{
    sync::{Arc, Weak},
    time::Duration,
};

use tokio::time::Instant;

use futures::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::mpsc;

use super::{
    inbound,
    shared::{Command, Outbound, SessionShared},
};
use crate::{Frame, RpcError, codec::Codec};

/// Reads frames and commands until the session ends.
pub(crate) async fn read_loop<S>(
    shared: Arc<SessionShared>,
    mut frames: S,
    mut commands: mpsc::UnboundedReceiver<Command>,
    codec: Arc<dyn Codec>,
    keepalive: Option<Duration>,
) where
    S: Stream<Item = std::io::Result<Frame>> + Unpin,
{
    let mut heartbeat = Heartbeat::new(keepalive);
    loop {
        tokio::select! {
            // Releases first: they free memory and never wait.
            biased;
            _ = heartbeat.tick() => {
                if let Err(error) = heartbeat.check(&shared) {
                    tracing::warn!(session = shared.id, %error, "the peer is gone");
                    return shared.break_with(error, false);
                }
            }
            command = commands.recv() => match command {
                Some(Command::Release(id, generation)) => shared.release_import(id, generation),
                Some(Command::Abort(reason)) => return shared.break_with(reason, true),
                Some(Command::Close(reason)) => return shared.break_with(reason, false),
                None => return,
            },
            frame = frames.next() => {
                heartbeat.heard();
                match frame {
                    Some(Ok(Frame::Close(reason))) => {
                        return shared.break_with(
                            RpcError::disconnected(format!("the peer closed the connection: {reason}")),
                            false,
                        );
                    }
                    Some(Ok(frame)) => {
                        let handled = codec
                            .decode(&frame, &shared.limits)
                            .map_err(|e| match e {
                                crate::codec::CodecError::Limit { limit, detail } => {
                                    RpcError::limit(limit, detail)
                                }
                                other => RpcError::protocol(other.to_string()),
                            })
                            .and_then(|message| inbound::handle(&shared, message));
                        if let Err(error) = handled {
                            tracing::warn!(session = shared.id, %error, "aborting session");
                            return shared.break_with(error, true);
                        }
                        if shared.broken().is_some() {
                            return;
                        }
                    }
                    Some(Err(e)) => {
                        return shared.break_with(
                            RpcError::disconnected(format!("the connection failed: {e}")),
                            false,
                        );
                    }
                    None => {
                        return shared.break_with(
                            RpcError::disconnected("the peer closed the connection"),
                            false,
                        );
                    }
                }
            }
        }
    }
}

/// Detects a dead peer: after `interval` without a frame from the peer, send a heartbeat (a
/// push of `null`, pulled, which any Cap'n Web peer answers); if nothing at all arrives within
/// another `interval`, the peer is gone.
struct Heartbeat {
    interval: Option<Duration>,
    ticks: Option<tokio::time::Interval>,
    last_heard: Instant,
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
            sent: None,
        }
    }

    async fn tick(&mut self) {
        match &mut self.ticks {
            Some(t) => {
                t.tick().await;
            }
            None => std::future::pending().await,
        }
    }

    fn heard(&mut self) {
        self.last_heard = Instant::now();
        self.sent = None;
    }

    fn check(&mut self, shared: &Arc<SessionShared>) -> Result<(), RpcError> {
        let Some(interval) = self.interval else {
            return Ok(());
        };
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

/// Encodes and writes queued messages, flushing once per burst so that many small messages
/// share one write under load.
pub(crate) async fn write_loop<S>(
    shared: Weak<SessionShared>,
    mut sink: S,
    mut queue: mpsc::UnboundedReceiver<Outbound>,
    codec: Arc<dyn Codec>,
) where
    S: Sink<Frame, Error = std::io::Error> + Unpin,
{
    let fail = |reason: String| {
        if let Some(shared) = shared.upgrade() {
            shared.break_with(RpcError::disconnected(reason), false);
        }
    };
    while let Some(first) = queue.recv().await {
        let mut next = Some(first);
        let mut closing = false;
        while let Some(item) = next.take() {
            match item {
                Outbound::Close(reason) => {
                    closing = true;
                    let _ = sink.feed(Frame::Close(reason)).await;
                    break;
                }
                Outbound::Message(message) => match codec.encode(&message) {
                    Ok(frame) => {
                        if let Err(e) = sink.feed(frame).await {
                            return fail(format!("the connection failed: {e}"));
                        }
                    }
                    Err(e) => {
                        tracing::error!(%e, tag = message.tag(), "could not encode a message");
                        return fail(format!("could not encode a message: {e}"));
                    }
                },
            }
            next = queue.try_recv().ok();
        }
        if let Err(e) = sink.flush().await {
            return fail(format!("the connection failed: {e}"));
        }
        if closing {
            let _ = sink.close().await;
            return;
        }
    }
}
