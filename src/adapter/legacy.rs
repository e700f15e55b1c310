//! Codes issued by `@chatbotkit/nextauth` before an upgrade, so that a deploy
//! does not void the codes people are typing in at that moment.
//!
//! The original stored a code under `verificationToken:<token>` (no prefix,
//! the token as Auth.js handed it over: `Keys::legacy_verification_token`) with the token object as its value,
//! `expires` as whatever the store made of a `Date` (an ISO string in JSON
//! stores). Such a record is accepted once, only for its own identifier and
//! before its `expires`, then deleted.
//!
//! Guesses at such codes cannot be counted per identifier as current ones
//! are (nothing says which identifiers have one, and a count for every
//! identifier tried would let anyone fill the store), so they share one
//! budget: after `LEGACY_MISS_BUDGET` misses within the hour, no original
//! code is looked up any more until the hour has passed. The budget is kept
//! under a lock of this process.

use super::input::{date_value, now_ms, parse_record, Object};
use super::records::FAILURE_WINDOW_MS;
use super::Adapter;
use crate::error::Result;
use crate::identity::normalize_email;
use crate::store::locks;
use serde_json::{json, Value};
use std::time::UNIX_EPOCH;

/// Misses allowed per hour, for the whole store: guessing one 6-character
/// code within it succeeds with a chance of 1000 / 16.7 million.
const LEGACY_MISS_BUDGET: u64 = 1000;

/// Epoch ms of `expires` as the original's stores kept a `Date`: an ISO
/// string (JSON), a number, or this package's tagged form.
fn expires_ms(record: &Object) -> Option<i64> {
    match record.get("expires")? {
        Value::String(text) => {
            let at = humantime::parse_rfc3339_weak(text.trim()).ok()?;
            let ms = at.duration_since(UNIX_EPOCH).ok()?.as_millis();
            i64::try_from(ms).ok()
        }
        other => super::as_date_ms(other),
    }
}

impl Adapter {
    /// `useVerificationToken` for a code the original issued: the token
    /// object, or null. `identifier` is normalised, `given` as asked.
    pub(super) async fn use_legacy_token(
        &self,
        identifier: &str,
        given: &str,
        token: &str,
    ) -> Result<Value> {
        if self.max_verification_attempts == 0 {
            // No limit wanted: nothing to count.
            return self.take_legacy_token(identifier, given, token).await;
        }
        let failures = self.keys.legacy_verification_failures();
        let lock = format!("legacy-token\0{failures}");
        locks::exclusive(&lock, |_| async {
            let missed = match self.store.get(&failures).await? {
                Some(text) => text.trim().parse::<u64>().unwrap_or(0),
                None => 0,
            };
            if missed >= LEGACY_MISS_BUDGET {
                return Ok(Value::Null);
            }
            let found = self.take_legacy_token(identifier, given, token).await?;
            if found.is_null() {
                let count = (missed + 1).to_string();
                self.store
                    .set(&failures, &count, Some(FAILURE_WINDOW_MS))
                    .await?;
            }
            Ok(found)
        })
        .await
    }

    /// The original's record for `token` if it is `identifier`'s and live
    /// (deleted then), else null (another identifier's is left in place).
    async fn take_legacy_token(&self, identifier: &str, given: &str, token: &str) -> Result<Value> {
        let lock = format!("legacy-token-use\0{token}");
        locks::exclusive(&lock, |_| async {
            let key = self.keys.legacy_verification_token(token);
            let record = match self.store.get(&key).await? {
                // Not an object the original wrote: not a code of ours to judge.
                Some(text) => parse_record(&text).ok(),
                None => None,
            };
            let own = record.as_ref().is_some_and(|r| {
                r.get("identifier")
                    .and_then(Value::as_str)
                    .map(normalize_email)
                    .as_deref()
                    == Some(identifier)
            });
            let (Some(record), true) = (record, own) else {
                return Ok(Value::Null);
            };
            // Its own code, used once: gone whatever it says of its expiry.
            self.store.del(&key).await?;
            let expires = expires_ms(&record).filter(|ms| *ms > now_ms());
            let Some(expires) = expires else {
                return Ok(Value::Null);
            };
            Ok(json!({
                "identifier": given,
                "token": token,
                "expires": date_value(expires),
            }))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_as_the_original_stores_kept_it() {
        let record = |v: Value| parse_record(&json!({ "expires": v }).to_string()).unwrap();
        assert_eq!(
            expires_ms(&record(json!("2026-12-01T21:00:00.123Z"))),
            Some(1_796_158_800_123)
        );
        assert_eq!(expires_ms(&record(json!(5))), Some(5));
        assert_eq!(expires_ms(&record(json!({ "$date": 7 }))), Some(7));
        assert_eq!(expires_ms(&record(json!("soon"))), None);
        assert_eq!(expires_ms(&record(Value::Null)), None);
    }
}
