//! Contacts of one ChatBotKit account as people (`/v1/contact/...`).
//!
//! The Contact API's only documented list filter is `meta[KEY]=VALUE`, so
//! the adapter keeps the normalised email in `meta.email` and checks every
//! answer itself: a look-up never returns a contact whose email differs.
//! Contacts are created through `ensure` with a fingerprint derived from the
//! normalised email, so a retried or concurrent first sign-in finds the
//! contact the other one made instead of making a second. `verifiedAt` is
//! Auth.js's `emailVerified`; the image, which contacts have no field for,
//! lives in `meta.image` as the original adapter kept it.

use super::{non_empty, Changes, NewPerson, Person};
use crate::adapter::encode_segment;
use crate::error::{Error, Result};
use crate::identity::normalize_email;
use crate::partner::{parse, Idempotence, PartnerClient};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// Longest contact id sent; no real id comes near it.
const MAX_ID_BYTES: usize = 4096;
/// Pages read when a server ignores the meta filter (100 contacts each).
const MAX_LIST_PAGES: usize = 20;
const META_EMAIL: &str = "email";
const META_IMAGE: &str = "image";

/// A contact as the API returns it; unknown fields are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Contact {
    id: String,
    #[serde(default)]
    fingerprint: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    meta: Option<Map<String, Value>>,
    #[serde(default)]
    verified_at: Option<f64>,
}

impl Contact {
    fn meta_text(&self, key: &str) -> Option<&str> {
        self.meta.as_ref()?.get(key)?.as_str()
    }

    /// The contact's email: its own field, else the one the adapter keeps in
    /// meta.
    fn email(&self) -> Option<&str> {
        self.email
            .as_deref()
            .filter(|e| !e.trim().is_empty())
            .or_else(|| self.meta_text(META_EMAIL).filter(|e| !e.trim().is_empty()))
    }

    fn into_person(self) -> Person {
        // A contact with no email at all gets the original adapter's
        // stand-in, so that it can still be a signed-in user.
        let email = self.email().map(str::to_owned).or_else(|| {
            self.fingerprint
                .as_deref()
                .map(|f| format!("{f}@contact.local"))
        });
        Person {
            email,
            name: non_empty(self.name.as_deref()),
            image: non_empty(self.meta_text(META_IMAGE)),
            email_verified: self
                .verified_at
                .filter(|ms| ms.is_finite())
                .map(|ms| ms as i64),
            id: self.id,
        }
    }
}

#[derive(Deserialize)]
struct ListResponse {
    items: Vec<Contact>,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Deserialize)]
struct IdResponse {
    id: String,
}

