use rpc_core::{RpcError, rpc_interface};

#[rpc_interface]
trait Api {
    async fn greet(&self, name: &str) -> Result<String, RpcError>;
}

fn main() {}
