//! The eight top-level Cap'n Web messages.

use super::Expr;

/// An entry in an import or export table.
///
/// Positive IDs are chosen by the importer (one per push, stream or pipe), negative IDs by the
/// exporter (one per `export`, `promise` or `writable`), and `0` is the main object on both sides.
pub type Id = i64;

/// One top-level protocol message.
///
/// The names and meanings follow Cap'n Web 0.12 exactly; see `docs/book/reference/protocol.md`.
///
/// ```
/// use rpc_core::protocol::{Expr, Message};
/// let pull = Message::Pull(1);
/// assert_eq!(pull.tag(), "pull");
/// let abort = Message::Abort(Expr::String("bye".into()));
/// assert_eq!(abort.tag(), "abort");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// `["push", expr]`: evaluate `expr` at the peer; the result takes the sender's next positive
    /// import ID. Nothing comes back unless it is pulled.
    Push(Expr),
    /// `["pull", importId]`: ask for the resolve or reject of a push result.
    Pull(Id),
    /// `["resolve", exportId, expr]`: settle the peer's import.
    Resolve(Id, Expr),
    /// `["reject", exportId, expr]`: settle the peer's import with a failure.
    Reject(Id, Expr),
    /// `["release", importId, n]`: drop `n` references to one of the peer's exports.
    Release(Id, u32),
    /// `["abort", expr]`: the sender is ending the session because of `expr`.
    Abort(Expr),
    /// `["stream", expr]`: like push, but implicitly pulled and released once settled.
    Stream(Expr),
    /// `["pipe"]`: the peer creates a pipe whose writable end takes the next positive import ID.
    Pipe,
    /// A push that must finish within this many milliseconds: `["push", expr, ms]`.
    ///
    /// A Capstan extension, sent only to Capstan peers (over MessagePack, which capnweb never
    /// speaks). The callee cancels the call when the time is up, and calls it makes may inherit
    /// the deadline. The JSON codec writes it as a plain push.
    PushDeadline(Expr, u64),
}

impl Message {
    /// The wire tag of this message (`"push"`, `"pull"`, …).
    pub fn tag(&self) -> &'static str {
        match self {
            Message::Push(_) | Message::PushDeadline(..) => "push",
            Message::Pull(_) => "pull",
            Message::Resolve(..) => "resolve",
            Message::Reject(..) => "reject",
            Message::Release(..) => "release",
            Message::Abort(_) => "abort",
            Message::Stream(_) => "stream",
            Message::Pipe => "pipe",
        }
    }
}
