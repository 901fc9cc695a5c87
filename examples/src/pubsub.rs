//! Publish/subscribe with callbacks, behind the `pubsub` program. A subscriber passes a
//! `Callback<Event>` and gets back a `Subscription` capability; publishing fans an event out to
//! every callback on its topic. There is no `unsubscribe` method: dropping the subscription
//! capability releases it, the broker's object is dropped, and its `Drop` removes the entry
//! (which in turn releases the callback). A lost connection does the same for everything the
//! subscriber held.

use std::{
    collections::BTreeMap,
    future::IntoFuture,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use rpc_core::{Callback, RpcError, rpc_interface};
use serde::{Deserialize, Serialize};

/// One published message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The topic it was published on.
    pub topic: String,
    /// The broker's sequence number, across all topics.
    pub seq: u64,
    /// The payload.
    pub body: String,
}

/// The broker.
#[rpc_interface]
pub trait Broker {
    /// Calls `inbox` with every event published on `topic` from now on, until the returned
    /// subscription is dropped.
    async fn subscribe(
        &self,
        topic: String,
        inbox: Callback<Event>,
    ) -> Result<SubscriptionClient, RpcError>;
    /// Publishes `body` on `topic`; returns how many subscribers received it.
    async fn publish(&self, topic: String, body: String) -> Result<u32, RpcError>;
}

/// A live subscription; drop it to unsubscribe.
#[rpc_interface]
pub trait Subscription {
    /// The topic subscribed to.
    async fn topic(&self) -> Result<String, RpcError>;
}

type Subscribers = BTreeMap<u64, (String, Callback<Event>)>;

/// The broker's state, shared by every connection. Cheap to clone.
#[derive(Clone, Default)]
pub struct BrokerImpl {
    subscribers: Arc<Mutex<Subscribers>>,
    next: Arc<AtomicU64>,
}

impl BrokerImpl {
    /// A broker with no subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many subscriptions are live.
    pub fn subscribers(&self) -> usize {
        self.subscribers.lock().unwrap().len()
    }
}

impl Broker for BrokerImpl {
    async fn subscribe(
        &self,
        topic: String,
        inbox: Callback<Event>,
    ) -> Result<SubscriptionClient, RpcError> {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        self.subscribers
            .lock()
            .unwrap()
            .insert(id, (topic.clone(), inbox));
        Ok(SubscriptionClient::local(SubscriptionImpl {
            id,
            topic,
            subscribers: self.subscribers.clone(),
        }))
    }

    async fn publish(&self, topic: String, body: String) -> Result<u32, RpcError> {
        let seq = self.next.fetch_add(1, Ordering::SeqCst);
        let event = Event { topic, seq, body };
        // Copy the callbacks out: the lock must not be held across the calls.
        let inboxes: Vec<_> = self
            .subscribers
            .lock()
            .unwrap()
            .values()
            .filter(|(topic, _)| *topic == event.topic)
            .map(|(_, inbox)| inbox.clone())
            .collect();
        let calls = inboxes
            .iter()
            .map(|inbox| inbox.call(event.clone()).into_future());
        let delivered = futures::future::join_all(calls).await;
        Ok(delivered.iter().filter(|r| r.is_ok()).count() as u32)
    }
}

/// The broker's side of one subscription; dropping it unsubscribes.
pub struct SubscriptionImpl {
    id: u64,
    topic: String,
    subscribers: Arc<Mutex<Subscribers>>,
}

impl Subscription for SubscriptionImpl {
    async fn topic(&self) -> Result<String, RpcError> {
        Ok(self.topic.clone())
    }
}

impl Drop for SubscriptionImpl {
    fn drop(&mut self) {
        // Released by the subscriber (or its session ended): forget the callback, which
        // releases it on the subscriber's side too.
        self.subscribers.lock().unwrap().remove(&self.id);
    }
}

/// A callback that forwards each event into a channel, for programs and tests.
pub fn inbox() -> (Callback<Event>, tokio::sync::mpsc::UnboundedReceiver<Event>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let callback = Callback::new(move |event: Event| {
        let _ = tx.send(event);
        async { Ok(()) }
    });
    (callback, rx)
}
