//! What lives in the store: verification tokens, accounts, sessions and
//! authenticators, with the per-user indexes that make `deleteUser` a lookup
//! instead of a scan. Records are kept exactly as given (dates tagged), so
//! every field comes back equal.

use super::input::{
    arg, field_date, field_str, now_ms, object, parse_record, string, to_text, ttl_until, Object,
};
use super::{Adapter, IndexKind};
use crate::error::{Error, Result};
use crate::identity::normalize_email;
use crate::store::{TokenUse, Write};
use serde_json::{json, Value};

impl Adapter {
    // --- verification tokens -------------------------------------------

    pub(super) async fn create_verification_token(&self, args: &[Value]) -> Result<Value> {
        let token = object(arg(args, 0), "the verification token")?;
        let identifier = normalize_email(field_str(token, "identifier", "verificationToken")?);
        if identifier.len() > MAX_IDENTIFIER_BYTES {
            return Err(Error::invalid(format!(
                "verificationToken.identifier must be at most {MAX_IDENTIFIER_BYTES} bytes"
            )));
        }
        let secret = field_str(token, "token", "verificationToken")?;
        let expires = field_date(token, "expires", "verificationToken")?;
        if let Some(ttl) = ttl_until(expires) {
            let key = self.keys.verification_token(&identifier, secret);
            let mut batch = vec![Write::Set {
                key: key.clone(),
                value: to_text(token),
                ttl_ms: Some(ttl),
            }];
            if self.max_verification_attempts > 0 {
                // Remembered so that too many failures can void them all.
                batch.push(Write::SetAdd {
                    key: self.keys.verification_tokens(&identifier),
                    member: self.keys.member(&key),
                    ttl_ms: Some(ttl),
                });
            }
            self.store.write(&batch).await?;
        }
        Ok(Value::Object(token.clone()))
    }

    pub(super) async fn use_verification_token(&self, args: &[Value]) -> Result<Value> {
        let params = object(arg(args, 0), "the verification token")?;
        let given_identifier = field_str(params, "identifier", "params")?;
        let identifier = normalize_email(given_identifier);
        let secret = field_str(params, "token", "params")?;
        if identifier.len() > MAX_IDENTIFIER_BYTES {
            // No code can exist for it: answered without touching the store.
            return Ok(Value::Null);
        }
        let token = self.keys.verification_token(&identifier, secret);
        let failures = self.keys.verification_failures(&identifier);
        let outstanding = self.keys.verification_tokens(&identifier);
        // Read and delete in one step (of two concurrent uses, one wins),
        // counting a miss; too many misses void the identifier's tokens, so
        // a short code cannot be guessed by trying them all.
        let found = self
            .store
            .use_token(&TokenUse {
                token: &token,
                failures: &failures,
                outstanding: &outstanding,
                max_failures: self.max_verification_attempts,
                window_ms: FAILURE_WINDOW_MS,
                member_prefix: self.keys.member_prefix(),
            })
            .await?;
        let Some(mut record) = found.map(|text| parse_record(&text)).transpose()? else {
            // Perhaps a code the original package issued before the upgrade.
            return self
                .use_legacy_token(&identifier, given_identifier, secret)
                .await;
        };
        if !is_live(&record) {
            return Ok(Value::Null);
        }
        // The key matched the email trimmed and in any case. Auth.js then
        // compares identifiers exactly, so the token answers to the spelling
        // it was asked with instead of being burned for a difference of case.
        if record.get("identifier").and_then(Value::as_str) != Some(given_identifier) {
            record.insert(
                "identifier".into(),
                Value::String(given_identifier.to_owned()),
            );
        }
        Ok(Value::Object(record))
    }

    // --- accounts ------------------------------------------------------

