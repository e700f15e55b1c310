//! The options the addon reads, their types, defaults and validation: the
//! adapter's options, `RedisStore`'s and a ChatBotKit session's parameters.
//! JS passes the objects through as JSON text; they are read here. Each
//! default is one constant below; `option_defaults` lists them for the docs
//! (a test checks `index.d.ts` and the README against it).

use crate::adapter::{Lifecycle, Settings};
use crate::error::{Error, Result};
use crate::partner::{Backoff, PartnerConfig};
use crate::store::redis::RedisTarget;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::Duration;

/// `baseUrl` when neither the option nor `CHATBOTKIT_API_URL` is set.
pub const BASE_URL: &str = "https://api.chatbotkit.com";
/// The environment variable `baseUrl` defaults to.
pub const BASE_URL_ENV: &str = "CHATBOTKIT_API_URL";
/// `timeout`: overall deadline of one Partner API call or JS store call, ms.
pub const TIMEOUT_MS: u32 = 10_000;
/// `retries`: retries after the first attempt.
pub const RETRIES: u32 = 3;
/// `retryDelay`: the first retry's delay, ms (the official SDK's schedule).
pub const RETRY_DELAY_MS: u32 = 250;
/// `maxVerificationAttempts` (0: no limit).
pub const MAX_VERIFICATION_ATTEMPTS: u32 = 5;
/// `userCacheTtl`, ms (0: off).
pub const USER_CACHE_TTL_MS: u32 = 0;
pub const AUTO_CREATE_USER: bool = false;
pub const AUTO_UPDATE_USER: bool = true;
pub const AUTO_DELETE_USER: bool = false;
/// `RedisStore`'s `timeout`: deadline of one Redis command, ms.
pub const REDIS_TIMEOUT_MS: u32 = 5_000;

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

/// `CHATBOTKIT_API_URL` when it is set (read at each construction, as an
/// app or a test may set it after loading the addon), else `BASE_URL`.
fn default_base_url() -> String {
    std::env::var(BASE_URL_ENV)
        .ok()
        .map(|url| url.trim().to_owned())
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| BASE_URL.to_owned())
}

/// `DEBUG=nextauth-chatbotkit` (or `*`, or a list naming it): one log line
/// per adapter call (JS) and per Partner API request (Rust), never with
/// arguments, headers or bodies. Read once, for both.
pub fn debug_enabled() -> bool {
    static DEBUG: OnceLock<bool> = OnceLock::new();
    *DEBUG.get_or_init(|| names_this_package(std::env::var("DEBUG").ok().as_deref()))
}

fn names_this_package(debug: Option<&str>) -> bool {
    debug.is_some_and(|v| {
        v.split(|c: char| c == ',' || c.is_whitespace())
            .any(|name| name == "*" || name.starts_with("nextauth-chatbotkit"))
    })
}

/// Which directory the options name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirectoryKind {
    Partner,
    Contact,
}

/// The adapter's options, read and checked.
pub struct AdapterConfig {
    /// Its `secret` is empty when the option was unset.
    pub partner: PartnerConfig,
    pub settings: Settings,
    pub directory: DirectoryKind,
}

impl AdapterConfig {
    /// `next build` evaluates the app's config without runtime secrets, so
    /// an unset secret is accepted here and each call reports it: this.
    pub fn secret_unset(&self) -> Option<Error> {
        self.partner.secret.is_empty().then(|| {
            Error::Config(
                "the ChatBotKit API secret (the partner secret, or the account secret for the Contact adapter) is not set: `secret` is empty. Set CHATBOTKIT_API_SECRET in the server's environment (the quick start passes process.env.CHATBOTKIT_API_SECRET as `secret`)".into(),
            )
        })
    }
}

