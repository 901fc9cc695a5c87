use rpc_core::{RpcError, rpc_interface};

pub struct NotSerde;

#[rpc_interface]
trait Api {
    async fn take(&self, value: NotSerde) -> Result<(), RpcError>;
}

fn main() {}
