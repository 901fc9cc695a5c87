//! Counts panics per thread, so a test can assert that nothing it drove panicked.
//!
//! Sessions, servers and handlers all run as tasks of the test's own current-thread runtime,
//! which polls them on the test's thread; libtest names that thread after the test. So a panic
//! anywhere in "the server" during a test is recorded under that test's name, and tests
//! running in parallel do not see each other's panics. (A task that panics is caught by tokio
//! and would otherwise go unnoticed: its session would just stop.)

use std::sync::{Mutex, Once};

static PANICKED_THREADS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn this_thread() -> String {
    std::thread::current()
        .name()
        .unwrap_or("<unnamed>")
        .to_owned()
}

/// Installs the panic hook (once per process); the previous hook still prints the panic.
pub fn watch() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICKED_THREADS
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(this_thread());
            previous(info);
        }));
    });
}

/// How many panics happened on this thread since [`watch`] was first called.
pub fn on_this_thread() -> usize {
    let me = this_thread();
    PANICKED_THREADS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|t| **t == me)
        .count()
}
