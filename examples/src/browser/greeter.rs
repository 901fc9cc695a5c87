//! The interface the browser page calls: one of each kind of call a page makes.

use std::{sync::Mutex, time::Duration};

use rpc_core::{Callback, RpcError, rpc_interface};
use serde::{Deserialize, Serialize};

/// The pause between two ticks of [`Greeter::countdown`], so a person watching the page sees
/// the server call back one tick at a time.
pub const TICK: Duration = Duration::from_millis(200);

/// Counting down from more than this would just keep a connection busy for nothing.
pub const MAX_COUNTDOWN: u32 = 10;

/// What the server offers the page (`greet`, `openNotebook` and `countdown` in JavaScript).
#[rpc_interface]
pub trait Greeter {
    /// A plain call: `"Hello, <name>!"`.
    async fn greet(&self, name: String) -> Result<String, RpcError>;
    /// A returned capability: a new, empty notebook that lives on the server.
    async fn open_notebook(&self, title: String) -> Result<NotebookClient, RpcError>;
    /// A callback the server invokes: calls `tick(n)` for `n = from … 1` (at most
    /// [`MAX_COUNTDOWN`]), waiting for each, then returns `"Liftoff!"`.
    async fn countdown(&self, from: u32, tick: Callback<u32>) -> Result<String, RpcError>;
}

/// A notebook, held by reference: every call on it goes back to the one object on the server.
#[rpc_interface]
pub trait Notebook {
    /// Adds a note; returns how many notes there are now.
    async fn add(&self, note: String) -> Result<u32, RpcError>;
    /// The title and every note, in order.
    async fn read(&self) -> Result<Contents, RpcError>;
}

/// What [`Notebook::read`] returns; JavaScript sees `{title, notes}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contents {
    /// The title given to `open_notebook`.
    pub title: String,
    /// The notes, oldest first.
    pub notes: Vec<String>,
}

/// The server side of [`Greeter`]. It holds nothing: each session gets its own, and each
/// notebook is its own object.
#[derive(Debug, Default, Clone, Copy)]
pub struct GreeterImpl;

impl Greeter for GreeterImpl {
    async fn greet(&self, name: String) -> Result<String, RpcError> {
        let name = name.trim();
        let name = if name.is_empty() { "stranger" } else { name };
        Ok(format!("Hello, {name}!"))
    }

    async fn open_notebook(&self, title: String) -> Result<NotebookClient, RpcError> {
        Ok(NotebookClient::local(NotebookImpl {
            title,
            notes: Mutex::new(Vec::new()),
        }))
    }

    async fn countdown(&self, from: u32, tick: Callback<u32>) -> Result<String, RpcError> {
        for n in (1..=from.min(MAX_COUNTDOWN)).rev() {
            // Awaiting each tick keeps them in order and stops early if the page has gone.
            tick.call(n).await?;
            tokio::time::sleep(TICK).await;
        }
        Ok("Liftoff!".to_owned())
    }
}

/// The server side of [`Notebook`].
#[derive(Debug)]
pub struct NotebookImpl {
    title: String,
    notes: Mutex<Vec<String>>,
}

impl Notebook for NotebookImpl {
    async fn add(&self, note: String) -> Result<u32, RpcError> {
        let mut notes = self.notes.lock().unwrap_or_else(|p| p.into_inner());
        notes.push(note);
        Ok(notes.len().try_into().unwrap_or(u32::MAX))
    }

    async fn read(&self) -> Result<Contents, RpcError> {
        let notes = self.notes.lock().unwrap_or_else(|p| p.into_inner());
        Ok(Contents {
            title: self.title.clone(),
            notes: notes.clone(),
        })
    }
}
