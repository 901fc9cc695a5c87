//! The interactive console behind the `console` program, in the style of Duplex RPC's
//! examples: the client streams lines in, the server streams one result back per line as soon
//! as the line arrives, and says `bye` after the client half-closes.
//!
//! The command language is tiny:
//!
//! | input | result |
//! |---|---|
//! | `add 1 2 3` | `6` |
//! | `upper hi` | `HI` |
//! | `echo some text` | `some text` |
//! | `help` | the list of commands |
//! | anything else | `error: …` |

use futures::{Stream, StreamExt, stream};
use rpc_core::{RpcError, RpcStream, rpc_interface};

/// The last line the console sends, after the input has ended.
pub const BYE: &str = "bye";

/// An evaluating console.
#[rpc_interface]
pub trait Console {
    /// Evaluates each line of `input` and streams its result back at once; after `input`
    /// ends, sends [`BYE`] and ends the results.
    async fn session(&self, input: RpcStream<String>) -> Result<RpcStream<String>, RpcError>;
}

/// The server side of [`Console`]; it keeps no state between lines.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConsoleImpl;

impl Console for ConsoleImpl {
    async fn session(&self, input: RpcStream<String>) -> Result<RpcStream<String>, RpcError> {
        // Lazily mapped: each result is computed when its line arrives, and the writer pumps
        // it out straight away. A failed input (a lost connection) ends the results with the
        // same error, and no `bye`.
        let results = input.map(|line| line.map(|line| evaluate(&line)));
        let bye = stream::once(async { Ok(BYE.to_owned()) });
        Ok(RpcStream::from_results(results.chain(bye)))
    }
}

/// The result of one line of input.
pub fn evaluate(line: &str) -> String {
    let line = line.trim();
    let (command, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim_start();
    match command {
        "add" => add(rest).unwrap_or_else(|e| format!("error: {e}")),
        "upper" => rest.to_uppercase(),
        "echo" => rest.to_owned(),
        "help" => "commands: add N N…, upper TEXT, echo TEXT, help".to_owned(),
        "" => "error: empty line (try `help`)".to_owned(),
        other => format!("error: unknown command `{other}` (try `help`)"),
    }
}

fn add(operands: &str) -> Result<String, String> {
    let mut total: i64 = 0;
    for word in operands.split_whitespace() {
        let n: i64 = word
            .parse()
            .map_err(|_| format!("`{word}` is not an integer"))?;
        total = total
            .checked_add(n)
            .ok_or_else(|| "the sum overflows".to_owned())?;
    }
    Ok(total.to_string())
}

/// The client's side: streams `lines` to the console and hands each result to `show` as it
/// arrives, until the console ends its results. The end of `lines` half-closes the input.
pub async fn run_client(
    console: &ConsoleClient,
    lines: impl Stream<Item = String> + Send + 'static,
    mut show: impl FnMut(String),
) -> Result<(), RpcError> {
    let mut results = console.session(RpcStream::new(lines)).await?;
    while let Some(result) = results.next().await {
        show(result?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::evaluate;

    #[test]
    fn the_command_language() {
        assert_eq!(evaluate("add 1 2"), "3");
        assert_eq!(evaluate("  add   -5 2 10 "), "7");
        assert_eq!(evaluate("add"), "0");
        assert_eq!(evaluate("add 1 x"), "error: `x` is not an integer");
        assert_eq!(
            evaluate(&format!("add {} 1", i64::MAX)),
            "error: the sum overflows"
        );
        assert_eq!(evaluate("upper hi there"), "HI THERE");
        assert_eq!(evaluate("echo  x y"), "x y");
        assert!(evaluate("frobnicate").starts_with("error: unknown command `frobnicate`"));
        assert!(evaluate("").starts_with("error: "));
    }
}
