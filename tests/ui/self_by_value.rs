use rpc_core::{RpcError, rpc_interface};

#[rpc_interface]
trait Api {
    async fn consume(self) -> Result<(), RpcError>;
}

fn main() {}
