//! What a failed or unreadable answer becomes: an HTTP status and body, a
//! network failure or a body of the wrong shape → [`Error`]. Text the server
//! sends back may quote what we sent (the secret, an email, an id): it is
//! bounded and redacted here, before it reaches a message.

use super::wire::ErrorBody;
use crate::adapter::encode_segment;
use crate::error::{shorten, Error, Result};
use crate::redact::redact;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

/// Longest API error message kept in our error.
const MAX_MESSAGE: usize = 300;
/// Longest API error code kept.
const MAX_CODE: usize = 64;

pub(super) fn network_error(e: reqwest::Error) -> Error {
    // The URL can carry an email in its query: leave it out.
    let e = e.without_url();
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    Error::Network(message)
}

pub(super) fn timeout_error(timeout: Duration) -> Error {
    Error::Timeout(format!(
        "the ChatBotKit Partner API did not answer within {} ms",
        timeout.as_millis()
    ))
}

/// A body that could not be read: larger than `max_bytes`, or cut short.
pub(super) fn body_error(status: StatusCode, too_large: Option<usize>) -> Error {
    let message = match too_large {
        Some(max) => format!("the response body is larger than {max} bytes"),
        None => "the response body ended before it was complete".to_owned(),
    };
    Error::PartnerApi {
        status: Some(status.as_u16()),
        partner_code: None,
        message,
    }
}

/// What an error body must not echo: the secret and everything a request
/// carried (the id in its path, as given and as encoded there, its query
/// values, every string of its body).
pub(super) fn sent_secrets(
    secret: &str,
    id: Option<&str>,
    query: &[(&str, &str)],
    body: Option<&Value>,
) -> Vec<String> {
    let mut secrets = vec![secret.to_owned()];
    if let Some(id) = id {
        secrets.push(id.to_owned());
        secrets.push(encode_segment(id).into_owned());
    }
    secrets.extend(query.iter().map(|(_, v)| (*v).to_owned()));
    if let Some(body) = body {
        collect_strings(body, &mut secrets);
    }
    secrets
}

/// Every string in a JSON value.
fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// The error for a non-2xx answer. The body's message is kept, bounded, with
/// `secrets` (what the request carried) redacted, whole or in pieces.
pub(super) fn status_error(status: StatusCode, body: &[u8], secrets: &[String]) -> Error {
    let parsed = serde_json::from_slice::<ErrorBody>(body).ok();
    let partner_code = parsed
        .as_ref()
        .and_then(|b| b.code.clone())
        .map(|c| shorten(redact(&shorten(c, MAX_MESSAGE), secrets), MAX_CODE));
    let partner_message = parsed.and_then(|b| b.message).map(|m| {
        // Bounded before redacting (its cost grows with the text); a
        // secret cut by that is still caught piece by piece.
        shorten(redact(&shorten(m, MAX_MESSAGE * 4), secrets), MAX_MESSAGE)
    });
    let message = match (status.as_u16(), partner_message) {
        (300..=399, _) => "the Partner API answered a redirect, which is not followed".to_owned(),
        (401, m) => format!(
            "the partner secret was refused (invalid secret){}",
            m.map(|m| format!(": {m}")).unwrap_or_default()
        ),
        (_, Some(m)) => m,
        (_, None) if body.is_empty() => "empty error body".to_owned(),
        (_, None) => "the error body is not the JSON the API documents".to_owned(),
    };
    Error::PartnerApi {
        status: Some(status.as_u16()),
        partner_code: partner_code.or_else(|| Some(default_code(status.as_u16()))),
        message,
    }
}

/// The official SDK's names for statuses, used when the body has no code.
fn default_code(status: u16) -> String {
    match status {
        400 => "BAD_REQUEST".into(),
        401 => "NOT_AUTHENTICATED".into(),
        403 => "NOT_AUTHORIZED".into(),
        404 => "NOT_FOUND".into(),
        409 => "CONFLICT".into(),
        429 => "TOO_MANY_REQUESTS".into(),
        500 => "INTERNAL_SERVER_ERROR".into(),
        503 => "SERVICE_UNAVAILABLE".into(),
        504 => "GATEWAY_TIMEOUT".into(),
        s => format!("ERROR_{s}"),
    }
}

/// A 2xx answer whose JSON is not the shape the API documents.
pub(crate) fn shape_error(what: &str) -> Error {
    Error::PartnerApi {
        status: Some(200),
        partner_code: None,
        message: format!("the {what} response does not have the documented shape"),
    }
}

/// Reads a 2xx answer as `T`; `what` names the call in the error.
pub(crate) fn parse<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            Error::PartnerApi {
                status: Some(200),
                partner_code: None,
                message: format!("the {what} response is not valid JSON"),
            }
        } else {
            shape_error(what)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::wire::Created;
    use super::*;
    use serde_json::json;

    #[test]
    fn error_bodies() {
        let e = status_error(
            StatusCode::NOT_FOUND,
            br#"{"message":"Not found","code":"NOT_FOUND"}"#,
            &[],
        );
        assert_eq!(e.status(), Some(404));
        assert_eq!(e.partner_code(), Some("NOT_FOUND"));
        let e = status_error(StatusCode::BAD_GATEWAY, b"<html>", &[]);
        assert_eq!(e.partner_code(), Some("ERROR_502"));
        assert!(e.to_string().contains("not the JSON"));
        let e = status_error(StatusCode::UNAUTHORIZED, b"", &[]);
        assert!(e.to_string().contains("invalid secret"));
        let e = status_error(StatusCode::FOUND, br#"{"message":"go"}"#, &[]);
        assert!(e.to_string().contains("redirect"), "{e}");
    }

    #[test]
    fn what_the_request_carried_is_redacted_from_the_answer() {
        let body = json!({ "email": "ada@example.com", "meta": { "note": "private-note" } });
        let secrets = sent_secrets(
            "sk-secret-1234",
            Some("user/42abcdef"),
            &[("cursor", "cursor-value-9")],
            Some(&body),
        );
        let echo = json!({
            "message": "sk-secret-1234 user/42abcdef user%2F42abcdef ada@example.com private-note cursor-value-9",
            "code": "sk-secret-1234",
        });
        let e = status_error(
            StatusCode::BAD_REQUEST,
            echo.to_string().as_bytes(),
            &secrets,
        );
        let text = format!("{e} {:?}", e.partner_code());
        for leaked in [
            "sk-secret",
            "user/42",
            "user%2F42",
            "ada@example",
            "private-note",
            "cursor-value",
        ] {
            assert!(!text.contains(leaked), "{leaked} in {text}");
        }
        assert!(text.contains("[redacted]"), "{text}");
    }

    #[test]
    fn long_server_text_is_bounded() {
        let echo = json!({ "message": "x".repeat(10_000), "code": "y".repeat(1000) });
        let e = status_error(StatusCode::BAD_REQUEST, echo.to_string().as_bytes(), &[]);
        assert!(
            e.to_string().len() < MAX_MESSAGE + 100,
            "{}",
            e.to_string().len()
        );
        assert!(e.partner_code().unwrap().len() <= MAX_CODE + '…'.len_utf8());
    }

    #[test]
    fn unreadable_answers_say_why() {
        let e = parse::<Created>("create user", b"{not json").unwrap_err();
        assert!(e
            .to_string()
            .contains("create user response is not valid JSON"));
        let e = parse::<Created>("create user", b"{\"x\":1}").unwrap_err();
        assert!(e.to_string().contains("does not have the documented shape"));
        assert_eq!(e.status(), Some(200));
    }
}
