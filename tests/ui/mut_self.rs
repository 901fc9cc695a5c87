use rpc_core::{RpcError, rpc_interface};

#[rpc_interface]
trait Api {
    async fn bump(&mut self) -> Result<(), RpcError>;
}

fn main() {}
