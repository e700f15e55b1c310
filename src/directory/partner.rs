//! Partner users as people (`/v1/partner/user/...`): the Partner API has no
//! field for Auth.js's `emailVerified`, so it is kept in the user's `meta`;
//! a user made outside this adapter counts as verified when it was created
//! (the original adapter's rule).
//!
//! The list's email filter is unpublished and may match exactly, so a
//! look-up asks it with each spelling `identity` names and checks every
//! answer itself: it never returns a user whose email differs.

use super::{non_empty, Changes, NewPerson, Person};
use crate::adapter::as_date_ms;
use crate::error::{Error, Result};
use crate::identity::{lookup_spellings, normalize_email, same_email};
use crate::partner::wire::{Created, PartnerUser};
use crate::partner::{parse, Idempotence, PartnerClient, Request, PARTNER_USERS};
use serde_json::{json, Map, Value};

/// The meta key that keeps what Auth.js sets as `emailVerified` (epoch ms,
/// or null for "not verified").
const META_EMAIL_VERIFIED: &str = "emailVerified";

fn to_person(user: PartnerUser) -> Person {
    let created_at = user
        .created_at
        .filter(|ms| ms.is_finite())
        .map(|ms| ms as i64);
    let email_verified = match user.meta.as_ref().and_then(|m| m.get(META_EMAIL_VERIFIED)) {
        Some(Value::Null) => None,
        Some(v) => as_date_ms(v).or(created_at),
        None => created_at,
    };
    Person {
        id: user.id,
        email: user.email,
        name: user.name,
        image: user.image,
        email_verified,
    }
}

/// The user whose email matches (trimmed, any case), the oldest if several do.
pub(super) async fn find_by_email(client: &PartnerClient, email: &str) -> Result<Option<Person>> {
    let wanted = normalize_email(email);
    for spelling in lookup_spellings(email) {
        let matches = |user: &PartnerUser| same_email(user.email.as_deref(), &wanted);
        let found = client
            .find_in_list(&PARTNER_USERS, ("email", &spelling), matches)
            .await?;
        if let Some(user) = found {
            return Ok(Some(to_person(user)));
        }
    }
    Ok(None)
}

pub(super) async fn fetch(client: &PartnerClient, id: &str) -> Result<Option<Person>> {
    Ok(fetch_user(client, id).await?.map(to_person))
}

async fn fetch_user(client: &PartnerClient, id: &str) -> Result<Option<PartnerUser>> {
    client.fetch_item(&PARTNER_USERS, id).await
}

pub(super) async fn delete(client: &PartnerClient, id: &str) -> Result<bool> {
    client.delete_item(&PARTNER_USERS, id).await
}

pub(super) async fn create(client: &PartnerClient, new: &NewPerson) -> Result<String> {
    let mut body = Map::new();
    body.insert("email".into(), Value::String(new.email.clone()));
    if let Some(name) = &new.name {
        body.insert("name".into(), Value::String(name.clone()));
    }
    if let Some(image) = &new.image {
        body.insert("image".into(), Value::String(image.clone()));
    }
    body.insert(
        "meta".into(),
        json!({ META_EMAIL_VERIFIED: new.email_verified }),
    );
    // Sent once unless the server surely did not act (see `Idempotence`):
    // the adapter reconciles a create whose outcome is unknown.
    let body = Value::Object(body);
    let request = Request::collection(&PARTNER_USERS, "create").post(&body, Idempotence::Unsafe);
    let created: Created = parse("create user", &client.send(&request).await?)?;
    Ok(created.id)
}

pub(super) async fn update(client: &PartnerClient, id: &str, changes: &Changes) -> Result<Person> {
    // The update replaces `meta`, so the current one is read first and kept
    // whole but for the key this adapter owns. Fresh, never from a cache:
    // the meta written back must be current.
    let mut current = fetch_user(client, id)
        .await?
        .ok_or_else(|| Error::UserNotFound(format!("with id {id:?}")))?;
    let mut body = Map::new();
    if let Some(name) = &changes.name {
        body.insert(
            "name".into(),
            Value::String(name.clone().unwrap_or_default()),
        );
    }
    if let Some(image) = &changes.image {
        body.insert(
            "image".into(),
            Value::String(image.clone().unwrap_or_default()),
        );
    }
    if let Some(email) = &changes.email {
        body.insert("email".into(), Value::String(email.clone()));
    }
    if let Some(verified) = changes.email_verified {
        let mut meta = current.meta.take().unwrap_or_default();
        meta.insert(META_EMAIL_VERIFIED.into(), json!(verified));
        body.insert("meta".into(), Value::Object(meta.clone()));
        current.meta = Some(meta);
    }
    if !body.is_empty() {
        let body = Value::Object(body);
        let request = Request::item(&PARTNER_USERS, id, "update")?.post(&body, Idempotence::Safe);
        client.send(&request).await?;
    }
    let mut person = changes.apply(to_person(current));
    person.name = non_empty(person.name.as_deref());
    person.image = non_empty(person.image.as_deref());
    Ok(person)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_verified_comes_from_meta_else_created_at() {
        let user = |meta: Option<Value>| PartnerUser {
            id: "u".into(),
            created_at: Some(1000.0),
            email: Some("a@b.co".into()),
            meta: meta.and_then(|m| m.as_object().cloned()),
            ..PartnerUser::default()
        };
        assert_eq!(to_person(user(None)).email_verified, Some(1000));
        assert_eq!(
            to_person(user(Some(json!({ "emailVerified": null })))).email_verified,
            None
        );
        assert_eq!(
            to_person(user(Some(json!({ "emailVerified": 5 })))).email_verified,
            Some(5)
        );
        assert_eq!(
            to_person(user(Some(json!({ "emailVerified": "soon" })))).email_verified,
            Some(1000)
        );
    }
}
