use rpc_core::{RpcError, rpc_interface};

#[rpc_interface]
trait Api {
    async fn make_counter(&self) -> Result<(), RpcError>;
    #[rpc(name = "makeCounter")]
    async fn other(&self) -> Result<(), RpcError>;
}

fn main() {}
