//! A memory pair with a relay in the middle that keeps, decoded, what the client end sends:
//! for tests about which messages go on the wire.

use std::sync::{Arc, Mutex};

use futures::{SinkExt, StreamExt};
use rpc_core::{
    Frame, Limits,
    codec::MsgPack,
    protocol::{Expr, Message},
};
use rpc_transports::memory::MemoryTransport;

/// What the client end sent, decoded.
pub type Sent = Arc<Mutex<Vec<Message>>>;

/// `(server end, client end, what the client end sends)`. The client must speak MessagePack.
pub fn tapped_pair() -> (MemoryTransport, MemoryTransport, Sent) {
    let (server, relay_a) = rpc_transports::memory::pair();
    let (relay_b, client) = rpc_transports::memory::pair();
    let seen = Sent::default();
    let (mut to_server, mut from_server) = relay_a.split();
    let (mut to_client, mut from_client) = relay_b.split();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Some(Ok(frame)) = from_client.next().await {
            if let Frame::Binary(bytes) = &frame {
                let message = MsgPack::from_slice(bytes, &Limits::default()).unwrap();
                log.lock().unwrap().push(message);
            }
            if to_server.send(frame).await.is_err() {
                break;
            }
        }
    });
    tokio::spawn(async move {
        while let Some(Ok(frame)) = from_server.next().await {
            if to_client.send(frame).await.is_err() {
                break;
            }
        }
    });
    (server, client, seen)
}

/// The first path key of each call in `messages` that `pick` selects (`push`, `stream`…), as
/// text.
pub fn called(messages: &[Message], pick: impl Fn(&Message) -> Option<&Expr>) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| match pick(m) {
            Some(Expr::Pipeline(call)) => call
                .path
                .as_ref()
                .and_then(|p| p.first())
                .map(|k| k.to_string()),
            _ => None,
        })
        .collect()
}
