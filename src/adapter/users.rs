//! Users: people of the adapter's directory (partner users or contacts)
//! seen through the Auth.js user shape `{ id, email, emailVerified, name, image }`.

use super::input::{arg, as_date_ms, date_value, object, string, Object};
use super::{Adapter, IndexKind};
use crate::directory::{non_empty, Changes, NewPerson, Person};
use crate::error::{Error, Result};
use crate::identity::normalize_email;
use crate::store::locks;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::time::Instant;

/// What `createUser` came to.
enum Created {
    /// This call made the user: its id.
    New(String),
    /// A concurrent creation for the same email made it first.
    ByAnother(Person),
}

/// How long a deleted user stays marked: far beyond any call in flight.
const DELETED_MARK_MS: u64 = 60 * 60 * 1000;
/// How long a create whose answer was lost waits before its second look-up.
const RECONCILE_WAIT: Duration = Duration::from_millis(500);
/// How often a creation waiting for another process's lease tries again.
const LEASE_POLL: Duration = Duration::from_millis(25);
/// The longest a creation lease lives, whatever the timeouts.
const MAX_LEASE: Duration = Duration::from_secs(60);

/// An optional `string | null` field of a user given by the caller.
fn optional_text(user: &Object, field: &str) -> Result<Option<Option<String>>> {
    match user.get(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(_) => Err(Error::invalid(format!(
            "user.{field} must be a string or null"
        ))),
    }
}

/// An optional `Date | null` field, in epoch ms.
fn optional_verified(user: &Object) -> Result<Option<Option<i64>>> {
    match user.get("emailVerified") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(v) => as_date_ms(v)
            .map(|ms| Some(Some(ms)))
            .ok_or_else(|| Error::invalid("user.emailVerified must be a Date or null")),
    }
}

fn required_email(user: &Object) -> Result<String> {
    match user.get("email") {
        None | Some(Value::Null) => Err(Error::MissingEmail),
        Some(Value::String(s)) if s.trim().is_empty() => Err(Error::MissingEmail),
        Some(Value::String(s)) => Ok(s.trim().to_owned()),
        Some(_) => Err(Error::invalid("user.email must be a string")),
    }
}

/// A person in the Auth.js user shape `{ id, email, emailVerified, name,
/// image }`; a person without an email cannot be an Auth.js user.
fn to_auth_user(person: &Person) -> Result<Value> {
    let email = person
        .email
        .as_deref()
        .filter(|e| !e.trim().is_empty())
        .ok_or(Error::MissingEmail)?;
    Ok(json!({
        "id": person.id,
        "email": email,
        "emailVerified": person.email_verified.map(date_value),
        "name": non_empty(person.name.as_deref()),
        "image": non_empty(person.image.as_deref()),
    }))
}

fn user_id(value: &Value) -> Result<&str> {
    string(value, "the user id")
}

impl Adapter {
    pub(super) async fn get_user(&self, args: &[Value]) -> Result<Value> {
        let id = user_id(arg(args, 0))?;
        match self.fetch_user(id).await? {
            Some(user) => to_auth_user(&user),
            None => Ok(Value::Null),
        }
    }

    /// The user with this id, `None` for an id no user can have.
    /// Concurrent fetches of one id share a call (and the cache, if on).
    pub(super) async fn fetch_user(&self, id: &str) -> Result<Option<Person>> {
        let lookup = || self.directory.fetch(id);
        self.lookups.get(format!("id:{id}"), lookup).await
    }

    /// The user with this email (trimmed, any case), shared likewise.
    pub(super) async fn find_user_by_email(&self, email: &str) -> Result<Option<Person>> {
        let lookup = || self.directory.find_by_email(email);
        self.lookups
            .get(format!("email:{}", normalize_email(email)), lookup)
            .await
    }

    pub(super) async fn get_user_by_email(&self, args: &[Value]) -> Result<Value> {
        let email = string(arg(args, 0), "the email")?;
        if email.trim().is_empty() {
            return Ok(Value::Null);
        }
        match self.find_user_by_email(email).await? {
            Some(user) => to_auth_user(&user),
            None => Ok(Value::Null),
        }
    }

