//! The ChatBotKit API client: one `reqwest::Client` (keep-alive pool,
//! rustls), an overall deadline per call, retries with backoff and jitter on
//! answers that say "try again", and strict reading of what comes back.
//!
//! - `transport`: sends one logical request (deadline, size cap, no
//!   redirects, the debug log);
//! - `retry`: what is retried, the backoff, and which failures leave a
//!   create's outcome unknown;
//! - `errors`: HTTP status and body → [`Error`](crate::error::Error), with
//!   what the server quotes back redacted;
//! - `wire`: the API's records as serde structs;
//! - `collection`: partner users and contacts as collections (item paths,
//!   fetch, delete, the one paging loop for finding one in a list);
//! - `session`: ChatBotKit session tokens for a partner user.
//!
//! What the records mean to Auth.js is `directory`'s business.

mod collection;
mod errors;
mod retry;
pub mod session;
mod transport;
pub mod wire;

pub use collection::{Collection, CONTACTS, PARTNER_USERS};
pub(crate) use errors::{parse, shape_error};
pub use retry::{outcome_unknown, Backoff, Idempotence};
pub(crate) use transport::Request;

use crate::error::Result;
use std::time::Duration;
use transport::Transport;

#[derive(Clone)]
pub struct PartnerConfig {
    pub secret: String,
    pub base_url: String,
    /// Overall deadline of one logical call, retries included.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    pub backoff: Backoff,
}

impl std::fmt::Debug for PartnerConfig {
    // Never print the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartnerConfig")
            .field("secret", &"[redacted]")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// The client both directories and the session call share.
#[derive(Debug)]
pub struct PartnerClient {
    transport: Transport,
}

impl PartnerClient {
    /// `config.secret` is set: `options` checked it.
    pub fn new(config: PartnerConfig) -> Result<Self> {
        Ok(Self {
            transport: Transport::new(config)?,
        })
    }

    pub fn config(&self) -> &PartnerConfig {
        self.transport.config()
    }

    /// Sends a request with the deadline and retry policy; returns the body
    /// of a 2xx answer.
    pub(crate) async fn send(&self, request: &Request<'_>) -> Result<Vec<u8>> {
        self.transport.send(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_secret() {
        let config = PartnerConfig {
            secret: "sk-do-not-print".into(),
            base_url: "http://127.0.0.1:1".into(),
            timeout: Duration::from_secs(1),
            retries: 0,
            backoff: Backoff::default(),
        };
        let client = PartnerClient::new(config.clone()).unwrap();
        for printed in [format!("{config:?}"), format!("{client:?}")] {
            assert!(!printed.contains("sk-do-not-print"), "{printed}");
            assert!(printed.contains("[redacted]"), "{printed}");
        }
    }
}
