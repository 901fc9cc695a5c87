use rpc_core::{RpcError, rpc_interface};

#[rpc_interface]
trait Api {
    async fn make(x: i64) -> Result<i64, RpcError>;
}

fn main() {}