    pub(super) async fn create_user(&self, args: &[Value]) -> Result<Value> {
        if !self.lifecycle.auto_create_user {
            return Err(Error::CreateDisabled);
        }
        let user = object(arg(args, 0), "the user")?;
        // Created with the email trimmed and lower-cased: the one spelling
        // every later look-up tries first.
        let given = required_email(user)?;
        let email = normalize_email(&given);
        let new = NewPerson {
            email: email.clone(),
            name: optional_text(user, "name")?.flatten(),
            image: optional_text(user, "image")?.flatten(),
            email_verified: optional_verified(user)?.flatten(),
        };

        // Look-up-then-create, one at a time per email: in this process by
        // a lock, across processes by a short lease in the store.
        let (given, email_ref, new_ref) = (&given, &email, &new);
        let created = locks::exclusive(&format!("create-user\0{email}"), |waited| async move {
            let lease = self.keys.user_creation(email_ref);
            let holder = format!("{:016x}", fastrand::u64(..));
            let contended = self.take_lease(&lease, &holder).await? || waited;
            let created = self.create_unless_found(given, new_ref, contended).await;
            self.lookups.invalidate();
            // A lease that cannot be given back expires by itself.
            self.store.release(&lease, &holder).await.ok();
            created
        })
        .await?;
        let id = match created {
            Created::New(id) => id,
            Created::ByAnother(user) => return to_auth_user(&user),
        };
        to_auth_user(&Person {
            id,
            email: Some(new.email),
            name: new.name,
            image: new.image,
            email_verified: new.email_verified,
        })
    }

    /// Takes the user-creation lease, waiting while another process holds
    /// it (at most its lifetime). Says whether it had to wait.
    async fn take_lease(&self, lease: &str, holder: &str) -> Result<bool> {
        let ttl = self.creation_lease_ttl();
        let deadline = Instant::now() + ttl;
        let mut waited = false;
        while !self
            .store
            .acquire(lease, holder, ttl.as_millis() as u64)
            .await?
        {
            if Instant::now() >= deadline {
                return Err(Error::Timeout(
                    "another instance kept creating a user with this email".into(),
                ));
            }
            waited = true;
            tokio::time::sleep(LEASE_POLL).await;
        }
        Ok(waited)
    }

    /// How long a creation may hold its lease: a look-up, a create and its
    /// reconciliation, each within the Partner API deadline.
    fn creation_lease_ttl(&self) -> Duration {
        (self.directory.timeout() * 3 + RECONCILE_WAIT).min(MAX_LEASE)
    }

    /// Creates the user unless the email has one. After waiting for another
    /// creation (`contended`), the user it made is the answer; otherwise an
    /// existing user is `DUPLICATE_USER`.
    /// `given` is the email as the caller spelled it, looked up after the
    /// normalised one (users made elsewhere may keep their own spelling).
    async fn create_unless_found(
        &self,
        given: &str,
        new: &NewPerson,
        contended: bool,
    ) -> Result<Created> {
        match self.directory.find_by_email(given).await? {
            Some(user) if contended => Ok(Created::ByAnother(user)),
            Some(_) => Err(Error::DuplicateUser),
            None => self.create_reconciled(given, new).await.map(Created::New),
        }
    }

