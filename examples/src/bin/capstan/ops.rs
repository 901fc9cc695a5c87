//! The two things every command does: call a method and read a description, each bounded by
//! the `--timeout`.

use std::{future::Future, time::Duration};

use rpc_core::{RpcError, Stub, Value, reflect};

use crate::render::{self, Capabilities, Description};

/// Calls `method` on `stub` and returns the result, promises inside it settled.
pub async fn call(
    stub: &Stub,
    method: &str,
    args: Vec<Value>,
    timeout: Duration,
) -> Result<Value, String> {
    bounded(timeout, async {
        let result = stub.call(method, args).await?;
        render::settle(result).await
    })
    .await
}

/// Reads what `stub` offers with the reserved `__describe__`; `what` names it in the error.
/// Returns the description and the JSON it came as.
pub async fn describe(
    stub: &Stub,
    what: &str,
    timeout: Duration,
) -> Result<(Description, serde_json::Value), String> {
    let answer = match tokio::time::timeout(timeout, reflect::describe(stub)).await {
        Ok(Ok(answer)) => answer,
        // The session itself failed: that is the news, not the missing description.
        Ok(Err(e)) if e.is_broken_session() => return Err(render::error_text(&e)),
        Ok(Err(e)) => {
            return Err(format!(
                "{what} offers no description: it is not a Capstan object, or its server \
                 switched reflection off (capnweb servers have no description; `call` still \
                 works). The server answered {}",
                render::error_text(&e)
            ));
        }
        Err(_) => return Err(no_answer(timeout)),
    };
    // A description holds only strings and arrays: no capability to name.
    let json = render::to_json(answer, &mut Capabilities::default());
    let description = Description::from_json(&json)?;
    Ok((description, json))
}

async fn bounded(
    timeout: Duration,
    work: impl Future<Output = Result<Value, RpcError>>,
) -> Result<Value, String> {
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(render::error_text(&e)),
        Err(_) => Err(no_answer(timeout)),
    }
}

fn no_answer(timeout: Duration) -> String {
    format!("no answer within {timeout:?} (see --timeout)")
}
