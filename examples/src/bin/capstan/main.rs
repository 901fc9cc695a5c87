//! `capstan`: talk to a Cap'n Web server from the command line.
//!
//! - `capstan describe URL [--json]`: what the server's main object offers (Capstan servers
//!   answer the reserved `__describe__`; capnweb servers have no description).
//! - `capstan call URL METHOD [JSON...]`: calls a method on the main object and prints the
//!   result as JSON.
//! - `capstan repl URL` (or `capstan --repl URL`): an interactive session, reading commands
//!   from stdin, a terminal or a pipe.
//!
//! URLs: `ws://HOST:PORT/PATH` (JSON unless `--codec` says otherwise), `tcp://HOST:PORT`
//! (MessagePack), `http://HOST:PORT/PATH` (one HTTP batch; `call` and `describe` only).
//!
//! Exit codes: 0 on success, 1 when the call fails or the server cannot be reached, 2 for a
//! command line that does not parse.

mod connect;
mod ops;
mod render;
mod repl;

use std::{process::ExitCode, time::Duration};

use clap::{Parser, Subcommand};

use connect::{CodecChoice, Endpoint};
use render::Capabilities;

#[derive(Debug, Parser)]
#[command(
    name = "capstan",
    version,
    about = "Describe and call Cap'n Web servers (Capstan or capnweb)",
    after_help = "URLs: ws://HOST:PORT/PATH (JSON by default), tcp://HOST:PORT (MessagePack), \
                  http://HOST:PORT/PATH (an HTTP batch: call and describe only)",
    arg_required_else_help = true
)]
struct Cli {
    /// Start an interactive session with the server at URL (the same as `capstan repl URL`).
    #[arg(long, value_name = "URL")]
    repl: Option<String>,

    #[command(flatten)]
    options: Options,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Args)]
struct Options {
    /// The codec: json by default on ws:// and http://, msgpack on tcp://.
    #[arg(long, global = true, value_enum)]
    codec: Option<CodecChoice>,

    /// How long to wait, in seconds, for the connection and for each answer.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 30.0)]
    timeout: f64,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print what the server's main object offers: its methods, their signatures and docs.
    Describe {
        /// The server, e.g. ws://127.0.0.1:8080/rpc or tcp://127.0.0.1:9000.
        url: String,
        /// Print the description as the JSON the server sent.
        #[arg(long)]
        json: bool,
    },
    /// Call METHOD on the server's main object and print the result as JSON.
    Call {
        /// The server, e.g. ws://127.0.0.1:8080/rpc or tcp://127.0.0.1:9000.
        url: String,
        /// The method's name on the wire (camelCase for Capstan interfaces).
        method: String,
        // Given as `help`, not a doc comment: rustdoc would read the brackets as links.
        #[arg(
            allow_hyphen_values = true,
            trailing_var_arg = true,
            help = "The arguments, each one JSON value: 42, '\"text\"', '[1,2]', '{\"a\":1}'"
        )]
        args: Vec<String>,
    },
    /// An interactive session: call methods, and methods of the capabilities they return.
    Repl {
        /// The server, e.g. ws://127.0.0.1:8080/rpc or tcp://127.0.0.1:9000.
        url: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    examples::init_tracing();
    let cli = Cli::parse();
    let timeout = match Duration::try_from_secs_f64(cli.options.timeout) {
        Ok(timeout) if !timeout.is_zero() => timeout,
        _ => {
            eprintln!("error: --timeout must be a positive number of seconds");
            return ExitCode::from(2);
        }
    };
    let command = match (cli.repl, cli.command) {
        (Some(_), Some(_)) => {
            eprintln!("error: --repl takes the place of a command; give one or the other");
            return ExitCode::from(2);
        }
        (Some(url), None) => Command::Repl { url },
        (None, Some(command)) => command,
        (None, None) => unreachable!("clap shows the help when there are no arguments"),
    };
    match run(command, cli.options.codec, timeout).await {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    command: Command,
    codec: Option<CodecChoice>,
    timeout: Duration,
) -> Result<u8, String> {
    match command {
        Command::Describe { url, json } => {
            let endpoint = Endpoint::parse(&url)?;
            let session = connect::connect(&endpoint, codec, timeout).await?;
            let what = format!("the server at {endpoint}");
            let (description, raw) = ops::describe(&session.main(), &what, timeout).await?;
            if json {
                let text = serde_json::to_string_pretty(&raw).expect("JSON values print");
                println!("{text}");
            } else {
                print!("{}", description.to_text());
            }
            session.close();
            Ok(0)
        }
        Command::Call { url, method, args } => {
            let endpoint = Endpoint::parse(&url)?;
            let args = render::parse_json_args(&args)?;
            let session = connect::connect(&endpoint, codec, timeout).await?;
            let result = ops::call(&session.main(), &method, args, timeout).await?;
            // Capabilities are named as in the REPL, though nothing can call them after exit.
            println!("{}", render::to_json(result, &mut Capabilities::default()));
            session.close();
            Ok(0)
        }
        Command::Repl { url } => {
            let endpoint = Endpoint::parse(&url)?;
            if !endpoint.is_lasting() {
                return Err(format!(
                    "{endpoint} is an HTTP batch, which ends after one round of calls; the \
                     REPL needs a ws:// or tcp:// URL"
                ));
            }
            let session = connect::connect(&endpoint, codec, timeout).await?;
            Ok(repl::run(session, &endpoint, timeout).await)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn negative_numbers_are_arguments_not_options() {
        let cli = Cli::try_parse_from(["capstan", "call", "tcp://h:1", "add", "-1", "2"]).unwrap();
        match cli.command {
            Some(Command::Call { args, .. }) => assert_eq!(args, ["-1", "2"]),
            other => panic!("parsed as {other:?}"),
        }
        let cli = Cli::try_parse_from(["capstan", "--repl", "ws://h:1/"]).unwrap();
        assert_eq!(cli.repl.as_deref(), Some("ws://h:1/"));
    }
}