    pub(super) async fn link_account(&self, args: &[Value]) -> Result<Value> {
        let account = object(arg(args, 0), "the account")?;
        let user_id = field_str(account, "userId", "account")?;
        let provider = field_str(account, "provider", "account")?;
        let provider_account_id = field_str(account, "providerAccountId", "account")?;
        if self.fetch_user(user_id).await?.is_none() {
            return Err(Error::UserNotFound(format!(
                "with id {user_id:?} to link the account to"
            )));
        }
        let key = self.keys.account(provider, provider_account_id);
        let mut batch = Vec::with_capacity(3);
        // Linked before to someone else: take it off that user's index.
        if let Some(previous) = self.store.get(&key).await? {
            if let Some(Value::String(old_user)) = parse_record(&previous)?.get("userId") {
                if old_user != user_id {
                    batch.push(Write::IndexRemove {
                        key: self.keys.user_index(old_user, IndexKind::Accounts),
                        member: self.keys.member(&key),
                    });
                }
            }
        }
        let kind = IndexKind::Accounts;
        batch.extend(self.indexed_record(key.clone(), account, None, user_id, kind));
        self.store.write(&batch).await?;
        self.undo_if_deleted(user_id, &key, kind).await?;
        Ok(Value::Object(account.clone()))
    }

    pub(super) async fn unlink_account(&self, args: &[Value]) -> Result<Value> {
        let params = object(arg(args, 0), "the account")?;
        let provider = field_str(params, "provider", "account")?;
        let provider_account_id = field_str(params, "providerAccountId", "account")?;
        let key = self.keys.account(provider, provider_account_id);
        self.take_record(&key, IndexKind::Accounts).await
    }

    /// `getAccount(providerAccountId, provider)`: Auth.js's argument order.
    pub(super) async fn get_account(&self, args: &[Value]) -> Result<Value> {
        let provider_account_id = string(arg(args, 0), "providerAccountId")?;
        let provider = string(arg(args, 1), "provider")?;
        let key = self.keys.account(provider, provider_account_id);
        self.read_record(&key).await
    }

    pub(super) async fn get_user_by_account(&self, args: &[Value]) -> Result<Value> {
        let params = object(arg(args, 0), "the account")?;
        let provider = field_str(params, "provider", "account")?;
        let provider_account_id = field_str(params, "providerAccountId", "account")?;
        let key = self.keys.account(provider, provider_account_id);
        let Some(text) = self.store.get(&key).await? else {
            return Ok(Value::Null);
        };
        let record = parse_record(&text)?;
        let Some(Value::String(user_id)) = record.get("userId") else {
            return Ok(Value::Null);
        };
        Ok(self.linked_user(user_id).await?.unwrap_or(Value::Null))
    }

    // --- sessions ------------------------------------------------------

    pub(super) async fn create_session(&self, args: &[Value]) -> Result<Value> {
        let session = object(arg(args, 0), "the session")?;
        let token = field_str(session, "sessionToken", "session")?;
        let user_id = field_str(session, "userId", "session")?;
        let expires = field_date(session, "expires", "session")?;
        if let Some(ttl) = ttl_until(expires) {
            let key = self.keys.session(token);
            let kind = IndexKind::Sessions;
            let batch = self.indexed_record(key.clone(), session, Some(ttl), user_id, kind);
            self.store.write(&batch).await?;
            self.undo_if_deleted(user_id, &key, kind).await?;
        }
        Ok(Value::Object(session.clone()))
    }

    pub(super) async fn get_session_and_user(&self, args: &[Value]) -> Result<Value> {
        let token = string(arg(args, 0), "the session token")?;
        let key = self.keys.session(token);
        let Some(session) = self.live_session(&key).await? else {
            return Ok(Value::Null);
        };
        let Some(Value::String(user_id)) = session.get("userId") else {
            return Ok(Value::Null);
        };
        match self.linked_user(user_id).await? {
            Some(user) => Ok(json!({ "session": session, "user": user })),
            None => {
                // The user was deleted in ChatBotKit: the session is void.
                self.remove_session(&key, user_id).await?;
                Ok(Value::Null)
            }
        }
    }

