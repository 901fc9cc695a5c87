//! The interactive session: one command a line, from a terminal or a pipe.
//!
//! Results print on stdout, one line of JSON each; errors print on stderr and the session goes
//! on. On a terminal there is a prompt; on a pipe there is none, so a script's output is just
//! its results.

use std::{
    io::{IsTerminal, Write},
    time::Duration,
};

use futures::StreamExt;
use rpc_core::{Session, Stub, Value};

use crate::{
    connect::Endpoint,
    ops,
    render::{self, Capabilities},
};

const HELP: &str = "\
commands:
  METHOD [ARG...]        call METHOD on the server's main object
  $N.METHOD [ARG...]     call METHOD on the capability a result named $N
  describe [$N]          what the main object (or $N) offers
  help                   this text
  quit                   leave (end of input does too)
Each ARG is JSON (1, \"text\", [1,2], {\"a\":1}) or a capability name ($N).
Capabilities in results print as {\"$capability\":\"$N\"}; call them as $N.METHOD.
$0 is the main object: $0.describe calls a method named like a command.";

/// The name of the server's main object, for a method whose name is also a command.
const MAIN: &str = "$0";

/// One parsed line.
#[derive(Debug, PartialEq)]
enum Command {
    Nothing,
    Quit,
    Help,
    Describe(Option<String>),
    Call {
        target: Option<String>,
        method: String,
        args: Vec<Arg>,
    },
}

/// One argument of a call.
#[derive(Debug, PartialEq)]
enum Arg {
    Json(serde_json::Value),
    Capability(String),
}

fn parse(line: &str) -> Result<Command, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Command::Nothing);
    }
    let (head, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    match head {
        "quit" | "exit" => return Ok(Command::Quit),
        "help" | "?" => return Ok(Command::Help),
        "describe" => {
            return match rest.trim() {
                "" => Ok(Command::Describe(None)),
                name if name.starts_with('$') => Ok(Command::Describe(Some(name.to_owned()))),
                other => Err(format!(
                    "describe takes a capability name ($N), not `{other}`"
                )),
            };
        }
        _ => {}
    }
    let (target, method) = match head.strip_prefix('$') {
        Some(_) => match head.split_once('.') {
            Some((name, method)) if !method.is_empty() => (Some(name.to_owned()), method),
            _ => return Err(format!("`{head}` calls nothing: write {head}.METHOD")),
        },
        None => (None, head),
    };
    Ok(Command::Call {
        target,
        method: method.to_owned(),
        args: parse_args(rest)?,
    })
}

/// Whitespace-separated JSON values and `$N` names.
fn parse_args(mut rest: &str) -> Result<Vec<Arg>, String> {
    let mut args = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return Ok(args);
        }
        if rest.starts_with('$') {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            args.push(Arg::Capability(rest[..end].to_owned()));
            rest = &rest[end..];
            continue;
        }
        let mut values = serde_json::Deserializer::from_str(rest).into_iter();
        match values.next() {
            Some(Ok(value)) => {
                args.push(Arg::Json(value));
                rest = &rest[values.byte_offset()..];
            }
            Some(Err(e)) => {
                let word = rest.split_whitespace().next().unwrap_or(rest);
                return Err(format!(
                    "argument {} (`{word}`) is not JSON: {e}; quote a string, as \"{word}\"",
                    args.len() + 1
                ));
            }
            None => return Ok(args),
        }
    }
}

/// Runs commands from stdin against the session until `quit` or end of input. Returns the
/// exit code: 0, or 1 when the session ended under it.
pub async fn run(session: Session, endpoint: &Endpoint, timeout: Duration) -> u8 {
    let terminal = std::io::stdin().is_terminal();
    if terminal {
        println!("connected to {endpoint}; `help` lists the commands");
    }
    let mut capabilities = Capabilities::default();
    let mut lines = Box::pin(examples::stdin_lines());
    loop {
        if terminal {
            print!("capstan> ");
            let _ = std::io::stdout().flush();
        }
        let Some(line) = lines.next().await else {
            break;
        };
        let command = match parse(&line) {
            Ok(command) => command,
            Err(e) => {
                eprintln!("error: {e}");
                continue;
            }
        };
        match command {
            Command::Nothing => {}
            Command::Quit => break,
            Command::Help => println!("{HELP}"),
            Command::Describe(name) => {
                let (stub, what) = match &name {
                    Some(name) if name == MAIN => {
                        (session.main(), format!("the server at {endpoint}"))
                    }
                    Some(name) => match capabilities.get(name) {
                        Some(stub) => (stub.clone(), format!("capability {name}")),
                        None => {
                            eprintln!("error: {}", unknown(name));
                            continue;
                        }
                    },
                    None => (session.main(), format!("the server at {endpoint}")),
                };
                match ops::describe(&stub, &what, timeout).await {
                    Ok((description, _)) => print!("{}", description.to_text()),
                    Err(e) => eprintln!("error: {e}"),
                }
            }
            Command::Call {
                target,
                method,
                args,
            } => match call(&session, &capabilities, target, &method, args, timeout).await {
                Ok(result) => println!("{}", render::to_json(result, &mut capabilities)),
                Err(e) => eprintln!("error: {e}"),
            },
        }
        if let Some(e) = session.broken_error() {
            eprintln!("error: the session ended: {}", render::error_text(&e));
            return 1;
        }
    }
    session.close();
    0
}

async fn call(
    session: &Session,
    capabilities: &Capabilities,
    target: Option<String>,
    method: &str,
    args: Vec<Arg>,
    timeout: Duration,
) -> Result<Value, String> {
    let stub: Stub = match target {
        None => session.main(),
        Some(name) if name == MAIN => session.main(),
        Some(name) => capabilities
            .get(&name)
            .cloned()
            .ok_or_else(|| unknown(&name))?,
    };
    let args = args
        .into_iter()
        .map(|arg| match arg {
            Arg::Json(json) => render::from_json(&json),
            Arg::Capability(name) if name == MAIN => Ok(Value::Stub(session.main())),
            Arg::Capability(name) => capabilities
                .get(&name)
                .map(|stub| Value::Stub(stub.clone()))
                .ok_or_else(|| unknown(&name)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    ops::call(&stub, method, args, timeout).await
}

fn unknown(name: &str) -> String {
    format!("no capability is named {name} (results name them $1, $2, ...)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_parse_into_commands() {
        assert_eq!(parse("  "), Ok(Command::Nothing));
        assert_eq!(parse("# a comment"), Ok(Command::Nothing));
        assert_eq!(parse("quit"), Ok(Command::Quit));
        assert_eq!(
            parse("describe $2"),
            Ok(Command::Describe(Some("$2".into())))
        );
        assert_eq!(
            parse(r#"add 1 -2.5 "a b" {"k": [1, 2]} $3"#),
            Ok(Command::Call {
                target: None,
                method: "add".into(),
                args: vec![
                    Arg::Json(json!(1)),
                    Arg::Json(json!(-2.5)),
                    Arg::Json(json!("a b")),
                    Arg::Json(json!({"k": [1, 2]})),
                    Arg::Capability("$3".into()),
                ],
            })
        );
        assert_eq!(
            parse("$1.increment 5"),
            Ok(Command::Call {
                target: Some("$1".into()),
                method: "increment".into(),
                args: vec![Arg::Json(json!(5))],
            })
        );
        assert!(parse("$1 5").unwrap_err().contains("calls nothing"));
        assert!(
            parse("echo hello")
                .unwrap_err()
                .contains("(`hello`) is not JSON")
        );
    }
}
