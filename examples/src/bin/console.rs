//! An interactive console over one bidirectional stream.
//!
//! - `console serve ADDR`: evaluates lines (`add 1 2`, `upper hi`, `echo x`, `help`); prints
//!   `LISTENING <port>` when ready.
//! - `console connect ADDR`: sends each stdin line and prints each result as it comes back.
//!   End of input (Ctrl-D) half-closes; the server answers `bye` and closes, and the client
//!   exits.
//!
//! Try it: `cargo run -p examples --bin console -- serve 127.0.0.1:4001`, then
//! `cargo run -p examples --bin console -- connect 127.0.0.1:4001` and type `add 1 2`.

use examples::{
    console::{ConsoleClient, ConsoleImpl, ConsoleServer, run_client},
    net::{self, Wire},
};
use rpc_core::Session;

#[tokio::main]
async fn main() {
    examples::init_tracing();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["serve", addr] => serve(addr).await,
        ["connect", addr] => connect(addr).await,
        _ => {
            eprintln!("usage: console serve ADDR | console connect ADDR");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("console: {e}");
        std::process::exit(1);
    }
}

async fn serve(addr: &str) -> Result<(), Box<dyn std::error::Error>> {
    let listener = net::listen(addr).await?;
    net::serve(listener, Wire::Tcp, || {
        Session::builder().main(ConsoleServer::new(ConsoleImpl))
    })
    .await;
    Ok(())
}

async fn connect(addr: &str) -> Result<(), Box<dyn std::error::Error>> {
    let session = net::connect(addr, Wire::Tcp).await?;
    let console: ConsoleClient = session.main_as();
    run_client(&console, examples::stdin_lines(), |result| {
        println!("{result}")
    })
    .await?;
    session.close();
    Ok(())
}