    pub(super) async fn update_session(&self, args: &[Value]) -> Result<Value> {
        let changes = object(arg(args, 0), "the session")?;
        let token = field_str(changes, "sessionToken", "session")?;
        let key = self.keys.session(token);
        let Some(mut session) = self.live_session(&key).await? else {
            return Ok(Value::Null);
        };
        let old_user = session.get("userId").cloned();
        for (field, value) in changes {
            session.insert(field.clone(), value.clone());
        }
        let user_id = field_str(&session, "userId", "session")?.to_owned();
        let expires = field_date(&session, "expires", "session")?;
        let mut batch = Vec::with_capacity(3);
        // The time-to-live follows `expires`; a session moved into the past
        // is gone.
        batch.push(match ttl_until(expires) {
            Some(ttl) => Write::Set {
                key: key.clone(),
                value: to_text(&session),
                ttl_ms: Some(ttl),
            },
            None => Write::Del { key: key.clone() },
        });
        if old_user.as_ref().and_then(Value::as_str) != Some(user_id.as_str()) {
            if let Some(Value::String(old)) = &old_user {
                batch.push(Write::IndexRemove {
                    key: self.keys.user_index(old, IndexKind::Sessions),
                    member: self.keys.member(&key),
                });
            }
        }
        // Entered again with its new expiry, which is what the index is
        // pruned by; a session moved into the past leaves it.
        let index = self.keys.user_index(&user_id, IndexKind::Sessions);
        let member = self.keys.member(&key);
        batch.push(match ttl_until(expires) {
            Some(_) => Write::IndexAdd {
                key: index,
                member,
                expires_ms: Some(expires),
            },
            None => Write::IndexRemove { key: index, member },
        });
        self.store.write(&batch).await?;
        Ok(Value::Object(session))
    }

    pub(super) async fn delete_session(&self, args: &[Value]) -> Result<Value> {
        let token = string(arg(args, 0), "the session token")?;
        self.take_record(&self.keys.session(token), IndexKind::Sessions)
            .await
    }

    /// The session at `key` if it has not expired. A store that ignores
    /// time-to-live (some JS stores do) still never yields an expired one.
    async fn live_session(&self, key: &str) -> Result<Option<Object>> {
        let Some(text) = self.store.get(key).await? else {
            return Ok(None);
        };
        let session = parse_record(&text)?;
        if is_live(&session) {
            return Ok(Some(session));
        }
        match session.get("userId") {
            Some(Value::String(user_id)) => self.remove_session(key, user_id).await?,
            _ => self.store.del(key).await?,
        }
        Ok(None)
    }

    async fn remove_session(&self, key: &str, user_id: &str) -> Result<()> {
        self.store
            .write(&[
                Write::Del {
                    key: key.to_owned(),
                },
                Write::IndexRemove {
                    key: self.keys.user_index(user_id, IndexKind::Sessions),
                    member: self.keys.member(key),
                },
            ])
            .await
    }

    // --- authenticators ------------------------------------------------

    pub(super) async fn create_authenticator(&self, args: &[Value]) -> Result<Value> {
        let authenticator = object(arg(args, 0), "the authenticator")?;
        let credential_id = field_str(authenticator, "credentialID", "authenticator")?;
        let user_id = field_str(authenticator, "userId", "authenticator")?;
        counter(authenticator.get("counter"))?;
        let key = self.keys.authenticator(credential_id);
        let kind = IndexKind::Authenticators;
        let batch = self.indexed_record(key.clone(), authenticator, None, user_id, kind);
        self.store.write(&batch).await?;
        self.undo_if_deleted(user_id, &key, kind).await?;
        Ok(Value::Object(authenticator.clone()))
    }

    pub(super) async fn get_authenticator(&self, args: &[Value]) -> Result<Value> {
        let credential_id = string(arg(args, 0), "credentialID")?;
        self.read_record(&self.keys.authenticator(credential_id))
            .await
    }

    pub(super) async fn list_authenticators_by_user_id(&self, args: &[Value]) -> Result<Value> {
        let user_id = string(arg(args, 0), "the user id")?;
        let index = self.keys.user_index(user_id, IndexKind::Authenticators);
        let mut members = self.store.index_members(&index).await?;
        // Sets have no order; a stable one keeps results comparable.
        members.sort();
        let mut list = Vec::with_capacity(members.len());
        for member in members {
            match self.store.get(&self.keys.member_key(&member)).await? {
                Some(text) => list.push(Value::Object(parse_record(&text)?)),
                None => self.store.index_remove(&index, &member).await?,
            }
        }
        Ok(Value::Array(list))
    }

