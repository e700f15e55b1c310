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
use crate::error::{Error, Result};
use crate::identity::{lookup_spellings, normalize_email, same_email};
use crate::partner::wire::{Contact, Created};
use crate::partner::{parse, Idempotence, PartnerClient, Request, CONTACTS};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

const META_EMAIL: &str = "email";
const META_IMAGE: &str = "image";

fn meta_text<'a>(contact: &'a Contact, key: &str) -> Option<&'a str> {
    contact.meta.as_ref()?.get(key)?.as_str()
}

/// The contact's email: its own field, else the one the adapter keeps in
/// meta.
fn contact_email(contact: &Contact) -> Option<&str> {
    let present = |e: &&str| !e.trim().is_empty();
    (contact.email.as_deref().filter(present))
        .or_else(|| meta_text(contact, META_EMAIL).filter(present))
}

fn to_person(contact: Contact) -> Person {
    // A contact with no email at all gets the original adapter's stand-in,
    // so that it can still be a signed-in user.
    let email = contact_email(&contact).map(str::to_owned).or_else(|| {
        contact
            .fingerprint
            .as_deref()
            .map(|f| format!("{f}@contact.local"))
    });
    Person {
        email,
        name: non_empty(contact.name.as_deref()),
        image: non_empty(meta_text(&contact, META_IMAGE)),
        email_verified: contact
            .verified_at
            .filter(|ms| ms.is_finite())
            .map(|ms| ms as i64),
        id: contact.id,
    }
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

    pub fn client(&self) -> &PartnerClient {
        &self.http
    }

    /// The oldest contact whose email matches (trimmed, any case). Asked of
    /// the list as `meta[email]=` each spelling: contacts made by the
    /// original adapter keep the email as typed.
    pub async fn find_by_email(&self, email: &str) -> Result<Option<Person>> {
        let wanted = normalize_email(email);
        for spelling in lookup_spellings(email) {
            let matches = |contact: &Contact| same_email(contact_email(contact), &wanted);
            let found = self
                .http
                .find_in_list(&CONTACTS, ("meta[email]", &spelling), matches)
                .await?;
            if let Some(contact) = found {
                return Ok(Some(to_person(contact)));
            }
        }
        Ok(None)
    }

    async fn fetch_contact(&self, id: &str) -> Result<Option<Contact>> {
        self.http.fetch_item(&CONTACTS, id).await
    }

    pub async fn fetch(&self, id: &str) -> Result<Option<Person>> {
        Ok(self.fetch_contact(id).await?.map(to_person))
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
        let body = Value::Object(body);
        let request = Request::collection(&CONTACTS, "ensure").post(&body, Idempotence::Safe);
        let created: Created = parse("ensure contact", &self.http.send(&request).await?)?;
        // `ensure` answers whichever contact holds the fingerprint: one whose
        // email was changed outside this adapter is someone else's now, and
        // must never be handed to the person signing up with the old address.
        let wanted = normalize_email(&new.email);
        match self.fetch_contact(&created.id).await? {
            Some(contact) if same_email(contact_email(&contact), &wanted) => Ok(created.id),
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
            let body = Value::Object(body);
            let request = Request::item(&CONTACTS, id, "update")?.post(&body, Idempotence::Safe);
            self.http.send(&request).await?;
        }
        Ok(changes.apply(to_person(current)))
    }

    /// Deletes a contact; `Ok(false)` when there was none.
    pub async fn delete(&self, id: &str) -> Result<bool> {
        self.http.delete_item(&CONTACTS, id).await
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
            to_person(contact),
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
        assert_eq!(to_person(bare).email.as_deref(), Some("fp@contact.local"));
    }
}