/// The fingerprint of the contact for an email: stable, the same for every
/// spelling of one address, and not the address itself.
pub fn contact_fingerprint(email: &str) -> String {
    let digest = Sha256::digest(normalize_email(email).as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("nextauth-email-sha256:{hex}")
}

/// The Contact API client. It shares the Partner client's transport
/// (deadline, retries, size cap, redaction), which only the paths differ from.
#[derive(Debug)]
pub struct ContactClient {
    http: PartnerClient,
}

impl ContactClient {
    pub fn new(http: PartnerClient) -> Self {
        Self { http }
    }

    pub fn retries(&self) -> u32 {
        self.http.config().retries
    }

    pub fn secret(&self) -> &str {
        &self.http.config().secret
    }

    pub fn timeout(&self) -> std::time::Duration {
        self.http.config().timeout
    }

    fn url(&self, action: &str) -> String {
        format!("{}/v1/contact/{action}", self.http.base())
    }

    fn contact_url(&self, id: &str, action: &str) -> Result<String> {
        // `.` and `..` would be resolved as dot segments by any URL parser.
        if id.is_empty() || id == "." || id == ".." || id.len() > MAX_ID_BYTES {
            return Err(Error::invalid(format!(
                "a contact id must be a non-empty string other than `.` or `..`, of at most {MAX_ID_BYTES} bytes"
            )));
        }
        Ok(self.url(&format!("{}/{action}", encode_segment(id))))
    }

    pub async fn find_by_email(&self, email: &str) -> Result<Option<Person>> {
        let wanted = normalize_email(email);
        if let Some(found) = self.find_by_meta_email(&wanted, &wanted).await? {
            return Ok(Some(found));
        }
        // Contacts made by the original adapter keep the email as typed.
        let typed = email.trim();
        if typed != wanted {
            return self.find_by_meta_email(typed, &wanted).await;
        }
        Ok(None)
    }

    /// The oldest contact listed under `meta[email]=filter` whose email is
    /// `wanted`. A server that ignores the filter is paged through (up to a
    /// bound) instead of answering with a stranger.
    async fn find_by_meta_email(&self, filter: &str, wanted: &str) -> Result<Option<Person>> {
        let url = self.url("list");
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_LIST_PAGES {
            let mut query = vec![("meta[email]", filter), ("order", "asc"), ("take", "100")];
            if let Some(c) = &cursor {
                query.push(("cursor", c.as_str()));
            }
            let body = self
                .http
                .send(Method::GET, &url, Some(&query), None, Idempotence::Safe)
                .await?;
            let page: ListResponse = parse("list contacts", &body)?;
            let found = page
                .items
                .iter()
                .position(|c| c.email().map(normalize_email).as_deref() == Some(wanted));
            if let Some(index) = found {
                return Ok(page.items.into_iter().nth(index).map(Contact::into_person));
            }
            match page.cursor {
                Some(next) if !page.items.is_empty() && cursor.as_ref() != Some(&next) => {
                    cursor = Some(next)
                }
                _ => return Ok(None),
            }
        }
        // Not seen in the pages read, but more remain: unknown, not absent.
        // Answering "no such contact" would let createUser make a second.
        Err(Error::PartnerApi {
            status: None,
            partner_code: None,
            message: format!(
                "the contact list ignores the meta filter and the contact was not among the first {} contacts, so whether one exists is unknown",
                MAX_LIST_PAGES * 100
            ),
        })
    }

    async fn fetch_contact(&self, id: &str) -> Result<Option<Contact>> {
        let Ok(url) = self.contact_url(id, "fetch") else {
            return Ok(None);
        };
        match self
            .http
            .send(Method::GET, &url, None, None, Idempotence::Safe)
            .await
        {
            Ok(body) => parse("fetch contact", &body).map(Some),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn fetch(&self, id: &str) -> Result<Option<Person>> {
        Ok(self.fetch_contact(id).await?.map(Contact::into_person))
    }

    /// Creates the contact for `new.email`, or finds the one a concurrent or
    /// earlier attempt made: `ensure` by fingerprint, safe to repeat.
    pub async fn ensure(&self, new: &NewPerson) -> Result<String> {
        let mut meta = Map::new();
        meta.insert(META_EMAIL.into(), json!(normalize_email(&new.email)));
        if let Some(image) = &new.image {
            meta.insert(META_IMAGE.into(), json!(image));
        }
        let mut body = Map::new();
        body.insert("fingerprint".into(), json!(contact_fingerprint(&new.email)));
        body.insert("email".into(), json!(new.email));
        if let Some(name) = &new.name {
            body.insert("name".into(), json!(name));
        }
        if let Some(ms) = new.email_verified {
            body.insert("verifiedAt".into(), json!(ms));
        }
        body.insert("meta".into(), Value::Object(meta));
        let answer = self
            .http
            .send(
                Method::POST,
                &self.url("ensure"),
                None,
                Some(&Value::Object(body)),
                Idempotence::Safe,
            )
            .await?;
        let created: IdResponse = parse("ensure contact", &answer)?;
        // `ensure` answers whichever contact holds the fingerprint: one whose
        // email was changed outside this adapter is someone else's now, and
        // must never be handed to the person signing up with the old address.
        let wanted = normalize_email(&new.email);
        match self.fetch_contact(&created.id).await? {
            Some(contact) if contact.email().map(normalize_email).as_deref() == Some(&wanted) => {
                Ok(created.id)
            }
            _ => Err(Error::DuplicateUser),
        }
    }

    pub async fn update(&self, id: &str, changes: &Changes) -> Result<Person> {
        // The update replaces `meta`: read the current one first (fresh) and
        // change only the keys this adapter owns.
        let current = self
            .fetch_contact(id)
            .await?
            .ok_or_else(|| Error::UserNotFound(format!("with id {id:?}")))?;
        let mut body = Map::new();
        let mut meta = current.meta.clone().unwrap_or_default();
        let mut meta_changed = false;
        if let Some(name) = &changes.name {
            body.insert("name".into(), json!(name.clone().unwrap_or_default()));
        }
        if let Some(email) = &changes.email {
            body.insert("email".into(), json!(email));
            // The fingerprint follows the email, so that a sign-up with the
            // old address makes a new contact instead of finding this one.
            body.insert("fingerprint".into(), json!(contact_fingerprint(email)));
            meta.insert(META_EMAIL.into(), json!(normalize_email(email)));
            meta_changed = true;
        }
        if let Some(image) = &changes.image {
            match image {
                Some(image) => meta.insert(META_IMAGE.into(), json!(image)),
                None => meta.remove(META_IMAGE),
            };
            meta_changed = true;
        }
        match changes.email_verified {
            Some(Some(ms)) => {
                body.insert("verifiedAt".into(), json!(ms));
            }
            // The API documents `verifiedAt` as a number only: there is no
            // way to clear it, and pretending would be worse than saying so.
            Some(None) if current.verified_at.is_some() => {
                return Err(Error::invalid(
                    "user.emailVerified cannot be cleared: the Contact API has no way to unset verifiedAt",
                ))
            }
            _ => {}
        }
        if meta_changed {
            body.insert("meta".into(), Value::Object(meta));
        }
        if !body.is_empty() {
            let url = self.contact_url(id, "update")?;
            self.http
                .send(
                    Method::POST,
                    &url,
                    None,
                    Some(&Value::Object(body)),
                    Idempotence::Safe,
                )
                .await?;
        }
        Ok(changes.apply(current.into_person()))
    }

    /// Deletes a contact; `Ok(false)` when there was none.
    pub async fn delete(&self, id: &str) -> Result<bool> {
        let Ok(url) = self.contact_url(id, "delete") else {
            return Ok(false);
        };
        match self
            .http
            .send(
                Method::POST,
                &url,
                None,
                Some(&Value::Object(Map::new())),
                Idempotence::Safe,
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(404) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_fingerprint_per_address_whatever_the_spelling() {
        let a = contact_fingerprint("Ada@Example.com");
        assert_eq!(a, contact_fingerprint("  ada@example.com "));
        assert_ne!(a, contact_fingerprint("ada@example.org"));
        assert!(!a.contains("ada"), "{a}");
    }

    #[test]
    fn a_contact_maps_to_a_person() {
        let contact: Contact = serde_json::from_value(json!({
            "id": "c1", "fingerprint": "f", "name": "", "verifiedAt": 5,
            "meta": { "email": "a@b.co", "image": "https://i" }
        }))
        .unwrap();
        assert_eq!(
            contact.into_person(),
            Person {
                id: "c1".into(),
                email: Some("a@b.co".into()),
                name: None,
                image: Some("https://i".into()),
                email_verified: Some(5),
            }
        );
        let bare: Contact =
            serde_json::from_value(json!({ "id": "c2", "fingerprint": "fp" })).unwrap();
        assert_eq!(
            bare.into_person().email.as_deref(),
            Some("fp@contact.local")
        );
    }
}
