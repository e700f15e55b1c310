//! The options the addon reads, their types, defaults and validation: the
//! adapter's options, `RedisStore`'s and a ChatBotKit session's parameters.
//! JS passes the objects through as JSON text; they are read here.

use crate::adapter::{Lifecycle, Settings};
use crate::error::{Error, Result};
use crate::partner::{Backoff, PartnerConfig};
use crate::store::redis::RedisTarget;
use serde::Deserialize;
use std::time::Duration;

const DEFAULT_BASE_URL: &str = "https://api.chatbotkit.com";
const DEFAULT_TIMEOUT_MS: f64 = 10_000.0;

/// Adapter options as the JS wrapper passes them.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AdapterOptions {
    secret: Option<String>,
    base_url: Option<String>,
    timeout: Option<f64>,
    retries: Option<f64>,
    retry_delay: Option<f64>,
    key_prefix: Option<String>,
    auto_create_user: Option<bool>,
    auto_update_user: Option<bool>,
    auto_delete_user: Option<bool>,
    max_verification_attempts: Option<f64>,
    user_cache_ttl: Option<f64>,
    /// Where users live: `"partner"` (default) or `"contact"`.
    directory: Option<String>,
}

/// serde's message about an option, without the value it quotes (which may
/// be the secret, or a URL with a password) or where in the JSON it was:
/// `invalid type: string "redis://:pw@…", expected a sequence at line 1
/// column 40` becomes `invalid type: string …, expected a sequence`.
fn without_values(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(t, _)| t);
    match text.find(['"', '`']) {
        None => text.to_owned(),
        Some(quote) => {
            let expected = text.rfind(", expected").map_or("", |at| &text[at..]);
            format!("{}…{expected}", &text[..quote])
        }
    }
}

fn millis(value: Option<f64>, default: f64, name: &str) -> Result<Duration> {
    let ms = value.unwrap_or(default);
    if !ms.is_finite() || ms <= 0.0 || ms > 86_400_000.0 {
        return Err(Error::Config(format!(
            "`{name}` must be a number of milliseconds between 1 and 86400000"
        )));
    }
    Ok(Duration::from_secs_f64(ms / 1000.0))
}

/// Which directory the options name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirectoryKind {
    Partner,
    Contact,
}

/// The adapter's options, read and checked.
pub struct AdapterConfig {
    pub partner: PartnerConfig,
    pub settings: Settings,
    pub directory: DirectoryKind,
}

pub fn parse_adapter_options(json: &str) -> Result<AdapterConfig> {
    let o: AdapterOptions = serde_json::from_str(json).map_err(|e| {
        Error::Config(format!(
            "options: {} (`secret`, `baseUrl` and `keyPrefix` are strings, `timeout`, `retries`, `retryDelay`, `maxVerificationAttempts` and `userCacheTtl` numbers, the `auto…` flags booleans)",
            without_values(&e)
        ))
    })?;
    // A secret read from a file often ends in a newline: it is not part of it.
    let secret = o
        .secret
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            Error::Config("`secret` (the ChatBotKit partner secret) is required".into())
        })?;
    let retries = o.retries.unwrap_or(3.0);
    if !(0.0..=10.0).contains(&retries) || retries.fract() != 0.0 {
        return Err(Error::Config(
            "`retries` must be a whole number from 0 to 10".into(),
        ));
    }
    let backoff = Backoff {
        base: millis(o.retry_delay, 250.0, "retryDelay")?,
        ..Backoff::default()
    };
    let partner = PartnerConfig {
        secret,
        base_url: o.base_url.unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()),
        timeout: millis(o.timeout, DEFAULT_TIMEOUT_MS, "timeout")?,
        retries: retries as u32,
        backoff,
    };
    let defaults = Lifecycle::default();
    let lifecycle = Lifecycle {
        auto_create_user: o.auto_create_user.unwrap_or(defaults.auto_create_user),
        auto_update_user: o.auto_update_user.unwrap_or(defaults.auto_update_user),
        auto_delete_user: o.auto_delete_user.unwrap_or(defaults.auto_delete_user),
    };
    let attempts = o.max_verification_attempts.unwrap_or(5.0);
    if !(0.0..=1000.0).contains(&attempts) || attempts.fract() != 0.0 {
        return Err(Error::Config(
            "`maxVerificationAttempts` must be a whole number from 0 (no limit) to 1000".into(),
        ));
    }
    let user_cache_ttl = match o.user_cache_ttl {
        None | Some(0.0) => None,
        Some(ms) => Some(millis(Some(ms), 0.0, "userCacheTtl")?),
    };
    let key_prefix = o.key_prefix.unwrap_or_default();
    if key_prefix.contains(['{', '}']) {
        // A brace would become (or break) the Redis Cluster hash tag that
        // keeps one user's or one email's keys in one slot.
        return Err(Error::Config(
            "`keyPrefix` must not contain `{` or `}`".into(),
        ));
    }
    let settings = Settings {
        key_prefix,
        lifecycle,
        max_verification_attempts: attempts as u32,
        user_cache_ttl,
    };
    let directory = match o.directory.as_deref() {
        None | Some("partner") => DirectoryKind::Partner,
        Some("contact") => DirectoryKind::Contact,
        Some(_) => {
            return Err(Error::Config(
                "`directory` must be \"partner\" or \"contact\"".into(),
            ))
        }
    };
    Ok(AdapterConfig {
        partner,
        settings,
        directory,
    })
}

