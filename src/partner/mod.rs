//! The ChatBotKit Partner API client: one `reqwest::Client` (keep-alive pool,
//! rustls), an overall deadline per call, retries with backoff and jitter on
//! answers that say "try again", and strict reading of what comes back.

mod retry;
pub mod session;

use crate::adapter::encode_segment;
use crate::error::{shorten, Error, Result};
use crate::identity::normalize_email;
use crate::redact::redact;
use reqwest::header::HeaderValue;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::time::Duration;
use tokio::time::Instant;

pub use retry::Backoff;

/// Largest response body read; more is a broken or hostile server.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Longest user id sent; no real id comes near it.
const MAX_ID_BYTES: usize = 4096;
/// Longest partner error message kept in our error.
const MAX_MESSAGE: usize = 300;
/// Longest partner error code kept.
const MAX_CODE: usize = 64;

#[derive(Clone)]
pub struct PartnerConfig {
    pub secret: String,
    pub base_url: String,
    /// Overall deadline of one logical call, retries included.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    pub backoff: Backoff,
}

/// A partner user as the API returns it. Unknown fields are ignored; missing
/// optional ones are `None`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PartnerUser {
    pub id: String,
    #[serde(default)]
    pub created_at: Option<f64>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub meta: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct ListResponse {
    items: Vec<PartnerUser>,
    #[serde(default)]
    cursor: Option<String>,
}

/// Pages read when a server ignores the email filter (100 users each).
const MAX_LIST_PAGES: usize = 20;

#[derive(Deserialize)]
struct IdResponse {
    id: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    code: Option<String>,
}

/// Whether a request may be sent again when its outcome is unknown.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Idempotence {
    /// Reads, updates with a full body, deletes: safe to repeat.
    Safe,
    /// Creates: repeated only when the server surely did not act on it
    /// (429, 503, connection refused). The caller reconciles the rest.
    Unsafe,
}

pub struct PartnerClient {
    http: reqwest::Client,
    base: String,
    auth_header: HeaderValue,
    config: PartnerConfig,
    /// `DEBUG=nextauth-chatbotkit`: one line per request (method, path,
    /// status, time); never headers, query or bodies.
    debug: bool,
}

impl std::fmt::Debug for PartnerConfig {
    // Never print the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartnerConfig")
            .field("secret", &"[redacted]")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("backoff", &self.backoff)
            .finish()
    }
}

