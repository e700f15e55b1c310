//! Backoff between retries: exponential with full jitter, capped.

use std::time::Duration;

#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    /// Delay before the first retry (before jitter).
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    /// `retryDelay`'s default, doubling.
    fn default() -> Self {
        Self {
            base: Duration::from_millis(u64::from(crate::options::RETRY_DELAY_MS)),
            max: Duration::from_secs(5),
        }
    }
}

impl Backoff {
    /// Delay before retry number `attempt` (0-based): a random point in the
    /// upper half of `base * 2^attempt`, so clients that failed together do
    /// not retry together, yet each still waits a while.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX))
            .min(self.max);
        let half = ceiling / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_caps() {
        let b = Backoff::default();
        for attempt in 0..20 {
            let d = b.delay(attempt);
            let ceiling = (b.base * 2u32.pow(attempt.min(16))).min(b.max);
            assert!(d >= ceiling / 2 && d <= ceiling, "{attempt}: {d:?}");
        }
    }
}
