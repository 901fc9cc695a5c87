use rpc_core::{RpcError, rpc_interface};

#[rpc_interface]
trait Api {
    async fn echo<T>(&self, value: T) -> Result<T, RpcError>;
}

fn main() {}
