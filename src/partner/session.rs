//! ChatBotKit session tokens: a short-lived token scoped to one partner
//! user's own environment (`POST /v1/partner/user/{id}/session/create`).

use super::wire::Session;
use super::{parse, shape_error, Idempotence, PartnerClient, Request, PARTNER_USERS};
use crate::adapter::{as_date_ms, date_value};
use crate::error::{Error, Result};
use crate::options::SessionParams;
use serde_json::{json, Value};

/// Resolves to `{ id, token, expiresAt }` (`expiresAt` a tagged date).
pub async fn create_session(
    client: &PartnerClient,
    user_id: &str,
    params: SessionParams,
) -> Result<Value> {
    if user_id.is_empty() {
        return Err(Error::invalid("the user id must be a non-empty string"));
    }
    const ACTION: &str = "session/create";
    let body = request_body(params);
    // Each call makes a new session: not repeated after an unclear failure.
    let request = Request::item(&PARTNER_USERS, user_id, ACTION)?.post(&body, Idempotence::Unsafe);
    let answer = client.send(&request).await.map_err(|e| match e {
        Error::PartnerApi {
            status: Some(404), ..
        } => Error::UserNotFound(format!("with id {user_id:?}")),
        other => other,
    })?;
    let session: Session = parse(ACTION, &answer)?;
    let expires_at = as_date_ms(&session.expires_at).ok_or_else(|| shape_error(ACTION))?;
    Ok(json!({ "id": session.id, "token": session.token, "expiresAt": date_value(expires_at) }))
}

/// `{ durationInSeconds?, config?: { allowedRoutes?, contactId? } }`.
fn request_body(params: SessionParams) -> Value {
    let mut body = serde_json::Map::new();
    if let Some(seconds) = params.duration_in_seconds {
        body.insert("durationInSeconds".into(), json!(seconds as u64));
    }
    let mut config = serde_json::Map::new();
    if let Some(routes) = params.allowed_routes {
        config.insert("allowedRoutes".into(), json!(routes));
    }
    if let Some(contact) = params.contact_id {
        config.insert("contactId".into(), json!(contact));
    }
    if !config.is_empty() {
        body.insert("config".into(), Value::Object(config));
    }
    Value::Object(body)
}
