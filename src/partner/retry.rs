//! The retry policy, as data: which failed attempts another attempt may
//! cure, how long to wait before it, and which failures leave a create's
//! outcome unknown (the server may have acted on it). The transport asks it
//! after every attempt; the adapter asks it before creating a user again.

use crate::error::Error;
use std::time::Duration;

/// Whether a request may be sent again when its outcome is unknown.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Idempotence {
    /// Reads, updates with a full body, deletes, `ensure`: safe to repeat.
    Safe,
    /// Creates: repeated only when the server surely did not act on it
    /// (429, 503, connection refused). The caller reconciles the rest.
    Unsafe,
}

/// How one attempt failed, as far as trying again is concerned.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Failure {
    /// The connection was refused: the request never reached the server.
    Refused,
    /// Sent, but no complete answer came back (reset, TLS failure, a body
    /// cut short): the server may have acted.
    NoAnswer,
    /// The answer was larger than we read: a broken or hostile server.
    TooLarge,
    /// A complete answer with this non-2xx status.
    Status(u16),
}

/// Statuses that say the server did not act: any request may go again.
const NOT_ACTED: [u16; 2] = [429, 503];
/// Statuses after which the server may have acted: only safe requests go
/// again, and a create that ends on one has an unknown outcome.
const MAY_HAVE_ACTED: [u16; 3] = [500, 502, 504];

impl Failure {
    /// Whether another attempt may help (retries and the deadline permitting).
    pub fn is_retryable(self, idempotence: Idempotence) -> bool {
        let safe = idempotence == Idempotence::Safe;
        match self {
            Failure::Refused => true,
            Failure::NoAnswer => safe,
            Failure::TooLarge => false,
            Failure::Status(s) if NOT_ACTED.contains(&s) => true,
            Failure::Status(s) if MAY_HAVE_ACTED.contains(&s) => safe,
            Failure::Status(_) => false,
        }
    }
}

/// Whether a create that failed with `error` may still have been acted on:
/// a deadline passed, the connection broke, the server failed in a way that
/// may come after acting, or it said yes in a way we could not read. The
/// caller then looks before creating again. (A refused connection is
/// counted too, being a `Network` error: looking costs one read.)
pub fn outcome_unknown(error: &Error) -> bool {
    match error {
        Error::Timeout(_) | Error::Network(_) => true,
        Error::PartnerApi {
            status: Some(status),
            ..
        } => (200..=299).contains(status) || MAY_HAVE_ACTED.contains(status),
        _ => false,
    }
}

/// Backoff between retries: exponential with full jitter, capped.
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
    use Idempotence::{Safe, Unsafe};

    #[test]
    fn backoff_grows_and_caps() {
        let b = Backoff::default();
        for attempt in 0..20 {
            let d = b.delay(attempt);
            let ceiling = (b.base * 2u32.pow(attempt.min(16))).min(b.max);
            assert!(d >= ceiling / 2 && d <= ceiling, "{attempt}: {d:?}");
        }
    }

    #[test]
    fn answers_that_say_try_again_are_retried_for_every_request() {
        for failure in [Failure::Refused, Failure::Status(429), Failure::Status(503)] {
            assert!(failure.is_retryable(Safe), "{failure:?}");
            assert!(failure.is_retryable(Unsafe), "{failure:?}");
        }
    }

    #[test]
    fn failures_the_server_may_have_acted_on_are_retried_only_when_safe() {
        for failure in [
            Failure::NoAnswer,
            Failure::Status(500),
            Failure::Status(502),
            Failure::Status(504),
        ] {
            assert!(failure.is_retryable(Safe), "{failure:?}");
            assert!(!failure.is_retryable(Unsafe), "{failure:?}");
        }
    }

    #[test]
    fn refusals_and_oversized_answers_are_final() {
        for failure in [400, 401, 403, 404, 409, 422, 301, 501]
            .map(Failure::Status)
            .into_iter()
            .chain([Failure::TooLarge])
        {
            assert!(!failure.is_retryable(Safe), "{failure:?}");
            assert!(!failure.is_retryable(Unsafe), "{failure:?}");
        }
    }

    fn api(status: Option<u16>) -> Error {
        Error::PartnerApi {
            status,
            partner_code: None,
            message: String::new(),
        }
    }

    #[test]
    fn a_create_may_have_happened_after_a_lost_or_failed_answer() {
        for error in [
            Error::Timeout("t".into()),
            Error::Network("reset".into()),
            api(Some(200)),
            api(Some(201)),
            api(Some(500)),
            api(Some(502)),
            api(Some(504)),
        ] {
            assert!(outcome_unknown(&error), "{error:?}");
        }
    }

    #[test]
    fn a_create_the_server_refused_did_not_happen() {
        for error in [
            api(Some(400)),
            api(Some(401)),
            api(Some(409)),
            api(Some(429)),
            api(Some(503)),
            api(None),
            Error::DuplicateUser,
            Error::Config("c".into()),
            Error::invalid("i"),
        ] {
            assert!(!outcome_unknown(&error), "{error:?}");
        }
    }

    #[test]
    fn what_the_transport_gives_up_on_for_a_create_is_what_leaves_it_unknown() {
        // The two halves of one policy agree: a status that an unsafe request
        // is not retried on, though a safe one is, leaves a create unknown.
        for status in 400..600 {
            let only_safe = Failure::Status(status).is_retryable(Safe)
                && !Failure::Status(status).is_retryable(Unsafe);
            assert_eq!(only_safe, outcome_unknown(&api(Some(status))), "{status}");
        }
    }
}
