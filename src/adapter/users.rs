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
    /// reconciliation, each within the API deadline.
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
            let members = self.store.index_members(&index).await?;
            keys.extend(members.iter().map(|member| self.keys.member_key(member)));
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

#[cfg(test)]
mod tests {
    use super::super::test_support::{
        call, contact_adapter, partner_adapter, partner_adapter_with, ScriptedApi, NOWHERE,
    };
    use super::super::Settings;
    use super::*;
    use serde_json::json;

    const CREATE: &str = "POST /v1/partner/user/create";
    const LIST: &str = "GET /v1/partner/user/list";

    fn user_object(v: Value) -> Object {
        v.as_object().unwrap().clone()
    }

    fn ok(body: Value) -> (u16, String) {
        (200, body.to_string())
    }

    fn page(items: Value) -> (u16, String) {
        ok(json!({ "items": items }))
    }

    fn failed(status: u16) -> (u16, String) {
        (
            status,
            json!({ "message": "failed", "code": "X" }).to_string(),
        )
    }

    #[test]
    fn a_given_email_is_trimmed_and_required() {
        let email = |v: Value| required_email(&user_object(json!({ "email": v })));
        assert_eq!(
            email(json!("  Ada@Example.com ")).unwrap(),
            "Ada@Example.com"
        );
        assert_eq!(email(json!("   ")).unwrap_err(), Error::MissingEmail);
        assert_eq!(email(Value::Null).unwrap_err(), Error::MissingEmail);
        assert_eq!(email(json!(5)).unwrap_err().code(), "INVALID_INPUT");
        assert_eq!(
            required_email(&user_object(json!({}))).unwrap_err(),
            Error::MissingEmail
        );
    }

    #[test]
    fn optional_fields_tell_absent_from_cleared() {
        let user =
            user_object(json!({ "name": "Ada", "image": null, "emailVerified": { "$date": 5 } }));
        assert_eq!(
            optional_text(&user, "name").unwrap(),
            Some(Some("Ada".into()))
        );
        assert_eq!(optional_text(&user, "image").unwrap(), Some(None));
        assert_eq!(optional_text(&user, "missing").unwrap(), None);
        assert_eq!(optional_verified(&user).unwrap(), Some(Some(5)));
        let cleared = user_object(json!({ "emailVerified": null, "name": 3 }));
        assert_eq!(optional_verified(&cleared).unwrap(), Some(None));
        assert_eq!(optional_verified(&user_object(json!({}))).unwrap(), None);
        assert_eq!(
            optional_text(&cleared, "name").unwrap_err().code(),
            "INVALID_INPUT"
        );
        let bad = user_object(json!({ "emailVerified": "yesterday" }));
        assert_eq!(optional_verified(&bad).unwrap_err().code(), "INVALID_INPUT");
    }

    #[test]
    fn a_person_becomes_an_auth_js_user() {
        let person = Person {
            id: "u1".into(),
            email: Some("ada@example.com".into()),
            name: Some(String::new()),
            image: Some("https://i".into()),
            email_verified: Some(7),
        };
        assert_eq!(
            to_auth_user(&person).unwrap(),
            json!({
                "id": "u1", "email": "ada@example.com", "emailVerified": { "$date": 7 },
                "name": null, "image": "https://i",
            })
        );
        let unverified = Person {
            email_verified: None,
            ..person.clone()
        };
        assert_eq!(
            to_auth_user(&unverified).unwrap()["emailVerified"],
            Value::Null
        );
        for email in [None, Some(" ".to_owned())] {
            let nameless = Person {
                email,
                ..person.clone()
            };
            assert_eq!(to_auth_user(&nameless).unwrap_err(), Error::MissingEmail);
        }
    }

    #[tokio::test]
    async fn a_user_is_created_with_the_normalised_email_and_verification_in_meta() {
        let api = ScriptedApi::start(|route, _| match route {
            LIST => page(json!([])),
            CREATE => ok(json!({ "id": "u-new" })),
            _ => failed(404),
        })
        .await;
        let adapter = partner_adapter(&api.base, 0);
        let user =
            json!({ "email": " Ada@Example.com ", "name": "Ada", "emailVerified": { "$date": 9 } });
        let created = call(&adapter, "createUser", json!([user])).await.unwrap();
        assert_eq!(
            created,
            json!({
                "id": "u-new", "email": "ada@example.com", "emailVerified": { "$date": 9 },
                "name": "Ada", "image": null,
            })
        );
        let seen = api.seen();
        let create = seen.iter().find(|s| s.route == CREATE).unwrap();
        let body: Value = serde_json::from_str(&create.body).unwrap();
        assert_eq!(
            body,
            json!({ "email": "ada@example.com", "name": "Ada", "meta": { "emailVerified": 9 } })
        );
        // Looked up first under the normalised spelling, then as given.
        let lists: Vec<_> = seen.iter().filter(|s| s.route == LIST).collect();
        assert_eq!(lists.len(), 2);
        assert!(
            lists[0].query.contains("email=ada%40example.com"),
            "{}",
            lists[0].query
        );
        assert!(
            lists[1].query.contains("email=Ada%40Example.com"),
            "{}",
            lists[1].query
        );
    }