    pub(super) async fn update_authenticator_counter(&self, args: &[Value]) -> Result<Value> {
        let credential_id = string(arg(args, 0), "credentialID")?;
        let new_counter = counter(Some(arg(args, 1)))?;
        let key = self.keys.authenticator(credential_id);
        let Some(text) = self.store.get(&key).await? else {
            return Err(Error::NotFound(
                "no authenticator with this credentialID".to_owned(),
            ));
        };
        let mut authenticator = parse_record(&text)?;
        authenticator.insert("counter".into(), new_counter);
        self.store.set(&key, &to_text(&authenticator), None).await?;
        Ok(Value::Object(authenticator))
    }

    // --- shared ----------------------------------------------------------

    /// The writes that keep `record` at `key` (for `ttl_ms`, or forever)
    /// and enter it in its user's `kind` index, to go in one batch.
    fn indexed_record(
        &self,
        key: String,
        record: &Object,
        ttl_ms: Option<u64>,
        user_id: &str,
        kind: IndexKind,
    ) -> [Write; 2] {
        [
            Write::Set {
                key: key.clone(),
                value: to_text(record),
                ttl_ms,
            },
            Write::IndexAdd {
                key: self.keys.user_index(user_id, kind),
                member: self.keys.member(&key),
                expires_ms: ttl_ms.map(|ms| now_ms().saturating_add(ms as i64)),
            },
        ]
    }

    async fn read_record(&self, key: &str) -> Result<Value> {
        match self.store.get(key).await? {
            Some(text) => Ok(Value::Object(parse_record(&text)?)),
            None => Ok(Value::Null),
        }
    }

    /// Deletes the record at `key` (one step, so of two concurrent deletes
    /// one gets it) and its entry in its user's `kind` index; gives the
    /// record, or null when there was none.
    async fn take_record(&self, key: &str, kind: IndexKind) -> Result<Value> {
        let Some(text) = self.store.getdel(key).await? else {
            return Ok(Value::Null);
        };
        let record = parse_record(&text)?;
        if let Some(Value::String(user_id)) = record.get("userId") {
            let index = self.keys.user_index(user_id, kind);
            self.store
                .index_remove(&index, &self.keys.member(key))
                .await?;
        }
        Ok(Value::Object(record))
    }
}

/// Longest identifier (an email, trimmed) a verification token may have:
/// RFC 5321's practical limit for an address. Keys of unbounded length would
/// let unauthenticated callers fill the store.
const MAX_IDENTIFIER_BYTES: usize = 320;

/// How long failed uses of verification tokens are counted: an hour, well
/// beyond the 15 minutes a code lives.
pub(super) const FAILURE_WINDOW_MS: u64 = 60 * 60 * 1000;

/// A record with an `expires` date is live until then.
fn is_live(record: &Object) -> bool {
    match record.get("expires").and_then(super::as_date_ms) {
        Some(expires) => expires > now_ms(),
        None => false,
    }
}