pub fn parse_adapter_options(json: &str) -> Result<AdapterConfig> {
    let o: AdapterOptions = serde_json::from_str(json).map_err(|e| {
        Error::Config(format!(
            "options: {} (`secret`, `baseUrl` and `keyPrefix` are strings, `timeout`, `retries`, `retryDelay`, `maxVerificationAttempts` and `userCacheTtl` numbers, the `auto…` flags booleans)",
            without_values(&e)
        ))
    })?;
    // A secret read from a file often ends in a newline: it is not part of
    // it. An unset one is reported by the first call (see `secret_unset`).
    let secret = o.secret.map(|s| s.trim().to_owned()).unwrap_or_default();
    let retries = o.retries.unwrap_or(f64::from(RETRIES));
    if !(0.0..=10.0).contains(&retries) || retries.fract() != 0.0 {
        return Err(Error::Config(
            "`retries` must be a whole number from 0 to 10".into(),
        ));
    }
    let backoff = Backoff {
        base: millis(o.retry_delay, f64::from(RETRY_DELAY_MS), "retryDelay")?,
        ..Backoff::default()
    };
    let partner = PartnerConfig {
        secret,
        base_url: o.base_url.unwrap_or_else(default_base_url),
        timeout: millis(o.timeout, f64::from(TIMEOUT_MS), "timeout")?,
        retries: retries as u32,
        backoff,
    };
    let defaults = Lifecycle::default();
    let lifecycle = Lifecycle {
        auto_create_user: o.auto_create_user.unwrap_or(defaults.auto_create_user),
        auto_update_user: o.auto_update_user.unwrap_or(defaults.auto_update_user),
        auto_delete_user: o.auto_delete_user.unwrap_or(defaults.auto_delete_user),
    };
    let attempts = o
        .max_verification_attempts
        .unwrap_or(f64::from(MAX_VERIFICATION_ATTEMPTS));
    if !(0.0..=1000.0).contains(&attempts) || attempts.fract() != 0.0 {
        return Err(Error::Config(
            "`maxVerificationAttempts` must be a whole number from 0 (no limit) to 1000".into(),
        ));
    }
    let user_cache_ttl = match o.user_cache_ttl.unwrap_or(f64::from(USER_CACHE_TTL_MS)) {
        0.0 => None,
        ms => Some(millis(Some(ms), 0.0, "userCacheTtl")?),
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
        // Set by an adapter over a RedisStore with the deprecated option.
        store_prefix: String::new(),
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
    /// Deprecated for the adapter's `keyPrefix`, kept so that existing
    /// deployments keep their keys (see `NativeRedisStore`).
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
        timeout: millis(o.timeout, f64::from(REDIS_TIMEOUT_MS), "timeout")?,
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

/// Which options object an option belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `ChatBotKitPartnerAdapter(options)` (and the Contact adapter's, but
    /// for the lifecycle flags).
    Adapter,
    /// The Contact adapter's names for the lifecycle flags.
    ContactAdapter,
    /// `new RedisStore(options)`.
    RedisStore,
    /// `createChatBotKitSession(options, userId, params)`'s `params`.
    Session,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Self::Adapter => "adapter",
            Self::ContactAdapter => "contactAdapter",
            Self::RedisStore => "redisStore",
            Self::Session => "session",
        }
    }
}

/// One option as users set it.
#[derive(Debug)]
pub struct OptionDefault {
    pub scope: Scope,
    /// As written in JS (`tls.ca` for a nested one).
    pub name: &'static str,
    /// Its TypeScript type.
    pub kind: &'static str,
    /// `None`: required, or absent unless given.
    pub default: Option<Value>,
    /// An environment variable that comes before `default`.
    pub env: Option<&'static str>,
    /// Deprecated: what to use instead.
    pub deprecated: Option<&'static str>,
}