/// The deadline of one call into a JS store.
pub fn js_store_timeout(ms: f64) -> Result<Duration> {
    millis(Some(ms), 5_000.0, "storeTimeout")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RedisOptions {
    url: Option<String>,
    cluster: Option<Vec<String>>,
    timeout: Option<f64>,
    key_prefix: Option<String>,
    /// PEM of the CA a `rediss://` server's certificate chains to.
    ca: Option<String>,
}

/// `RedisStore`'s options, read and checked.
pub struct RedisConfig {
    pub target: RedisTarget,
    pub timeout: Duration,
    pub key_prefix: String,
    pub ca: Option<String>,
}

pub fn parse_redis_options(json: &str) -> Result<RedisConfig> {
    let o: RedisOptions = serde_json::from_str(json).map_err(|e| {
        Error::Config(format!(
            "RedisStore options: {} (`url` is a string, `cluster` an array of URL strings, `timeout` a number, `keyPrefix` a string and `tls.ca` a PEM string)",
            without_values(&e)
        ))
    })?;
    let target = match (o.url, o.cluster) {
        (Some(url), None) => RedisTarget::Single(url),
        (None, Some(nodes)) => RedisTarget::Cluster(nodes),
        _ => {
            return Err(Error::Config(
                "RedisStore needs exactly one of `url` or `cluster`".into(),
            ))
        }
    };
    Ok(RedisConfig {
        target,
        timeout: millis(o.timeout, 5_000.0, "timeout")?,
        key_prefix: o.key_prefix.unwrap_or_default(),
        ca: o.ca,
    })
}

/// The parameters of a ChatBotKit session token, as the app gives them.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionParams {
    pub duration_in_seconds: Option<f64>,
    pub allowed_routes: Option<Vec<String>>,
    pub contact_id: Option<String>,
}

pub fn parse_session_params(json: &str) -> Result<SessionParams> {
    let params: SessionParams =
        serde_json::from_str(json).map_err(|e| Error::invalid(format!("session options: {e}")))?;
    if let Some(seconds) = params.duration_in_seconds {
        if !seconds.is_finite() || seconds <= 0.0 || seconds.fract() != 0.0 {
            return Err(Error::invalid(
                "durationInSeconds must be a positive whole number",
            ));
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_errors_quote_no_value() {
        let e = serde_json::from_str::<RedisOptions>(r#"{"cluster":"redis://:pw@h:1"}"#)
            .err()
            .map(|e| without_values(&e))
            .unwrap_or_default();
        assert_eq!(e, "invalid type: string …, expected a sequence");
        let e = parse_adapter_options(r#"{"secret":42}"#)
            .err()
            .map(|e| e.to_string());
        assert!(e
            .as_deref()
            .is_some_and(|m| m.contains("invalid type: integer …, expected")));
        assert!(e.as_deref().is_some_and(|m| !m.contains("42")), "{e:?}");
    }
}
