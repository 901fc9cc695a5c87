//! Serves the test calculator over this process's stdin and stdout, for the stdio tests.

use tests::{CalculatorImpl, CalculatorServer};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let session = rpc_core::Session::builder()
        .main(CalculatorServer::new(CalculatorImpl::default()))
        .start(rpc_transports::stdio::stdio());
    // Serve until the parent closes our stdin.
    session.closed().await;
}
