use rpc_core::{RpcError, rpc_interface};

#[rpc_interface(fast)]
trait Api {
    async fn ping(&self) -> Result<(), RpcError>;
}

fn main() {}
