//! The chat room behind the `chat` program: gRPC's bidirectional-streaming chat as a Capstan
//! interface.
//!
//! A member joins with a stream of the lines it will say and gets back a stream of everything
//! said in the room. Both streams are open at once. When a member's lines end (it half-closed),
//! the room announces "`<name> left`" and then ends that member's incoming stream, so the member
//! knows everything it said was delivered before it goes.

use std::{
    fmt,
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use futures::{Stream, StreamExt};
use rpc_core::{RpcError, RpcStream, StreamSender, rpc_interface};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// One line of the room's transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who said it; `None` for the room's own announcements (joins, leaves, shutdown).
    pub from: Option<String>,
    /// What was said.
    pub text: String,
}

impl Message {
    fn announcement(text: impl Into<String>) -> Self {
        Message {
            from: None,
            text: text.into(),
        }
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.from {
            Some(name) => write!(f, "[{name}] {}", self.text),
            None => write!(f, "* {}", self.text),
        }
    }
}

/// A chat room.
#[rpc_interface]
pub trait ChatRoom {
    /// Joins as `name`: every line of `outgoing` is said to the room, and the returned stream
    /// carries everything said from now on (this member's own lines included). When
    /// `outgoing` ends, the room announces "`<name> left`" and ends the returned stream.
    async fn join(
        &self,
        name: String,
        outgoing: RpcStream<String>,
    ) -> Result<RpcStream<Message>, RpcError>;
}

/// How many messages a member may fall behind before it misses some. A reader that slow must
/// not hold up the whole room.
const BACKLOG: usize = 1024;

/// One broadcast: a message, and whose incoming stream it is the last of.
#[derive(Clone)]
struct Event {
    message: Message,
    last_for: LastFor,
}

#[derive(Clone, Copy, PartialEq)]
enum LastFor {
    Nobody,
    Member(u64),
    Everyone,
}

/// The room: shared by every connection's session, so clone it into each.
#[derive(Clone)]
pub struct Room(Arc<RoomState>);

struct RoomState {
    events: broadcast::Sender<Event>,
    next_member: AtomicU64,
    /// Members whose outgoing stream is still open.
    members: AtomicUsize,
}

impl Default for Room {
    fn default() -> Self {
        Room(Arc::new(RoomState {
            events: broadcast::channel(BACKLOG).0,
            next_member: AtomicU64::new(1),
            members: AtomicUsize::new(0),
        }))
    }
}

impl Room {
    /// An empty room.
    pub fn new() -> Self {
        Self::default()
    }

    /// Members still connected: joined, and their outgoing stream has not ended.
    pub fn members(&self) -> usize {
        self.0.members.load(Ordering::SeqCst)
    }

    /// Tells every member the room is closing and ends their incoming streams, then waits (at
    /// most `within`) for them to go.
    pub async fn shut_down(&self, within: Duration) {
        self.broadcast(
            Message::announcement("the server is shutting down"),
            LastFor::Everyone,
        );
        let deadline = tokio::time::Instant::now() + within;
        while self.members() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn broadcast(&self, message: Message, last_for: LastFor) {
        // An error only means nobody is listening.
        let _ = self.0.events.send(Event { message, last_for });
    }
}

impl ChatRoom for Room {
    async fn join(
        &self,
        name: String,
        outgoing: RpcStream<String>,
    ) -> Result<RpcStream<Message>, RpcError> {
        let member = self.0.next_member.fetch_add(1, Ordering::SeqCst);
        self.0.members.fetch_add(1, Ordering::SeqCst);
        // Subscribe before announcing, so the member sees its own arrival.
        let events = self.0.events.subscribe();
        let (tx, incoming) = RpcStream::channel(64);
        tokio::spawn(deliver(member, events, tx));
        self.broadcast(
            Message::announcement(format!("{name} joined")),
            LastFor::Nobody,
        );
        tokio::spawn(relay(self.clone(), member, name, outgoing));
        Ok(incoming)
    }
}

/// Copies the room's events into one member's incoming stream until its own "left" (or the
/// shutdown) has gone out, or the member stops reading.
async fn deliver(member: u64, mut events: broadcast::Receiver<Event>, tx: StreamSender<Message>) {
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            () = tx.closed() => break,
        };
        match event {
            Ok(event) => {
                let last = matches!(event.last_for, LastFor::Everyone)
                    || event.last_for == LastFor::Member(member);
                if tx.send(event.message).await.is_err() || last {
                    break;
                }
            }
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                let note = Message::announcement(format!("({missed} messages missed)"));
                if tx.send(note).await.is_err() {
                    break;
                }
            }
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
    // Dropping `tx` ends the member's incoming stream cleanly.
}

/// Says each line of a member's outgoing stream to the room; announces the member's departure
/// when the stream ends, cleanly (half-close) or not (lost connection).
async fn relay(room: Room, member: u64, name: String, mut outgoing: RpcStream<String>) {
    while let Some(line) = outgoing.next().await {
        match line {
            Ok(text) => room.broadcast(
                Message {
                    from: Some(name.clone()),
                    text,
                },
                LastFor::Nobody,
            ),
            Err(e) => {
                tracing::info!(%name, error = %e, "a member's stream failed");
                break;
            }
        }
    }
    room.0.members.fetch_sub(1, Ordering::SeqCst);
    room.broadcast(
        Message::announcement(format!("{name} left")),
        LastFor::Member(member),
    );
}

/// The client's side: joins `room` as `name`, says each of `lines`, and hands every message
/// from the room to `show`, until the room ends the stream. The end of `lines` half-closes.
pub async fn run_client(
    room: &ChatRoomClient,
    name: &str,
    lines: impl Stream<Item = String> + Send + 'static,
    mut show: impl FnMut(Message),
) -> Result<(), RpcError> {
    let mut incoming = room.join(name.to_owned(), RpcStream::new(lines)).await?;
    while let Some(message) = incoming.next().await {
        show(message?);
    }
    Ok(())
}
