use rpc_core::{RpcError, rpc_interface};

#[rpc_interface]
trait Api {
    #[rpc(title = "x")]
    async fn ping(&self) -> Result<(), RpcError>;
}

fn main() {}