/// Every option users set, with its default.
pub fn option_defaults() -> Vec<OptionDefault> {
    use Scope::{Adapter, ContactAdapter, RedisStore, Session};
    let o = |scope, name, kind, default: Option<Value>| OptionDefault {
        scope,
        name,
        kind,
        default,
        env: None,
        deprecated: None,
    };
    vec![
        o(Adapter, "secret", "string", None),
        OptionDefault {
            env: Some(BASE_URL_ENV),
            ..o(Adapter, "baseUrl", "string", Some(json!(BASE_URL)))
        },
        o(Adapter, "timeout", "number", Some(json!(TIMEOUT_MS))),
        o(Adapter, "retries", "number", Some(json!(RETRIES))),
        o(Adapter, "retryDelay", "number", Some(json!(RETRY_DELAY_MS))),
        o(Adapter, "keyPrefix", "string", Some(json!(""))),
        o(
            Adapter,
            "autoCreateUser",
            "boolean",
            Some(json!(AUTO_CREATE_USER)),
        ),
        o(
            Adapter,
            "autoUpdateUser",
            "boolean",
            Some(json!(AUTO_UPDATE_USER)),
        ),
        o(
            Adapter,
            "autoDeleteUser",
            "boolean",
            Some(json!(AUTO_DELETE_USER)),
        ),
        o(
            Adapter,
            "maxVerificationAttempts",
            "number",
            Some(json!(MAX_VERIFICATION_ATTEMPTS)),
        ),
        o(
            Adapter,
            "userCacheTtl",
            "number",
            Some(json!(USER_CACHE_TTL_MS)),
        ),
        o(
            ContactAdapter,
            "autoCreateContact",
            "boolean",
            Some(json!(AUTO_CREATE_USER)),
        ),
        o(
            ContactAdapter,
            "autoUpdateContact",
            "boolean",
            Some(json!(AUTO_UPDATE_USER)),
        ),
        o(
            ContactAdapter,
            "autoDeleteContact",
            "boolean",
            Some(json!(AUTO_DELETE_USER)),
        ),
        o(RedisStore, "url", "string", None),
        o(RedisStore, "cluster", "string[]", None),
        o(
            RedisStore,
            "timeout",
            "number",
            Some(json!(REDIS_TIMEOUT_MS)),
        ),
        OptionDefault {
            deprecated: Some("the adapter's `keyPrefix`"),
            ..o(RedisStore, "keyPrefix", "string", Some(json!("")))
        },
        o(RedisStore, "tls.ca", "string", None),
        o(Session, "durationInSeconds", "number", None),
        o(Session, "allowedRoutes", "string[]", None),
        o(Session, "contactId", "string", None),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(scope: Scope) -> Vec<&'static str> {
        let all = option_defaults();
        all.iter()
            .filter(|o| o.scope == scope)
            .map(|o| o.name)
            .collect()
    }

    /// serde's `expected one of ...` for an unknown field: every field the
    /// options struct reads.
    fn fields_read(error: Option<serde_json::Error>) -> Vec<String> {
        let text = error.map(|e| e.to_string()).unwrap_or_default();
        let list = text.split("expected one of ").nth(1).unwrap_or_default();
        list.split(", ")
            .map(|f| {
                f.trim_matches('`')
                    .split('`')
                    .next()
                    .unwrap_or("")
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn the_list_names_every_option_read() {
        let adapter = fields_read(serde_json::from_str::<AdapterOptions>(r#"{"?":1}"#).err());
        let mut expected: Vec<String> = listed(Scope::Adapter)
            .iter()
            .map(|n| n.to_string())
            .collect();
        expected.push("directory".into()); // set by the wrapper, not by users
        assert_eq!(adapter, expected);
        let redis = fields_read(serde_json::from_str::<RedisOptions>(r#"{"?":1}"#).err());
        let expected: Vec<String> = listed(Scope::RedisStore)
            .iter()
            .map(|n| {
                if *n == "tls.ca" {
                    "ca".to_owned()
                } else {
                    n.to_string()
                }
            })
            .collect();
        assert_eq!(redis, expected);
        let session = fields_read(serde_json::from_str::<SessionParams>(r#"{"?":1}"#).err());
        assert_eq!(session, listed(Scope::Session));
    }

    #[test]
    fn each_listed_default_is_what_an_absent_option_gets() {
        for unset in [r#"{}"#, r#"{"secret":null}"#, r#"{"secret":" \n"}"#] {
            let config = parse_adapter_options(unset).map_err(|e| e.to_string());
            let message = config.map(|c| c.secret_unset().map(|e| e.to_string()));
            assert!(
                matches!(&message, Ok(Some(m)) if m.contains("CHATBOTKIT_API_SECRET")),
                "{message:?}"
            );
        }
        let base = |extra: &str| {
            parse_adapter_options(&format!(r#"{{"secret":"s"{extra}}}"#))
                .map(|c| format!("{:?} {:?}", c.partner, c.settings))
                .map_err(|e| e.to_string())
        };
        for o in option_defaults()
            .iter()
            .filter(|o| o.scope == Scope::Adapter)
        {
            let Some(default) = &o.default else { continue };
            assert_eq!(
                base(&format!(r#","{}":{default}"#, o.name)),
                base(""),
                "{}",
                o.name
            );
        }
        let redis = |extra: &str| {
            parse_redis_options(&format!(r#"{{"url":"redis://h"{extra}}}"#))
                .map(|c| format!("{:?} {:?}", c.timeout, c.key_prefix))
                .map_err(|e| e.to_string())
        };
        for o in option_defaults()
            .iter()
            .filter(|o| o.scope == Scope::RedisStore)
        {
            let Some(default) = &o.default else { continue };
            assert_eq!(
                redis(&format!(r#","{}":{default}"#, o.name)),
                redis(""),
                "{}",
                o.name
            );
        }
    }

    #[test]
    fn debug_names_this_package() {
        assert!(names_this_package(Some("nextauth-chatbotkit")));
        assert!(names_this_package(Some("express, nextauth-chatbotkit:*")));
        assert!(names_this_package(Some("a\t*")));
        assert!(!names_this_package(Some("nextauth")));
        assert!(!names_this_package(Some("")));
        assert!(!names_this_package(None));
    }

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
