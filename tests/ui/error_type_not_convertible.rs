use rpc_core::rpc_interface;

#[rpc_interface]
trait Api {
    async fn ping(&self) -> Result<(), String>;
}

fn main() {}
