//! A chat room: gRPC's bidirectional-streaming example in Capstan.
//!
//! - `chat server ADDR`: hosts one room; prints `LISTENING <port>` when ready. Ctrl-C tells
//!   everyone and closes their streams before exiting.
//! - `chat client ADDR NAME`: joins as NAME; each stdin line is said to the room while
//!   messages from the room are printed as they arrive. End of input (Ctrl-D) leaves the room:
//!   the client exits once the room has closed its incoming stream.
//!
//! Both speak TCP; `--ws` switches them to WebSocket (`ws://ADDR/`).
//!
//! Try it: `cargo run -p examples --bin chat -- server 127.0.0.1:4000`, then in two other
//! terminals `cargo run -p examples --bin chat -- client 127.0.0.1:4000 alice` (and `bob`).

use std::time::Duration;

use examples::{
    chat::{ChatRoomClient, ChatRoomServer, Room, run_client},
    net::{self, Wire},
};
use futures::StreamExt;
use rpc_core::Session;

const USAGE: &str = "usage: chat [--ws] server ADDR | chat [--ws] client ADDR NAME";

#[tokio::main]
async fn main() {
    examples::init_tracing();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let wire = match args.iter().position(|a| a == "--ws") {
        Some(i) => {
            args.remove(i);
            Wire::WebSocket
        }
        None => Wire::Tcp,
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["server", addr] => server(addr, wire).await,
        ["client", addr, name] => client(addr, name, wire).await,
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("chat: {e}");
        std::process::exit(1);
    }
}

async fn server(addr: &str, wire: Wire) -> Result<(), Box<dyn std::error::Error>> {
    // Listen for Ctrl-C before announcing the port: a signal that arrives before the handler
    // is installed takes the default action and kills the process.
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    if futures::poll!(ctrl_c.as_mut()).is_ready() {
        return Ok(());
    }
    let listener = net::listen(addr).await?;
    let room = Room::new();
    let serving = net::serve(listener, wire, {
        let room = room.clone();
        move || Session::builder().main(ChatRoomServer::new(room.clone()))
    });
    tokio::select! {
        () = serving => {}
        signal = ctrl_c => {
            signal?;
            eprintln!("chat: shutting down");
            // Members get a last announcement and a clean end of stream, and a moment to
            // read it, rather than a dropped connection.
            room.shut_down(Duration::from_secs(2)).await;
        }
    }
    Ok(())
}

async fn client(addr: &str, name: &str, wire: Wire) -> Result<(), Box<dyn std::error::Error>> {
    let session = net::connect(addr, wire).await?;
    let room: ChatRoomClient = session.main_as();
    let lines = examples::stdin_lines().filter(|line| std::future::ready(!line.trim().is_empty()));
    run_client(&room, name, lines, |message| println!("{message}")).await?;
    session.close();
    Ok(())
}