impl std::fmt::Debug for PartnerClient {
    // Never print the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartnerClient")
            .field("base", &self.base)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// The outcome of one attempt, before retry policy is applied.
enum Attempt {
    Done(Vec<u8>),
    /// Failed; `retry` says whether another attempt may help, `after` is the
    /// server's Retry-After.
    Failed {
        error: Error,
        retry: bool,
        after: Option<Duration>,
    },
}

impl PartnerClient {
    /// `config.secret` is set: `options` checked it.
    pub fn new(config: PartnerConfig) -> Result<Self> {
        // Checked and built once; marked sensitive so that no Debug output
        // of a request shows it.
        let mut auth_header =
            HeaderValue::from_str(&format!("Bearer {}", config.secret)).map_err(|_| {
                Error::Config(
                    "`secret` contains characters that cannot be sent in an HTTP header".into(),
                )
            })?;
        auth_header.set_sensitive(true);
        let base = config.base_url.trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base)
            .map_err(|_| Error::Config("`baseUrl` is not a valid URL".into()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::Config(
                "`baseUrl` must be an http or https URL".into(),
            ));
        }
        let http = reqwest::Client::builder()
            // A redirect would carry emails, bodies and answers to another
            // host: a 3xx is an error like any other non-2xx.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("nextauth-chatbotkit/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(30))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            auth_header,
            base,
            config,
            debug: crate::options::debug_enabled(),
        })
    }

    pub fn config(&self) -> &PartnerConfig {
        &self.config
    }

    /// The base URL without a trailing `/` (the contact client's paths hang off it).
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    fn user_url(&self, id: &str, action: &str) -> Result<String> {
        // `.` and `..` would be resolved as dot segments by any URL parser,
        // even percent-encoded, so they can never name a user.
        if id.is_empty() || id == "." || id == ".." || id.len() > MAX_ID_BYTES {
            return Err(Error::invalid(format!(
                "a user id must be a non-empty string other than `.` or `..`, of at most {MAX_ID_BYTES} bytes"
            )));
        }
        Ok(format!(
            "{}/v1/partner/user/{}/{action}",
            self.base,
            encode_segment(id)
        ))
    }

    /// The user whose email matches `email` (trimmed, case-insensitive),
    /// the oldest if several do. The list filter is unpublished and may
    /// match exactly, so it is asked with the email trimmed and lower-cased
    /// (how this adapter creates users), then with the given spelling when
    /// that differs. What the server sends is checked, not trusted: a server
    /// that ignores the filter is paged through, up to a bound past which
    /// the answer is an error, never "no such user".
    pub async fn find_by_email(&self, email: &str) -> Result<Option<PartnerUser>> {
        let normalized = normalize_email(email);
        if let Some(user) = self.find_by_email_as(&normalized, &normalized).await? {
            return Ok(Some(user));
        }
        let given = email.trim();
        if given == normalized {
            return Ok(None);
        }
        self.find_by_email_as(given, &normalized).await
    }

    /// One look-up with `filter` as the list's email filter.
    async fn find_by_email_as(&self, filter: &str, wanted: &str) -> Result<Option<PartnerUser>> {
        let url = format!("{}/v1/partner/user/list", self.base);
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_LIST_PAGES {
            let mut query = vec![("email", filter), ("order", "asc"), ("take", "100")];
            if let Some(c) = &cursor {
                query.push(("cursor", c.as_str()));
            }
            let body = self
                .send(Method::GET, &url, Some(&query), None, Idempotence::Safe)
                .await?;
            let page: ListResponse = parse("list users", &body)?;
            let found = page
                .items
                .iter()
                .position(|u| u.email.as_deref().map(normalize_email).as_deref() == Some(wanted));
            if let Some(index) = found {
                return Ok(page.items.into_iter().nth(index));
            }
            match page.cursor {
                Some(next) if !page.items.is_empty() && cursor.as_ref() != Some(&next) => {
                    cursor = Some(next)
                }
                _ => return Ok(None),
            }
        }
        // Not seen in the pages read, but more remain: unknown, not absent.
        // Answering "no such user" here would let createUser make a second.
        Err(Error::PartnerApi {
            status: None,
            partner_code: None,
            message: format!(
                "the user list ignores the email filter and the user was not among the first {} users, so whether one exists is unknown",
                MAX_LIST_PAGES * 100
            ),
        })
    }

    /// The user with this id, or `None` when the API answers 404 or the id
    /// is one no user can have (see `user_url`: then nothing is sent).
    pub async fn fetch(&self, id: &str) -> Result<Option<PartnerUser>> {
        let Ok(url) = self.user_url(id, "fetch") else {
            return Ok(None);
        };
        match self
            .send(Method::GET, &url, None, None, Idempotence::Safe)
            .await
        {
            Ok(body) => {
                let user: PartnerUser = parse("fetch user", &body)?;
                Ok(Some(user))
            }
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates a user, returning its id. Sent once unless the server surely
    /// did not act; see [`Idempotence::Unsafe`].
    pub async fn create(&self, body: &Value) -> Result<String> {
        let url = format!("{}/v1/partner/user/create", self.base);
        let body = self
            .send(Method::POST, &url, None, Some(body), Idempotence::Unsafe)
            .await?;
        let created: IdResponse = parse("create user", &body)?;
        Ok(created.id)
    }

    pub async fn update(&self, id: &str, body: &Value) -> Result<()> {
        let url = self.user_url(id, "update")?;
        self.send(Method::POST, &url, None, Some(body), Idempotence::Safe)
            .await
            .map(drop)
    }

    /// Deletes a user; `Ok(false)` when there was none (404, or an id no
    /// user can have: then nothing is sent).
    pub async fn delete(&self, id: &str) -> Result<bool> {
        let Ok(url) = self.user_url(id, "delete") else {
            return Ok(false);
        };
        match self
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

    /// POST a JSON body to `/v1/partner/user/{id}/{action}` and return the
    /// JSON object it answers (used for session/token creation).
    pub async fn post_user_action(&self, id: &str, action: &str, body: &Value) -> Result<Value> {
        let url = self.user_url(id, action)?;
        let body = self
            .send(Method::POST, &url, None, Some(body), Idempotence::Unsafe)
            .await?;
        let value: Value = parse(action, &body)?;
        if !value.is_object() {
            return Err(shape_error(action));
        }
        Ok(value)
    }

    /// Sends a request with the deadline and retry policy; returns the body of
    /// a 2xx answer.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &str,
        query: Option<&[(&str, &str)]>,
        body: Option<&Value>,
        idempotence: Idempotence,
    ) -> Result<Vec<u8>> {
        let deadline = Instant::now() + self.config.timeout;
        let mut attempt = 0u32;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(self.timeout_error());
            }
            let started = Instant::now();
            let outcome = match tokio::time::timeout(
                remaining,
                self.attempt(method.clone(), url, query, body, idempotence),
            )
            .await
            {
                Ok(outcome) => outcome,
                Err(_) => {
                    self.log(&method, url, "timed out", started);
                    return Err(self.timeout_error());
                }
            };
            if self.debug {
                let result = match &outcome {
                    Attempt::Done(_) => "ok".to_owned(),
                    Attempt::Failed { error, .. } => error.code().to_owned(),
                };
                self.log(&method, url, &result, started);
            }
            let (error, retry, after) = match outcome {
                Attempt::Done(bytes) => return Ok(bytes),
                Attempt::Failed {
                    error,
                    retry,
                    after,
                } => (error, retry, after),
            };
            if !retry || attempt >= self.config.retries {
                return Err(error);
            }
            let delay = after.unwrap_or_else(|| self.config.backoff.delay(attempt));
            if Instant::now() + delay >= deadline {
                // Waiting would pass the deadline: the last answer is the
                // most useful error.
                return Err(error);
            }
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        method: Method,
        url: &str,
        query: Option<&[(&str, &str)]>,
        body: Option<&Value>,
        idempotence: Idempotence,
    ) -> Attempt {
        let mut request = self
            .http
            .request(method, url)
            .header(reqwest::header::AUTHORIZATION, self.auth_header.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(query) = query {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                // A refused connection never reached the server; anything
                // else may have, so only safe requests go again.
                let refused = e.is_connect();
                return Attempt::Failed {
                    retry: refused || idempotence == Idempotence::Safe,
                    error: network_error(e),
                    after: None,
                };
            }
        };
        let status = response.status();
        let after = retry_after(&response);
        let bytes = match read_body(response).await {
            Ok(b) => b,
            Err(error) => {
                return Attempt::Failed {
                    retry: idempotence == Idempotence::Safe
                        && matches!(error, BodyError::Interrupted),
                    error: body_error(status, &error),
                    after: None,
                }
            }
        };
        if status.is_success() {
            return Attempt::Done(bytes);
        }
        let retry = match status.as_u16() {
            429 | 503 => true,
            500 | 502 | 504 => idempotence == Idempotence::Safe,
            _ => false,
        };
        Attempt::Failed {
            error: status_error(status, &bytes, &self.sent_secrets(url, query, body)),
            retry,
            after,
        }
    }

    /// What an error body must not echo: the secret and everything a
    /// request carried (the user id in its path, its query, its body).
    fn sent_secrets(
        &self,
        url: &str,
        query: Option<&[(&str, &str)]>,
        body: Option<&Value>,
    ) -> Vec<String> {
        let mut secrets = vec![self.config.secret.clone()];
        let id = url
            .strip_prefix(&self.base)
            .and_then(id_and_action)
            .map(|(_, id, _)| id);
        if let Some(id) = id {
            secrets.push(id.to_owned());
            let decoded = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
            secrets.push(decoded.into_owned());
        }
        secrets.extend(
            query
                .unwrap_or_default()
                .iter()
                .map(|(_, v)| (*v).to_owned()),
        );
        if let Some(body) = body {
            collect_strings(body, &mut secrets);
        }
        secrets
    }

    fn log(&self, method: &Method, url: &str, result: &str, started: Instant) {
        if self.debug {
            let path = loggable_path(url.strip_prefix(&self.base).unwrap_or(url));
            eprintln!(
                "nextauth-chatbotkit partner {method} {path} {result} {:.1}ms",
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
    }

    fn timeout_error(&self) -> Error {
        Error::Timeout(format!(
            "the ChatBotKit Partner API did not answer within {} ms",
            self.config.timeout.as_millis()
        ))
    }
}

/// A request path for the debug log, with the user id replaced by `{id}`:
/// the log names operations, not the people they concern.
fn loggable_path(path: &str) -> String {
    match id_and_action(path) {
        Some((collection, _, action)) => format!("{collection}{{id}}/{action}"),
        None => path.to_owned(),
    }
}

/// A path to one partner user or contact as (collection, id, action):
/// `/v1/partner/user/ID/fetch` is `("/v1/partner/user/", "ID", "fetch")`.
fn id_and_action(path: &str) -> Option<(&'static str, &str, &str)> {
    ["/v1/partner/user/", "/v1/contact/"]
        .into_iter()
        .find_map(|collection| {
            let (id, action) = path.strip_prefix(collection)?.split_once('/')?;
            Some((collection, id, action))
        })
}

fn network_error(e: reqwest::Error) -> Error {
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

/// Why a body could not be read.
enum BodyError {
    /// Larger than we accept: a broken or hostile server; not retried.
    TooLarge,
    /// The connection broke mid-body: worth another try for safe requests.
    Interrupted,
}

async fn read_body(mut response: reqwest::Response) -> std::result::Result<Vec<u8>, BodyError> {
    if response
        .content_length()
        .is_some_and(|len| len > MAX_BODY_BYTES as u64)
    {
        return Err(BodyError::TooLarge);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| BodyError::Interrupted)? {
        if bytes.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(BodyError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn body_error(status: StatusCode, error: &BodyError) -> Error {
    let message = match error {
        BodyError::TooLarge => format!("the response body is larger than {MAX_BODY_BYTES} bytes"),
        BodyError::Interrupted => "the response body ended before it was complete".to_owned(),
    };
    Error::PartnerApi {
        status: Some(status.as_u16()),
        partner_code: None,
        message,
    }
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    let seconds: f64 = value.to_str().ok()?.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(3600.0)))
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
fn status_error(status: StatusCode, body: &[u8], secrets: &[String]) -> Error {
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

fn shape_error(what: &str) -> Error {
    Error::PartnerApi {
        status: Some(200),
        partner_code: None,
        message: format!("the {what} response does not have the documented shape"),
    }
}

pub(crate) fn parse<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        let kind = if e.is_syntax() || e.is_eof() {
            "is not valid JSON"
        } else {
            "does not have the documented shape"
        };
        Error::PartnerApi {
            status: Some(200),
            partner_code: None,
            message: format!("the {what} response {kind}"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_secret() {
        let config = PartnerConfig {
            secret: "sk-do-not-print".into(),
            base_url: "http://127.0.0.1:1".into(),
            timeout: Duration::from_secs(1),
            retries: 0,
            backoff: Backoff::default(),
        };
        let client = PartnerClient::new(config.clone()).unwrap();
        for printed in [format!("{config:?}"), format!("{client:?}")] {
            assert!(!printed.contains("sk-do-not-print"), "{printed}");
            assert!(printed.contains("[redacted]"), "{printed}");
        }
    }

    #[test]
    fn dot_ids_are_refused() {
        let c = PartnerClient::new(PartnerConfig {
            secret: "s".into(),
            base_url: "http://127.0.0.1:1".into(),
            timeout: Duration::from_secs(1),
            retries: 0,
            backoff: Backoff::default(),
        })
        .unwrap();
        assert!(c.user_url("..", "fetch").is_err());
        assert!(c.user_url(".", "fetch").is_err());
        assert!(c.user_url("", "fetch").is_err());
        assert_eq!(
            c.user_url("a/b", "fetch").unwrap(),
            "http://127.0.0.1:1/v1/partner/user/a%2Fb/fetch"
        );
    }

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
    }
}
