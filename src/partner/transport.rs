//! Sending one logical request to the ChatBotKit API: the HTTP client
//! (keep-alive pool, rustls, no redirects), the overall deadline (retries
//! included), the cap on what is read back, and the debug log line. Whether
//! to try again is `retry`'s decision; what a failure means is `errors`'.

use super::collection::Collection;
use super::errors::{body_error, network_error, sent_secrets, status_error, timeout_error};
use super::retry::{Failure, Idempotence};
use super::PartnerConfig;
use crate::adapter::encode_segment;
use crate::error::{Error, Result};
use reqwest::header::HeaderValue;
use reqwest::Method;
use serde_json::Value;
use std::time::Duration;
use tokio::time::Instant;

/// Largest response body read; more is a broken or hostile server.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// One request, named by the resource it concerns (so that the log and the
/// redaction know which part of the path is an id).
pub(crate) struct Request<'a> {
    method: Method,
    collection: &'a Collection,
    /// The item the request is about; checked by [`Request::item`].
    id: Option<&'a str>,
    action: &'a str,
    query: &'a [(&'a str, &'a str)],
    body: Option<&'a Value>,
    idempotence: Idempotence,
}

impl<'a> Request<'a> {
    /// A GET of `{collection}/{action}`, e.g. `/v1/contact/list`.
    pub fn collection(collection: &'a Collection, action: &'a str) -> Self {
        Self {
            method: Method::GET,
            collection,
            id: None,
            action,
            query: &[],
            body: None,
            idempotence: Idempotence::Safe,
        }
    }

    /// A GET of `{collection}/{id}/{action}`; an id no item can have is
    /// refused before anything is sent.
    pub fn item(collection: &'a Collection, id: &'a str, action: &'a str) -> Result<Self> {
        collection.check_id(id)?;
        Ok(Self {
            id: Some(id),
            ..Self::collection(collection, action)
        })
    }

    pub fn query(self, query: &'a [(&'a str, &'a str)]) -> Self {
        Self { query, ..self }
    }

    /// A POST of `body`, repeated after an unclear failure only if `idempotence` allows.
    pub fn post(self, body: &'a Value, idempotence: Idempotence) -> Self {
        Self {
            method: Method::POST,
            body: Some(body),
            idempotence,
            ..self
        }
    }

    fn path(&self) -> String {
        match self.id {
            Some(id) => format!(
                "{}{}/{}",
                self.collection.path,
                encode_segment(id),
                self.action
            ),
            None => format!("{}{}", self.collection.path, self.action),
        }
    }

    /// The path for the debug log, with the id replaced by `{id}`: the log
    /// names operations, not the people they concern.
    fn log_path(&self) -> String {
        match self.id {
            Some(_) => format!("{}{{id}}/{}", self.collection.path, self.action),
            None => self.path(),
        }
    }
}

/// The outcome of one attempt, before the retry policy is applied.
enum Attempt {
    Done(Vec<u8>),
    Failed {
        error: Error,
        failure: Failure,
        /// The server's Retry-After.
        after: Option<Duration>,
    },
}

pub(crate) struct Transport {
    http: reqwest::Client,
    /// The base URL without a trailing `/`.
    base: String,
    auth_header: HeaderValue,
    config: PartnerConfig,
    /// `DEBUG=nextauth-chatbotkit`: one line per request (method, path,
    /// status, time); never headers, query or bodies.
    debug: bool,
}

impl std::fmt::Debug for Transport {
    // Never print the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("base", &self.base)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl Transport {
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

