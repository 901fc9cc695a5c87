//! `tail -f` over RPC: a server-streaming method and cancellation.
//!
//! - `tail serve ADDR FILE`: streams FILE's lines, from the start and then as they are
//!   appended, to each follower until it cancels; prints `LISTENING <port>` when ready. Run
//!   with `RUST_LOG=info` to see each cancel arrive.
//! - `tail follow ADDR [--lines N]`: prints the lines; with `--lines N`, stops after N lines
//!   by dropping the stream, which cancels the server's producer, and exits.
//!
//! Try it: `cargo run -p examples --bin tail -- serve 127.0.0.1:4002 /var/log/syslog`, then
//! `cargo run -p examples --bin tail -- follow 127.0.0.1:4002 --lines 5`.

use examples::{
    net::{self, Wire},
    tail::{TailClient, TailImpl, TailServer, run_follower},
};
use rpc_core::Session;

const USAGE: &str = "usage: tail serve ADDR FILE | tail follow ADDR [--lines N]";

#[tokio::main]
async fn main() {
    examples::init_tracing();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["serve", addr, file] => serve(addr, file).await,
        ["follow", addr] => follow(addr, None).await,
        ["follow", addr, "--lines", n] => match n.parse() {
            Ok(n) => follow(addr, Some(n)).await,
            Err(_) => usage(),
        },
        _ => usage(),
    };
    if let Err(e) = result {
        eprintln!("tail: {e}");
        std::process::exit(1);
    }
}

fn usage() -> ! {
    eprintln!("{USAGE}");
    std::process::exit(2);
}

async fn serve(addr: &str, file: &str) -> Result<(), Box<dyn std::error::Error>> {
    let listener = net::listen(addr).await?;
    // One `TailImpl` for every connection, so its log counts all followers.
    let tail = TailImpl::new(file);
    net::serve(listener, Wire::Tcp, move || {
        Session::builder().main(TailServer::new(tail.clone()))
    })
    .await;
    Ok(())
}

async fn follow(addr: &str, limit: Option<usize>) -> Result<(), Box<dyn std::error::Error>> {
    let session = net::connect(addr, Wire::Tcp).await?;
    let tail: TailClient = session.main_as();
    run_follower(&tail, limit, |line| println!("{line}")).await?;
    // `run_follower` dropped the stream, which queued the cancel. Exiting may beat it to the
    // wire; then the server's producer learns from the lost connection instead, the same way.
    session.close();
    Ok(())
}
