//! Serves the test calculator over TCP on 127.0.0.1 (JSON codec, one session per connection)
//! in its own process, for the hardening tests whose inputs might take a whole process down
//! (a stack overflow aborts the process; it cannot be caught like a panic). Prints
//! `LISTENING <port>`, then serves until killed.

use std::io::Write;

use rpc_core::{Server, Session, codec::Json};
use rpc_transports::tcp::TcpListener;
use tests::{CalculatorImpl, CalculatorServer};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let mut stdout = std::io::stdout();
    writeln!(stdout, "LISTENING {port}")?;
    stdout.flush()?;
    let imp = CalculatorImpl::default();
    Server::new()
        .serve(listener.incoming(), move || {
            Session::builder()
                .codec(Json)
                .main(CalculatorServer::new(imp.clone()))
        })
        .await;
    Ok(())
}
