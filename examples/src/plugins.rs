//! Plugin processes over stdio, behind the `plugins` program: the host spawns one child per
//! plugin (the same program, in `plugin` mode), talks to each over its stdin and stdout, and
//! reaches each plugin's capability as that session's main object.

use std::{path::Path, time::Duration};

use rpc_core::{RpcError, Session, rpc_interface};
use rpc_transports::stdio;
use tokio::process::{Child, Command};

/// What every plugin offers.
#[rpc_interface]
pub trait Plugin {
    /// The plugin's name and its process ID, e.g. `upper (pid 1234)`.
    async fn describe(&self) -> Result<String, RpcError>;
    /// Transforms `input`.
    async fn apply(&self, input: String) -> Result<String, RpcError>;
}

/// The plugins this example knows.
pub const KINDS: [&str; 3] = ["upper", "reverse", "count"];

/// One of the [`KINDS`].
pub struct PluginImpl {
    kind: String,
}

impl PluginImpl {
    /// The plugin `kind`, if it is one of [`KINDS`].
    pub fn new(kind: &str) -> Option<Self> {
        KINDS.contains(&kind).then(|| PluginImpl {
            kind: kind.to_owned(),
        })
    }
}

impl Plugin for PluginImpl {
    async fn describe(&self) -> Result<String, RpcError> {
        Ok(format!("{} (pid {})", self.kind, std::process::id()))
    }

    async fn apply(&self, input: String) -> Result<String, RpcError> {
        Ok(match self.kind.as_str() {
            "upper" => input.to_uppercase(),
            "reverse" => input.chars().rev().collect(),
            _ => format!("{} chars", input.chars().count()),
        })
    }
}

/// The child side: serves `plugin` over this process's stdin and stdout until the host
/// closes the connection. Nothing else may print to stdout meanwhile.
pub async fn serve_plugin(plugin: PluginImpl) -> RpcError {
    let session = Session::builder()
        .main(PluginServer::new(plugin))
        .start(stdio::stdio());
    session.closed().await
}

/// A running plugin process. Dropping it kills the process.
pub struct PluginProcess {
    child: Child,
    session: Session,
    /// The plugin's capability.
    pub plugin: PluginClient,
}

impl PluginProcess {
    /// Spawns `program plugin KIND` and connects to it over its stdio.
    pub fn spawn(program: &Path, kind: &str) -> std::io::Result<PluginProcess> {
        let mut cmd = Command::new(program);
        // Killed with us, whatever happens to the host.
        cmd.args(["plugin", kind]).kill_on_drop(true);
        let (child, transport) = stdio::spawn_child(cmd)?;
        let session = Session::builder().start(transport);
        let plugin = session.main_as();
        Ok(PluginProcess {
            child,
            session,
            plugin,
        })
    }

    /// Closes the connection (the child sees end of input and exits) and waits up to `within`
    /// for it to exit; kills it if it does not. True when it exited by itself.
    pub async fn stop(mut self, within: Duration) -> bool {
        self.session.close();
        match tokio::time::timeout(within, self.child.wait()).await {
            Ok(status) => status.is_ok_and(|s| s.success()),
            Err(_) => {
                let _ = self.child.kill().await;
                false
            }
        }
    }
}
