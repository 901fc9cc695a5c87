//! The waits between a [`Reconnecting`](super::Reconnecting) client's attempts.

use std::{
    hash::{BuildHasher, Hasher},
    time::Duration,
};

/// How long to wait between attempts: doubling from `min` up to `max`.
///
/// With jitter (the default) each wait is drawn between half the delay and the whole of it, so
/// many clients cut off by one server restart do not all redial in the same instant. Tests
/// turn it off for exact timings.
///
/// ```
/// use std::time::Duration;
/// use rpc_core::reconnect::Backoff;
/// let b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1)).without_jitter();
/// assert_eq!(b.delay(1), Duration::from_millis(100));
/// assert_eq!(b.delay(3), Duration::from_millis(400));
/// assert_eq!(b.delay(10), Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    jitter: bool,
}

impl Default for Backoff {
    /// 100 ms doubling to 30 s, with jitter.
    fn default() -> Self {
        Backoff::new(Duration::from_millis(100), Duration::from_secs(30))
    }
}

impl Backoff {
    /// Waits doubling from `min` to at most `max` (`max` is raised to `min` if smaller).
    pub fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            min,
            max: max.max(min),
            jitter: true,
        }
    }

    /// Exact delays, for tests and for single clients.
    pub fn without_jitter(mut self) -> Self {
        self.jitter = false;
        self
    }

    /// The wait before retry number `retry` (counting from 1).
    pub fn delay(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        let full = self.min.saturating_mul(1 << doublings).min(self.max);
        if !self.jitter {
            return full;
        }
        // No random-number dependency: std's hasher keys are randomised per instance, which is
        // plenty to spread clients apart.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u32(retry);
        let fraction = (hasher.finish() % 1_000) as u32;
        full / 2 + (full / 2) * fraction / 1_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jittered_delays_stay_between_half_and_the_whole() {
        let b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        for retry in 1..20 {
            let full = b.without_jitter().delay(retry);
            let d = b.delay(retry);
            assert!(
                d >= full / 2 && d <= full,
                "retry {retry}: {d:?} vs {full:?}"
            );
        }
    }

    #[test]
    fn huge_retry_counts_do_not_overflow() {
        let b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60)).without_jitter();
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(60));
        assert_eq!(b.delay(0), Duration::from_secs(1));
    }
}
