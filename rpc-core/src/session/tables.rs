//! The import and export tables' entries.

use futures::future::AbortHandle;

use crate::{Stub, pending::Pending};

/// An entry in our import table: something the peer exports to us.
pub(crate) struct ImportEntry {
    /// Tells this entry apart from an earlier one with the same ID (a peer may reuse a promise
    /// ID once it is settled): a handle on the earlier one must not release this one.
    pub(crate) generation: u64,
    /// How many times the peer introduced this ID; `release` sends this count back.
    pub(crate) introductions: u32,
    /// Live `ImportRef`s for this ID; at zero we release it.
    pub(crate) handles: u32,
    /// For push results and `promise` imports: the result.
    pub(crate) result: Option<ImportResult>,
}

pub(crate) struct ImportResult {
    pub(crate) pending: Pending,
    /// `pull` sent already (always true for a `promise`, which is resolved unprompted).
    pub(crate) pulled: bool,
    /// A `stream` message's result: implicitly pulled, and forgotten once settled, without a
    /// `release`.
    pub(crate) stream: bool,
    /// The resolution has arrived and is settling (awaiting promises inside it, whose own
    /// resolutions decide its fate); a session ending now must not reject it.
    pub(crate) arrived: bool,
    /// A message we sent names this result (a call on it, or it as a value): the peer must
    /// keep it until we release it, so it may not become a `stream` call.
    pub(crate) named: bool,
}

/// A new, process-wide unique generation for an import entry.
pub(crate) fn next_generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl ImportEntry {
    pub(crate) fn main() -> Self {
        ImportEntry {
            generation: 0,
            introductions: 0,
            handles: 0,
            result: None,
        }
    }
}

/// An entry in our export table: something we export to the peer.
pub(crate) struct ExportEntry {
    /// Introductions not yet released by the peer.
    pub(crate) refcount: u32,
    pub(crate) kind: ExportKind,
}

pub(crate) enum ExportKind {
    /// An object: the main object, or a stub we passed.
    Capability(Stub),
    /// The result of a peer's push, or a promise we exported.
    Result {
        pending: Pending,
        pulled: bool,
        /// Calls and references that wait on this result; while any exist, a release does not
        /// cancel the call.
        dependents: u32,
        abort: Option<AbortHandle>,
        /// The peer's `stream` message: the entry goes once its resolution is sent.
        auto_release: bool,
    },
    /// Entry 0 when this side serves no main object.
    NoMain,
}
