//! Helpers shared by the integration tests.
// Each test file uses only some of these helpers.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;

/// Fails the test if `future` takes longer than ten seconds, instead of hanging CI.
pub async fn within_time<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("test took longer than 10 s")
}

/// A payload of `len` bytes whose content depends on `seed`, so a swapped or corrupted frame
/// cannot pass for another.
pub fn payload(len: usize, seed: u8) -> Bytes {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect::<Vec<u8>>()
        .into()
}

/// Frame sizes every byte-stream transport must carry intact: empty, tiny, 64 KiB, 1 MiB.
pub const SIZES: [usize; 4] = [0, 1, 64 * 1024, 1024 * 1024];
