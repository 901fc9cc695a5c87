use rpc_core::{RpcError, rpc_interface};

#[rpc_interface]
trait Api<T> {
    async fn ping(&self) -> Result<(), RpcError>;
}

fn main() {}
