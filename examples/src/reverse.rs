//! Server→client calls, behind the `reverse` program: an agent behind NAT cannot be dialed, so
//! it dials the hub and serves its own main object over the connection it opened. The hub
//! then calls the agent, through the same session, as if the agent were the server.
//!
//! Nothing here is special to "reverse" RPC: sessions are symmetric, and each side's main
//! object is what the other reaches as `session.main()`.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use rpc_core::{RpcError, Session, rpc_interface};

/// What the hub offers: a way for an agent to announce itself.
#[rpc_interface]
pub trait Hub {
    /// Registers the calling connection's agent under `name`.
    async fn register(&self, name: String) -> Result<(), RpcError>;
}

/// What each agent offers the hub.
#[rpc_interface]
pub trait Agent {
    /// Runs a (pretend) command and returns its output.
    async fn run(&self, command: String) -> Result<String, RpcError>;
}

/// The agents connected to a hub, by name. Cheap to clone.
#[derive(Clone, Default)]
pub struct Registry(Arc<Mutex<BTreeMap<String, AgentClient>>>);

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The names of the agents connected now.
    pub fn names(&self) -> Vec<String> {
        self.0.lock().unwrap().keys().cloned().collect()
    }

    /// The agent registered as `name`.
    pub fn agent(&self, name: &str) -> Option<AgentClient> {
        self.0.lock().unwrap().get(name).cloned()
    }
}

/// The hub's main object, one per connection.
pub struct HubImpl {
    registry: Registry,
}

impl HubImpl {
    /// A hub adding agents to `registry`.
    pub fn new(registry: Registry) -> Self {
        HubImpl { registry }
    }
}

impl Hub for HubImpl {
    async fn register(&self, name: String) -> Result<(), RpcError> {
        // The caller's own main object is the agent: no capability needs to be passed.
        let session = Session::current().ok_or_else(|| RpcError::error("not in a session"))?;
        let agent: AgentClient = session.main_as();
        let mut agents = self.registry.0.lock().unwrap();
        if agents.contains_key(&name) {
            return Err(RpcError::error(format!(
                "an agent named {name} is already here"
            )));
        }
        agents.insert(name.clone(), agent);
        drop(agents);
        // Forget the agent when its connection goes, so the hub never calls a dead one.
        let registry = self.registry.clone();
        session.on_broken(move |_| {
            registry.0.lock().unwrap().remove(&name);
        });
        Ok(())
    }
}

/// An agent: answers `run` with canned output naming itself.
pub struct AgentImpl {
    name: String,
}

impl AgentImpl {
    /// An agent called `name`.
    pub fn new(name: &str) -> Self {
        AgentImpl {
            name: name.to_owned(),
        }
    }
}

impl Agent for AgentImpl {
    async fn run(&self, command: String) -> Result<String, RpcError> {
        match command.as_str() {
            "hostname" => Ok(self.name.clone()),
            "uptime" => Ok(format!("{}: up 3 days", self.name)),
            other => Err(RpcError::error(format!(
                "{}: unknown command {other}",
                self.name
            ))),
        }
    }
}

/// The agent side: starts a session on `transport` serving `agent` as main, and registers
/// with the hub under `name`. The session is returned so the caller can wait on it.
pub async fn run_agent(
    transport: impl rpc_core::Transport,
    name: &str,
) -> Result<Session, RpcError> {
    let session = Session::builder()
        .main(AgentServer::new(AgentImpl::new(name)))
        .start(transport);
    session.main_as::<HubClient>().register(name).await?;
    Ok(session)
}