    /// Creates the user. When the outcome of a create is unknown (the request
    /// may have reached the server), the email is looked up before trying
    /// again, so a retry never makes a second user.
    /// A directory whose create is idempotent (contacts: `ensure`) has
    /// retried it already, and needs no reconciliation (see
    /// `Directory::create_outcome_unknown`).
    async fn create_reconciled(&self, given: &str, new: &NewPerson) -> Result<String> {
        let mut tries_left = self.directory.retries();
        loop {
            let error = match self.directory.create(new).await {
                Ok(id) => return Ok(id),
                Err(e) => e,
            };
            // Only a create the server may have acted on is looked up and
            // tried again; any other failure is the answer.
            if tries_left == 0 || !self.directory.create_outcome_unknown(&error) {
                return Err(error);
            }
            tries_left -= 1;
            // Create again only when the lookup says for sure there is no
            // such user; a lookup that fails too leaves the first error. A
            // list may lag a create by a moment, so a miss is looked up once
            // more after a short wait (a lag longer than that stays a
            // window for a second user; see the README).
            for wait in [Duration::ZERO, RECONCILE_WAIT] {
                tokio::time::sleep(wait).await;
                match self.directory.find_by_email(given).await {
                    Ok(Some(existing)) => return Ok(existing.id),
                    Ok(None) => {}
                    Err(_) => return Err(error),
                }
            }
        }
    }

    pub(super) async fn update_user(&self, args: &[Value]) -> Result<Value> {
        if !self.lifecycle.auto_update_user {
            return Err(Error::UpdateDisabled);
        }
        let user = object(arg(args, 0), "the user")?;
        let id = match user.get("id") {
            Some(Value::String(s)) if !s.is_empty() => s.as_str(),
            _ => return Err(Error::invalid("user.id must be a non-empty string")),
        };
        let changes = Changes {
            name: optional_text(user, "name")?,
            image: optional_text(user, "image")?,
            email: match user.get("email") {
                None => None,
                Some(_) => Some(required_email(user)?),
            },
            email_verified: optional_verified(user)?,
        };
        let updated = self.directory.update(id, &changes).await;
        if !changes.is_empty() {
            self.lookups.invalidate();
        }
        to_auth_user(&updated?)
    }

    pub(super) async fn delete_user(&self, args: &[Value]) -> Result<Value> {
        if !self.lifecycle.auto_delete_user {
            return Err(Error::DeleteDisabled);
        }
        let id = user_id(arg(args, 0))?;
        // ChatBotKit first: if it refuses, the user keeps every record.
        let deleted = self.directory.delete(id).await;
        self.lookups.invalidate();
        let existed = deleted?;
        if existed {
            // Marked before the records are read, so that a write racing
            // this is either read below or sees the mark after it (and
            // undoes itself). A user that did not exist had nothing racing.
            self.store
                .set(&self.keys.user_deleted(id), "true", Some(DELETED_MARK_MS))
                .await?;
        }
        self.delete_user_records(id).await?;
        if !existed {
            return Err(Error::UserNotFound(format!("with id {id:?}")));
        }
        Ok(Value::Null)
    }

    /// Removes every session, account and authenticator of a user, found
    /// through the per-user indexes (nothing is scanned).
    async fn delete_user_records(&self, id: &str) -> Result<()> {
        let mut keys = Vec::new();
        for kind in IndexKind::ALL {
            let index = self.keys.user_index(id, kind);
            keys.extend(self.store.index_members(&index).await?);
            keys.push(index);
        }
        self.store.del_many(&keys).await
    }

    /// After a record of `user_id` was written: if `deleteUser` removed
    /// that user meanwhile, removes the record and the user's index again
    /// and answers `USER_NOT_FOUND`.
    pub(super) async fn undo_if_deleted(
        &self,
        user_id: &str,
        key: &str,
        kind: IndexKind,
    ) -> Result<()> {
        if self
            .store
            .get(&self.keys.user_deleted(user_id))
            .await?
            .is_none()
        {
            return Ok(());
        }
        self.store
            .del_many(&[key.to_owned(), self.keys.user_index(user_id, kind)])
            .await?;
        Err(Error::UserNotFound(format!(
            "with id {user_id:?}: it was deleted"
        )))
    }

    /// The user a record points to, `None` when ChatBotKit no longer has it.
    pub(super) async fn linked_user(&self, user_id: &str) -> Result<Option<Value>> {
        match self.fetch_user(user_id).await? {
            Some(user) => to_auth_user(&user).map(Some),
            None => Ok(None),
        }
    }
}