    /// Sends `request` within the deadline, trying again as the retry policy
    /// allows; returns the body of a 2xx answer.
    pub async fn send(&self, request: &Request<'_>) -> Result<Vec<u8>> {
        let deadline = Instant::now() + self.config.timeout;
        let mut attempt = 0u32;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(timeout_error(self.config.timeout));
            }
            let started = Instant::now();
            let Ok(outcome) = tokio::time::timeout(remaining, self.attempt(request)).await else {
                self.log(request, "timed out", started);
                return Err(timeout_error(self.config.timeout));
            };
            if self.debug {
                let result = match &outcome {
                    Attempt::Done(_) => "ok",
                    Attempt::Failed { error, .. } => error.code(),
                };
                self.log(request, result, started);
            }
            let (error, failure, after) = match outcome {
                Attempt::Done(bytes) => return Ok(bytes),
                Attempt::Failed {
                    error,
                    failure,
                    after,
                } => (error, failure, after),
            };
            if !failure.is_retryable(request.idempotence) || attempt >= self.config.retries {
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

    async fn attempt(&self, request: &Request<'_>) -> Attempt {
        let url = format!("{}{}", self.base, request.path());
        let mut builder = self
            .http
            .request(request.method.clone(), url)
            .header(reqwest::header::AUTHORIZATION, self.auth_header.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        if !request.query.is_empty() {
            builder = builder.query(request.query);
        }
        if let Some(body) = request.body {
            builder = builder.json(body);
        }
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                // A refused connection never reached the server; anything
                // else may have.
                let failure = match e.is_connect() {
                    true => Failure::Refused,
                    false => Failure::NoAnswer,
                };
                return Attempt::Failed {
                    error: network_error(e),
                    failure,
                    after: None,
                };
            }
        };
        let status = response.status();
        let after = retry_after(&response);
        let bytes = match read_body(response).await {
            Ok(b) => b,
            Err(failure) => {
                let too_large = (failure == Failure::TooLarge).then_some(MAX_BODY_BYTES);
                return Attempt::Failed {
                    error: body_error(status, too_large),
                    failure,
                    after: None,
                };
            }
        };
        if status.is_success() {
            return Attempt::Done(bytes);
        }
        let secrets = sent_secrets(&self.config.secret, request.id, request.query, request.body);
        Attempt::Failed {
            error: status_error(status, &bytes, &secrets),
            failure: Failure::Status(status.as_u16()),
            after,
        }
    }

    fn log(&self, request: &Request<'_>, result: &str, started: Instant) {
        if self.debug {
            eprintln!(
                "nextauth-chatbotkit partner {} {} {result} {:.1}ms",
                request.method,
                request.log_path(),
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
}

/// The body, at most [`MAX_BODY_BYTES`]; fails with `TooLarge`, or
/// `NoAnswer` when the connection broke mid-body.
async fn read_body(mut response: reqwest::Response) -> std::result::Result<Vec<u8>, Failure> {
    if response
        .content_length()
        .is_some_and(|len| len > MAX_BODY_BYTES as u64)
    {
        return Err(Failure::TooLarge);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| Failure::NoAnswer)? {
        if bytes.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(Failure::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    let seconds: f64 = value.to_str().ok()?.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(3600.0)))
}

#[cfg(test)]
mod tests {
    use super::super::collection::{CONTACTS, PARTNER_USERS};
    use super::*;

    #[test]
    fn an_id_is_one_encoded_segment_and_never_logged() {
        let request = Request::item(&PARTNER_USERS, "a/b?c", "fetch").unwrap();
        assert_eq!(request.path(), "/v1/partner/user/a%2Fb%3Fc/fetch");
        assert_eq!(request.log_path(), "/v1/partner/user/{id}/fetch");
        let request = Request::item(&CONTACTS, "c1", "session/create").unwrap();
        assert_eq!(request.path(), "/v1/contact/c1/session/create");
        assert_eq!(
            Request::collection(&CONTACTS, "list").log_path(),
            "/v1/contact/list"
        );
        assert!(Request::item(&PARTNER_USERS, "..", "fetch").is_err());
    }

    #[test]
    fn a_base_url_must_be_http() {
        let config = |base_url: &str| PartnerConfig {
            secret: "s".into(),
            base_url: base_url.into(),
            timeout: Duration::from_secs(1),
            retries: 0,
            backoff: Default::default(),
        };
        assert!(Transport::new(config("http://127.0.0.1:1/")).is_ok());
        for bad in ["ftp://x", "not a url"] {
            let e = Transport::new(config(bad)).unwrap_err();
            assert_eq!(e.code(), "CONFIG", "{bad}");
        }
        let mut newline = config("http://x");
        newline.secret = "s\nX-Evil: 1".into();
        assert_eq!(Transport::new(newline).unwrap_err().code(), "CONFIG");
    }
}