/// A signature counter: a non-negative whole number.
fn counter(value: Option<&Value>) -> Result<Value> {
    match value {
        Some(Value::Number(n)) if n.as_f64().is_some_and(|f| f >= 0.0 && f.fract() == 0.0) => {
            Ok(Value::Number(n.clone()))
        }
        _ => Err(Error::invalid(
            "the authenticator counter must be a non-negative whole number",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{call, partner_adapter, NOWHERE};
    use super::*;

    const HOUR: i64 = 60 * 60 * 1000;

    fn date(ms: i64) -> Value {
        json!({ "$date": ms })
    }

    #[test]
    fn a_record_is_live_only_before_its_expiry() {
        let record = |v: Value| v.as_object().unwrap().clone();
        assert!(is_live(&record(
            json!({ "expires": date(now_ms() + HOUR) })
        )));
        assert!(!is_live(&record(json!({ "expires": date(now_ms() - 1) }))));
        assert!(is_live(&record(json!({ "expires": now_ms() + HOUR }))));
        assert!(!is_live(&record(json!({}))));
        assert!(!is_live(&record(json!({ "expires": "tomorrow" }))));
    }

    #[test]
    fn counters_are_non_negative_whole_numbers() {
        assert_eq!(counter(Some(&json!(0))).unwrap(), json!(0));
        assert_eq!(counter(Some(&json!(7))).unwrap(), json!(7));
        for bad in [json!(-1), json!(1.5), json!("3"), Value::Null] {
            assert_eq!(counter(Some(&bad)).unwrap_err().code(), "INVALID_INPUT");
        }
        assert_eq!(counter(None).unwrap_err().code(), "INVALID_INPUT");
    }

    #[tokio::test]
    async fn a_verification_token_is_used_once_under_any_spelling_of_its_email() {
        let adapter = partner_adapter(NOWHERE, 0);
        let expires = date(now_ms() + HOUR);
        let token = json!({ "identifier": "Ada@Example.com", "token": "t1", "expires": expires });
        let created = call(&adapter, "createVerificationToken", json!([token]))
            .await
            .unwrap();
        assert_eq!(created, token);
        let params = json!({ "identifier": " ada@example.COM ", "token": "t1" });
        let used = call(&adapter, "useVerificationToken", json!([params]))
            .await
            .unwrap();
        // Answered with the spelling asked, the date as it was given.
        assert_eq!(
            used,
            json!({ "identifier": " ada@example.COM ", "token": "t1", "expires": expires })
        );
        let again = call(&adapter, "useVerificationToken", json!([params]))
            .await
            .unwrap();
        assert_eq!(again, Value::Null);
    }

    #[tokio::test]
    async fn an_expired_verification_token_is_never_answered() {
        let adapter = partner_adapter(NOWHERE, 0);
        let token =
            json!({ "identifier": "a@b.co", "token": "old", "expires": date(now_ms() - 1) });
        call(&adapter, "createVerificationToken", json!([token]))
            .await
            .unwrap();
        let params = json!({ "identifier": "a@b.co", "token": "old" });
        let used = call(&adapter, "useVerificationToken", json!([params]))
            .await
            .unwrap();
        assert_eq!(used, Value::Null);
        // Nor one a store kept past its time-to-live.
        let key = adapter.keys.verification_token("a@b.co", "stale");
        let stale =
            json!({ "identifier": "a@b.co", "token": "stale", "expires": date(now_ms() - 1) });
        adapter
            .store
            .set(&key, &stale.to_string(), None)
            .await
            .unwrap();
        let params = json!({ "identifier": "a@b.co", "token": "stale" });
        let used = call(&adapter, "useVerificationToken", json!([params]))
            .await
            .unwrap();
        assert_eq!(used, Value::Null);
    }

    #[tokio::test]
    async fn verification_tokens_with_bad_fields_are_refused() {
        let adapter = partner_adapter(NOWHERE, 0);
        let long = format!("{}@b.co", "a".repeat(MAX_IDENTIFIER_BYTES));
        for token in [
            json!({ "identifier": "", "token": "t", "expires": date(now_ms() + HOUR) }),
            json!({ "identifier": "a@b.co", "token": "t", "expires": "soon" }),
            json!({ "identifier": "a@b.co", "expires": date(now_ms() + HOUR) }),
            json!({ "identifier": long, "token": "t", "expires": date(now_ms() + HOUR) }),
            json!("a@b.co"),
        ] {
            let e = call(&adapter, "createVerificationToken", json!([token]))
                .await
                .unwrap_err();
            assert_eq!(e.code(), "INVALID_INPUT", "{token}");
        }
    }

    #[tokio::test]
    async fn a_session_comes_back_field_for_field_and_follows_its_expiry() {
        let adapter = partner_adapter(NOWHERE, 0);
        let session = json!({
            "sessionToken": "s1", "userId": "u1", "expires": date(now_ms() + HOUR),
            "extra": { "kept": [1, "two"] },
        });
        let created = call(&adapter, "createSession", json!([session]))
            .await
            .unwrap();
        assert_eq!(created, session);
        let key = adapter.keys.session("s1");
        let stored: Value =
            serde_json::from_str(&adapter.store.get(&key).await.unwrap().unwrap()).unwrap();
        assert_eq!(stored, session);
        let index = adapter.keys.user_index("u1", IndexKind::Sessions);
        assert_eq!(
            adapter.store.index_members(&index).await.unwrap(),
            vec![key.clone()]
        );

        // Moved into the past: gone, and out of its user's index.
        let moved = json!({ "sessionToken": "s1", "expires": date(now_ms() - 1) });
        let updated = call(&adapter, "updateSession", json!([moved]))
            .await
            .unwrap();
        assert_eq!(updated["userId"], "u1");
        assert_eq!(updated["extra"], session["extra"]);
        assert_eq!(adapter.store.get(&key).await.unwrap(), None);
        assert!(adapter
            .store
            .index_members(&index)
            .await
            .unwrap()
            .is_empty());
    }

    #[tokio::test]
    async fn an_expired_session_a_store_kept_is_removed_not_answered() {
        let adapter = partner_adapter(NOWHERE, 0);
        let key = adapter.keys.session("s2");
        let expired =
            json!({ "sessionToken": "s2", "userId": "u2", "expires": date(now_ms() - 1) });
        adapter
            .store
            .set(&key, &expired.to_string(), None)
            .await
            .unwrap();
        let found = call(&adapter, "getSessionAndUser", json!(["s2"]))
            .await
            .unwrap();
        assert_eq!(found, Value::Null);
        assert_eq!(adapter.store.get(&key).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_record_that_is_not_json_is_a_store_fault_not_absence() {
        let adapter = partner_adapter(NOWHERE, 0);
        let key = adapter.keys.authenticator("c1");
        adapter.store.set(&key, "{broken", None).await.unwrap();
        let e = call(&adapter, "getAuthenticator", json!(["c1"]))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "STORE");
    }

    #[tokio::test]
    async fn authenticators_list_in_a_stable_order_and_count_up() {
        let adapter = partner_adapter(NOWHERE, 0);
        for id in ["c-b", "c-a"] {
            let a =
                json!({ "credentialID": id, "userId": "u3", "counter": 0, "transports": "usb" });
            call(&adapter, "createAuthenticator", json!([a]))
                .await
                .unwrap();
        }
        let list = call(&adapter, "listAuthenticatorsByUserId", json!(["u3"]))
            .await
            .unwrap();
        let ids: Vec<_> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["credentialID"].clone())
            .collect();
        assert_eq!(ids, vec![json!("c-a"), json!("c-b")]);
        let updated = call(&adapter, "updateAuthenticatorCounter", json!(["c-a", 5]))
            .await
            .unwrap();
        assert_eq!(updated["counter"], 5);
        assert_eq!(updated["transports"], "usb");
        let e = call(&adapter, "updateAuthenticatorCounter", json!(["c-a", -1]))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "INVALID_INPUT");
        let e = call(&adapter, "updateAuthenticatorCounter", json!(["none", 1]))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "NOT_FOUND");
    }

    #[tokio::test]
    async fn unlinking_gives_the_account_back_once() {
        let adapter = partner_adapter(NOWHERE, 0);
        let key = adapter.keys.account("github", "42");
        let account = json!({ "provider": "github", "providerAccountId": "42", "userId": "u4", "type": "oauth" });
        adapter
            .store
            .set(&key, &account.to_string(), None)
            .await
            .unwrap();
        let got = call(&adapter, "getAccount", json!(["42", "github"]))
            .await
            .unwrap();
        assert_eq!(got, account);
        let params = json!({ "provider": "github", "providerAccountId": "42" });
        let taken = call(&adapter, "unlinkAccount", json!([params]))
            .await
            .unwrap();
        assert_eq!(taken, account);
        let again = call(&adapter, "unlinkAccount", json!([params]))
            .await
            .unwrap();
        assert_eq!(again, Value::Null);
    }
}