    #[tokio::test]
    async fn a_create_whose_answer_was_lost_finds_the_user_it_made() {
        // The create fails in a way that may come after acting; the list
        // then shows the user: that user is the answer, and no second
        // create is sent.
        let api = ScriptedApi::start(|route, n| match (route, n) {
            (CREATE, _) => failed(502),
            (LIST, 0) => page(json!([])),
            (LIST, _) => page(json!([{ "id": "u-made", "email": "lost@example.com" }])),
            _ => failed(404),
        })
        .await;
        let adapter = partner_adapter(&api.base, 2);
        let user = json!({ "email": "lost@example.com" });
        let created = call(&adapter, "createUser", json!([user])).await.unwrap();
        assert_eq!(created["id"], "u-made");
        assert_eq!(api.count(CREATE), 1);
        assert_eq!(api.count(LIST), 2);
    }

    #[tokio::test]
    async fn after_a_lost_answer_and_no_user_found_the_create_is_sent_again() {
        let api = ScriptedApi::start(|route, n| match (route, n) {
            (CREATE, 0) => failed(504),
            (CREATE, _) => ok(json!({ "id": "u-second" })),
            (LIST, _) => page(json!([])),
            _ => failed(404),
        })
        .await;
        let adapter = partner_adapter(&api.base, 1);
        let user = json!({ "email": "again@example.com" });
        let created = call(&adapter, "createUser", json!([user])).await.unwrap();
        assert_eq!(created["id"], "u-second");
        assert_eq!(api.count(CREATE), 2);
        // The first look-up, then two before creating again (one after a wait).
        assert_eq!(api.count(LIST), 3);
    }

    #[tokio::test]
    async fn a_refused_create_is_the_answer_and_is_not_reconciled() {
        let api = ScriptedApi::start(|route, _| match route {
            CREATE => failed(400),
            LIST => page(json!([])),
            _ => failed(404),
        })
        .await;
        let adapter = partner_adapter(&api.base, 3);
        let user = json!({ "email": "refused@example.com" });
        let e = call(&adapter, "createUser", json!([user]))
            .await
            .unwrap_err();
        assert_eq!((e.code(), e.status()), ("PARTNER_API", Some(400)));
        assert_eq!(api.count(CREATE), 1);
        assert_eq!(api.count(LIST), 1);
    }

    #[tokio::test]
    async fn with_no_retries_a_lost_create_is_reported_not_repeated() {
        let api = ScriptedApi::start(|route, _| match route {
            CREATE => failed(500),
            LIST => page(json!([])),
            _ => failed(404),
        })
        .await;
        let adapter = partner_adapter(&api.base, 0);
        let user = json!({ "email": "once@example.com" });
        let e = call(&adapter, "createUser", json!([user]))
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(500));
        assert_eq!(api.count(CREATE), 1);
        assert_eq!(api.count(LIST), 1);
    }

    #[tokio::test]
    async fn an_existing_email_is_a_duplicate_in_any_spelling() {
        let api = ScriptedApi::start(|route, _| match route {
            LIST => page(json!([{ "id": "u-old", "email": "Taken@Example.com" }])),
            _ => failed(404),
        })
        .await;
        let adapter = partner_adapter(&api.base, 0);
        let user = json!({ "email": "taken@example.COM" });
        let e = call(&adapter, "createUser", json!([user]))
            .await
            .unwrap_err();
        assert_eq!(e, Error::DuplicateUser);
        assert_eq!(api.count(CREATE), 0);
        let found = call(&adapter, "getUserByEmail", json!([" TAKEN@example.com"]))
            .await
            .unwrap();
        assert_eq!(found["id"], "u-old");
    }

    #[tokio::test]
    async fn a_contact_create_is_never_reconciled_by_the_adapter() {
        // `ensure` is safe to repeat: the client retried it, and a failure
        // that remains is the answer, with no look-up before creating again.
        let api = ScriptedApi::start(|route, _| match route {
            "POST /v1/contact/ensure" => failed(502),
            "GET /v1/contact/list" => page(json!([])),
            _ => failed(404),
        })
        .await;
        let adapter = contact_adapter(&api.base, 1);
        let user = json!({ "email": "contact@example.com" });
        let e = call(&adapter, "createUser", json!([user]))
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(502));
        assert_eq!(api.count("POST /v1/contact/ensure"), 2);
        assert_eq!(api.count("GET /v1/contact/list"), 1);
    }

    #[tokio::test]
    async fn lifecycle_switches_and_blank_emails_answer_without_a_request() {
        let adapter = partner_adapter_with(NOWHERE, 0, Settings::default());
        let user = json!({ "email": "a@b.co" });
        let e = call(&adapter, "createUser", json!([user]))
            .await
            .unwrap_err();
        assert_eq!(e, Error::CreateDisabled);
        let e = call(&adapter, "deleteUser", json!(["u1"]))
            .await
            .unwrap_err();
        assert_eq!(e, Error::DeleteDisabled);
        let found = call(&adapter, "getUserByEmail", json!(["   "]))
            .await
            .unwrap();
        assert_eq!(found, Value::Null);
        let e = call(&adapter, "updateUser", json!([{ "name": "x" }]))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "INVALID_INPUT");
    }
}
