//! Partner users as people: the Partner API has no field for Auth.js's
//! `emailVerified`, so it is kept in the user's `meta`; a user made outside
//! this adapter counts as verified when it was created (the original
//! adapter's rule).

use super::{non_empty, Changes, NewPerson, Person};
use crate::adapter::as_date_ms;
use crate::error::{Error, Result};
use crate::partner::{PartnerClient, PartnerUser};
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

pub(super) async fn find_by_email(client: &PartnerClient, email: &str) -> Result<Option<Person>> {
    Ok(client.find_by_email(email).await?.map(to_person))
}

pub(super) async fn fetch(client: &PartnerClient, id: &str) -> Result<Option<Person>> {
    Ok(client.fetch(id).await?.map(to_person))
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
    client.create(&Value::Object(body)).await
}

pub(super) async fn update(client: &PartnerClient, id: &str, changes: &Changes) -> Result<Person> {
    // The update replaces `meta`, so the current one is read first and kept
    // whole but for the key this adapter owns. Fresh, never from a cache:
    // the meta written back must be current.
    let mut current = client
        .fetch(id)
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
        client.update(id, &Value::Object(body)).await?;
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
