use rpc_core::rpc_interface;

#[rpc_interface]
trait Api {
    async fn add(&self, a: i64, b: i64) -> i64;
}

fn main() {}
