use rpc_core::{RpcError, rpc_interface};

#[rpc_interface]
trait Api {
    #[rpc(name = "__describe__")]
    async fn about(&self) -> Result<String, RpcError>;
}

fn main() {}
