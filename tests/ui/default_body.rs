use rpc_core::{RpcError, rpc_interface};

#[rpc_interface]
trait Api {
    async fn ping(&self) -> Result<(), RpcError> {
        Ok(())
    }
}

fn main() {}
