//! A gateway, behind the `relay` program: two clients that cannot reach each other both reach
//! a relay. Client A registers a capability there; client B looks it up and calls it. B's
//! calls go B→relay→A: the relay holds A's stub and hands B a reference to it, which the relay
//! proxies (Cap'n Web has no three-party hand-off, so the relay stays in the path).

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use rpc_core::{RpcError, TypedStub, rpc_interface};

/// The relay: a directory of capabilities.
#[rpc_interface]
pub trait Relay {
    /// Publishes `service` under `name`, until its owner disconnects.
    async fn register(&self, name: String, service: ServiceClient) -> Result<(), RpcError>;
    /// The service published as `name`.
    async fn lookup(&self, name: String) -> Result<ServiceClient, RpcError>;
}

/// What clients publish through the relay.
#[rpc_interface]
pub trait Service {
    /// Answers a request.
    async fn handle(&self, request: String) -> Result<String, RpcError>;
}

/// The relay's directory, shared by every connection. Cheap to clone.
#[derive(Clone, Default)]
pub struct RelayImpl {
    services: Arc<Mutex<BTreeMap<String, ServiceClient>>>,
}

impl RelayImpl {
    /// An empty relay.
    pub fn new() -> Self {
        Self::default()
    }

    /// The names registered now.
    pub fn names(&self) -> Vec<String> {
        self.services.lock().unwrap().keys().cloned().collect()
    }
}

impl Relay for RelayImpl {
    async fn register(&self, name: String, service: ServiceClient) -> Result<(), RpcError> {
        // Drop the entry when the owner's connection goes: lookups then fail plainly rather
        // than handing out a broken reference.
        let services = self.services.clone();
        let key = name.clone();
        let registered = service.clone();
        service.as_stub().on_broken(move |_| {
            let mut services = services.lock().unwrap();
            if services
                .get(&key)
                .is_some_and(|s| s.as_stub().same_target(registered.as_stub()))
            {
                services.remove(&key);
            }
        });
        self.services.lock().unwrap().insert(name, service);
        Ok(())
    }

    async fn lookup(&self, name: String) -> Result<ServiceClient, RpcError> {
        self.services
            .lock()
            .unwrap()
            .get(&name)
            .cloned()
            .ok_or_else(|| RpcError::error(format!("no service named {name}")))
    }
}

/// A service that answers with its owner's name and counts what it handled.
#[derive(Clone, Default)]
pub struct Greeter {
    /// The owner's name, put in every answer.
    pub owner: String,
    /// Requests handled, for the tests.
    pub handled: Arc<std::sync::atomic::AtomicUsize>,
}

impl Service for Greeter {
    async fn handle(&self, request: String) -> Result<String, RpcError> {
        self.handled
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(format!("{} says hello to {request}", self.owner))
    }
}
