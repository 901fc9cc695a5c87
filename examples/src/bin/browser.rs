//! Serves a page whose capnweb client calls a Rust server: open the printed URL in a browser.
//!
//! ```sh
//! (cd tests/interop && npm ci)            # capnweb, once
//! cargo run -p examples --bin browser     # then open http://127.0.0.1:8080/
//! ```
//!
//! Usage: `browser [ADDR] [--capnweb PATH]`; `ADDR` defaults to `127.0.0.1:8080`, `PATH` to
//! capnweb's `dist/index.js` under `tests/interop/node_modules`. Prints `LISTENING <port>`
//! once bound (port 0 picks a free one).

use std::{path::PathBuf, process::ExitCode};

use examples::browser;

struct Args {
    addr: String,
    capnweb: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: "127.0.0.1:8080".to_owned(),
        capnweb: browser::default_capnweb_path(),
    };
    let mut rest = std::env::args().skip(1);
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--capnweb" => {
                args.capnweb = rest.next().ok_or("--capnweb needs a PATH")?.into();
            }
            "-h" | "--help" => return Err("usage: browser [ADDR] [--capnweb PATH]".to_owned()),
            _ if arg.starts_with('-') => return Err(format!("unknown option {arg}")),
            _ => args.addr = arg,
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    examples::init_tracing();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("browser: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args = parse_args()?;
    // Read capnweb before binding, so a missing `npm ci` is the first thing reported.
    let capnweb_js = browser::read_capnweb(&args.capnweb)?;
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("LISTENING {}", addr.port());
    println!("open http://{addr}/ in a browser");
    axum::serve(listener, browser::app(capnweb_js))
        .await
        .map_err(|e| e.to_string())
}
