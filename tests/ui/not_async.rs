use rpc_core::{RpcError, rpc_interface};

#[rpc_interface]
trait Api {
    fn add(&self, a: i64) -> Result<i64, RpcError>;
}

fn main() {}
