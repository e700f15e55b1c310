//! The napi boundary, and only that: classes exported to JS, conversion of
//! options and values, and mapping of errors to `{ code, message, ... }`.
//! Values cross as JSON text (one `JSON.stringify` / `serde_json` parse each
//! way), which is both faster than walking objects through napi and a single
//! place where malformed input is caught.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

/// mimalloc: per-thread free lists instead of glibc's arenas, for the many
/// small allocations that move between the JS thread and tokio's workers.
/// Not on Windows: its heap has no glibc arenas to avoid, and the MinGW build
/// must stay under the 6 MB a platform binary may weigh.
#[cfg(not(windows))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod adapter;
pub mod directory;
pub mod error;
pub mod outbox;
pub mod partner;
pub mod redact;
pub mod store;

use adapter::{Adapter, Lifecycle, Settings};
use directory::{ContactClient, Directory};
use error::Error;
use futures_util::FutureExt;
use napi::bindgen_prelude::{within_runtime_if_available, Either, Promise};
use napi::threadsafe_function::ThreadsafeFunction;
use napi::Env;
use napi::Status;
use napi_derive::napi;
use outbox::{NativeOutbox, Outbox};
use partner::{Backoff, PartnerClient, PartnerConfig};
use serde::Deserialize;
use serde_json::{json, Value};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use store::js::{BridgeFuture, JsStoreBridge, StoreCall};
use store::{JsStore, MemoryStore, RedisStore, Store};

const DEFAULT_BASE_URL: &str = "https://api.chatbotkit.com";
const DEFAULT_TIMEOUT_MS: f64 = 10_000.0;

/// How many tokio workers to run: every core but the one the JS thread keeps
/// busy, at least one. More workers than that mostly add cross-thread
/// wake-ups: on 2 cores, 1 worker instead of tokio's default 2 gave +13 %
/// token pairs on Redis and +58 % `getUserByEmail` (bench/notes.md).
/// `TOKIO_WORKER_THREADS`, tokio's own variable, still overrides it.
fn worker_count(from_env: Option<&str>, cores: usize) -> usize {
    from_env
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| cores.saturating_sub(1).max(1))
}

/// Runs once, when Node loads the addon: hands napi-rs the runtime every
/// async call runs on. If it cannot be built, napi-rs builds its default.
#[napi_derive::module_init]
fn install_runtime() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = worker_count(std::env::var("TOKIO_WORKER_THREADS").ok().as_deref(), cores);
    if let Ok(runtime) = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
    {
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}

/// Adapter options as the JS wrapper passes them (already defaulted there,
/// defaulted again here so the core never depends on the wrapper).
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

fn config_error(e: Error) -> napi::Error {
    napi::Error::new(Status::InvalidArg, e.to_string())
}

fn millis(value: Option<f64>, default: f64, name: &str) -> error::Result<Duration> {
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
enum DirectoryKind {
    Partner,
    Contact,
}

fn parse_options(json: &str) -> error::Result<(PartnerConfig, Settings, DirectoryKind)> {
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
    let kind = match o.directory.as_deref() {
        None | Some("partner") => DirectoryKind::Partner,
        Some("contact") => DirectoryKind::Contact,
        Some(_) => {
            return Err(Error::Config(
                "`directory` must be \"partner\" or \"contact\"".into(),
            ))
        }
    };
    Ok((partner, settings, kind))
}

fn error_json(e: &Error) -> Value {
    json!({
        "code": e.code(),
        "message": e.to_string(),
        "status": e.status(),
        "partnerCode": e.partner_code(),
    })
}

/// Runs core work, catching a panic so that a bug becomes an `INTERNAL`
/// error for that one call instead of tearing down Node. The work is polled
/// in place rather than spawned as a second task: no extra task allocation,
/// no copy of the future, no cross-thread wake-up between two tasks.
async fn guarded<F>(work: F) -> String
where
    F: std::future::Future<Output = error::Result<Value>> + Send + 'static,
{
    let envelope = match AssertUnwindSafe(work).catch_unwind().await {
        Ok(Ok(value)) => json!({ "ok": value }),
        Ok(Err(e)) => json!({ "error": error_json(&e) }),
        Err(_) => json!({ "error": {
            "code": "INTERNAL",
            "message": "internal error in nextauth-chatbotkit (please report it)",
        }}),
    };
    envelope.to_string()
}

// --- stores -------------------------------------------------------------

/// The native in-memory store. Values are JSON text.
#[napi]
pub struct NativeMemoryStore {
    inner: Arc<MemoryStore>,
}

#[napi]
impl NativeMemoryStore {
    #[napi(constructor)]
    pub fn new() -> Self {
        Self {
            inner: Arc::new(MemoryStore::new()),
        }
    }

    #[napi]
    pub fn get(&self, key: String) -> Option<String> {
        self.inner.get(&key)
    }

    /// `ttl_ms`: milliseconds to live; absent or non-positive means forever.
    #[napi]
    pub fn set(&self, key: String, value: String, ttl_ms: Option<f64>) {
        self.inner.set(&key, &value, ttl_from_js(ttl_ms));
    }

    #[napi]
    pub fn del(&self, key: String) {
        self.inner.del(&key);
    }

    #[napi]
    pub fn getdel(&self, key: String) -> Option<String> {
        self.inner.getdel(&key)
    }

    /// Entries held, expired ones not yet swept included.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.inner.len()).unwrap_or(u32::MAX)
    }

    #[napi]
    pub fn sweep(&self) {
        self.inner.sweep();
    }

    #[napi]
    pub fn clear(&self) {
        self.inner.clear();
    }
}

impl Default for NativeMemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

fn ttl_from_js(ttl_ms: Option<f64>) -> Option<u64> {
    ttl_ms
        .filter(|ms| ms.is_finite() && *ms > 0.0)
        .map(|ms| ms.ceil().min(u64::MAX as f64) as u64)
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

/// The native Redis / Redis Cluster store. Values are JSON text.
#[napi]
pub struct NativeRedisStore {
    inner: Arc<RedisStore>,
}

#[napi]
impl NativeRedisStore {
    #[napi(constructor)]
    pub fn new(options_json: String) -> napi::Result<Self> {
        let o: RedisOptions = serde_json::from_str(&options_json).map_err(|e| {
            config_error(Error::Config(format!(
                "RedisStore options: {} (`url` is a string, `cluster` an array of URL strings, `timeout` a number, `keyPrefix` a string and `tls.ca` a PEM string)",
                without_values(&e)
            )))
        })?;
        let target = match (o.url, o.cluster) {
            (Some(url), None) => store::redis::RedisTarget::Single(url),
            (None, Some(nodes)) => store::redis::RedisTarget::Cluster(nodes),
            _ => {
                return Err(config_error(Error::Config(
                    "RedisStore needs exactly one of `url` or `cluster`".into(),
                )))
            }
        };
        let timeout = millis(o.timeout, 5_000.0, "timeout").map_err(config_error)?;
        let prefix = o.key_prefix.unwrap_or_default();
        let store =
            RedisStore::new(target, timeout, &prefix, o.ca.as_deref()).map_err(config_error)?;
        Ok(Self {
            inner: Arc::new(store),
        })
    }

    /// Resolves to the envelope `{ ok }` / `{ error }` as JSON text.
    #[napi]
    pub async fn command(
        &self,
        op: String,
        key: String,
        value: Option<String>,
        ttl_ms: Option<f64>,
    ) -> String {
        let store = self.inner.clone();
        guarded(async move {
            Ok(match op.as_str() {
                "get" => json!(store.get(&key).await?),
                "getdel" => json!(store.getdel(&key).await?),
                "set" => {
                    let value = value.ok_or_else(|| Error::invalid("set needs a value"))?;
                    store.set(&key, &value, ttl_from_js(ttl_ms)).await?;
                    Value::Null
                }
                "del" => {
                    store.del(&key).await?;
                    Value::Null
                }
                other => return Err(Error::invalid(format!("unknown store command `{other}`"))),
            })
        })
        .await
    }

    /// Drops the connection; the next command reconnects.
    #[napi]
    pub fn close(&self) {
        self.inner.close();
    }
}

// --- JS stores ----------------------------------------------------------

/// One call from Rust into a JS store, as the JS bridge receives it.
#[napi(object)]
pub struct JsStoreCall {
    pub op: String,
    pub key: String,
    pub value: Option<String>,
    pub px: Option<f64>,
}

/// Weak, so an idle process exits; not callee-handled, and always called
/// with `call_async_catch`, so a JS throw is an error value, never an abort.
type StoreBridgeFn =
    ThreadsafeFunction<JsStoreCall, Promise<Option<String>>, JsStoreCall, Status, false, true>;

struct TsfnBridge(Arc<StoreBridgeFn>);

impl JsStoreBridge for TsfnBridge {
    fn call(&self, call: StoreCall) -> BridgeFuture {
        let f = self.0.clone();
        Box::pin(async move {
            let js = JsStoreCall {
                op: call.op.name().to_owned(),
                key: call.key,
                value: call.value,
                px: call.ttl_ms.map(|ms| ms as f64),
            };
            let promise = f.call_async_catch(js).await.map_err(|e| e.reason)?;
            promise.await.map_err(|e| e.reason)
        })
    }
}

// --- adapter ------------------------------------------------------------

#[napi]
pub struct NativeAdapter {
    inner: Arc<Adapter>,
    outbox: Arc<Outbox>,
}

fn build_adapter(
    options_json: &str,
    store: Store,
    outbox: &NativeOutbox,
) -> napi::Result<NativeAdapter> {
    let (partner, settings, kind) = parse_options(options_json).map_err(config_error)?;
    let client = PartnerClient::new(partner).map_err(config_error)?;
    let directory = match kind {
        DirectoryKind::Partner => Directory::Partner(client),
        DirectoryKind::Contact => Directory::Contact(ContactClient::new(client)),
    };
    Ok(NativeAdapter {
        inner: Arc::new(Adapter::new(directory, store, settings)),
        outbox: outbox.inner.clone(),
    })
}

#[napi]
impl NativeAdapter {
    #[napi(factory)]
    pub fn with_memory_store(
        options_json: String,
        outbox: &NativeOutbox,
        store: &NativeMemoryStore,
    ) -> napi::Result<Self> {
        build_adapter(&options_json, Store::Memory(store.inner.clone()), outbox)
    }

    #[napi(factory)]
    pub fn with_redis_store(
        options_json: String,
        outbox: &NativeOutbox,
        store: &NativeRedisStore,
    ) -> napi::Result<Self> {
        build_adapter(&options_json, Store::Redis(store.inner.clone()), outbox)
    }

    /// `bridge({ op, key, value, px })` performs one store operation and
    /// resolves to JSON text or null. `has_getdel` / `has_redis_sets` say
    /// which operations beyond get/set/del it serves; `store_timeout_ms`
    /// bounds each call; `store_id` is the same for every adapter over one
    /// JS store object, so they share its locks.
    #[napi(factory)]
    pub fn with_js_store(
        options_json: String,
        outbox: &NativeOutbox,
        #[napi(ts_arg_type = "(call: JsStoreCall) => Promise<string | null>")]
        bridge: StoreBridgeFn,
        has_getdel: bool,
        has_redis_sets: bool,
        store_timeout_ms: f64,
        store_id: f64,
    ) -> napi::Result<Self> {
        let timeout =
            millis(Some(store_timeout_ms), 5_000.0, "storeTimeout").map_err(config_error)?;
        let capabilities = store::Capabilities {
            getdel: has_getdel,
            redis_sets: has_redis_sets,
        };
        let store = JsStore::new(
            Box::new(TsfnBridge(Arc::new(bridge))),
            capabilities,
            timeout,
            store_id as u64,
        );
        build_adapter(&options_json, Store::Js(Arc::new(store)), outbox)
    }

    /// Runs an adapter method; `args_json` is a JSON array of its arguments.
    /// Gives `{"ok": value}` or `{"error": {code, message, ...}}` as JSON
    /// text at once when the work completes without waiting (a MemoryStore
    /// record, a cached user); else a call id, whose envelope the adapter's
    /// outbox hands to JS when it is ready.
    ///
    /// The work is polled once here, on the JS thread, before anything is
    /// handed to tokio: work that never waits then costs no thread hop in
    /// either direction, and work that does wait has already sent its first
    /// request. A future may move to another executor between polls; tokio
    /// polls a spawned task at once, so it registers its real waker.
    #[napi(ts_return_type = "string | number")]
    pub fn call(
        &self,
        env: &Env,
        method: String,
        args_json: String,
    ) -> napi::Result<Either<String, u32>> {
        let adapter = self.inner.clone();
        let mut work = Box::pin(guarded(async move {
            let args: Vec<Value> = serde_json::from_str(&args_json)
                .map_err(|_| Error::invalid("arguments are not serialisable"))?;
            adapter.call(&method, &args).await
        }));
        let mut cx = Context::from_waker(Waker::noop());
        match within_runtime_if_available(|| work.as_mut().poll(&mut cx)) {
            Poll::Ready(envelope) => Ok(Either::A(envelope)),
            Poll::Pending => {
                let outbox = self.outbox.clone();
                let id = outbox.open(env);
                napi::bindgen_prelude::spawn(async move { outbox.deliver(id, work.await) });
                Ok(Either::B(id))
            }
        }
    }
}

// --- partner sessions ---------------------------------------------------

/// The Partner API client on its own, for what apps need after sign-in.
#[napi]
pub struct NativePartner {
    client: Arc<PartnerClient>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SessionParams {
    duration_in_seconds: Option<f64>,
    allowed_routes: Option<Vec<String>>,
    contact_id: Option<String>,
}

#[napi]
impl NativePartner {
    #[napi(constructor)]
    pub fn new(options_json: String) -> napi::Result<Self> {
        let (partner, _, _) = parse_options(&options_json).map_err(config_error)?;
        let client = PartnerClient::new(partner).map_err(config_error)?;
        Ok(Self {
            client: Arc::new(client),
        })
    }

    /// A short-lived ChatBotKit token scoped to one partner user's own
    /// environment. Resolves to the `{ ok }` / `{ error }` envelope, with
    /// `ok` = `{ id, token, expiresAt }` (`expiresAt` a tagged date).
    #[napi]
    pub async fn create_session(&self, user_id: String, params_json: String) -> String {
        let client = self.client.clone();
        guarded(async move { create_session(&client, &user_id, &params_json).await }).await
    }
}

async fn create_session(
    client: &PartnerClient,
    user_id: &str,
    params_json: &str,
) -> error::Result<Value> {
    let params: SessionParams = serde_json::from_str(params_json)
        .map_err(|e| Error::invalid(format!("session options: {e}")))?;
    let mut body = serde_json::Map::new();
    if let Some(seconds) = params.duration_in_seconds {
        if !seconds.is_finite() || seconds <= 0.0 || seconds.fract() != 0.0 {
            return Err(Error::invalid(
                "durationInSeconds must be a positive whole number",
            ));
        }
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
    if user_id.is_empty() {
        return Err(Error::invalid("the user id must be a non-empty string"));
    }
    let answer = client
        .post_user_action(user_id, "session/create", &Value::Object(body))
        .await
        .map_err(|e| match e {
            Error::PartnerApi {
                status: Some(404), ..
            } => Error::UserNotFound(format!("with id {user_id:?}")),
            other => other,
        })?;
    let (Some(id), Some(token), Some(expires_at)) = (
        answer.get("id").and_then(Value::as_str),
        answer.get("token").and_then(Value::as_str),
        answer.get("expiresAt").and_then(adapter::as_date_ms),
    ) else {
        return Err(Error::PartnerApi {
            status: Some(200),
            partner_code: None,
            message: "the session/create response does not have the documented shape".into(),
        });
    };
    Ok(json!({ "id": id, "token": token, "expiresAt": adapter::date_value(expires_at) }))
}

/// The adapter methods, in Auth.js contract order.
#[napi]
pub fn adapter_methods() -> Vec<String> {
    adapter::METHODS.iter().map(|m| (*m).to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_is_an_internal_error_not_a_crash() {
        let envelope = guarded(async {
            if now_is_never() {
                return Ok(Value::Null);
            }
            panic!("a bug")
        })
        .await;
        let parsed: Value = serde_json::from_str(&envelope).unwrap_or_default();
        assert_eq!(parsed["error"]["code"], "INTERNAL");
    }

    fn now_is_never() -> bool {
        false
    }

    #[test]
    fn option_errors_quote_no_value() {
        let e = serde_json::from_str::<RedisOptions>(r#"{"cluster":"redis://:pw@h:1"}"#)
            .err()
            .map(|e| without_values(&e))
            .unwrap_or_default();
        assert_eq!(e, "invalid type: string …, expected a sequence");
        let e = parse_options(r#"{"secret":42}"#)
            .err()
            .map(|e| e.to_string());
        assert!(e
            .as_deref()
            .is_some_and(|m| m.contains("invalid type: integer …, expected")));
        assert!(e.as_deref().is_some_and(|m| !m.contains("42")), "{e:?}");
    }

    #[test]
    fn the_runtime_leaves_the_js_thread_a_core() {
        assert_eq!(worker_count(None, 1), 1);
        assert_eq!(worker_count(None, 2), 1);
        assert_eq!(worker_count(None, 16), 15);
        assert_eq!(worker_count(Some("4"), 2), 4);
        assert_eq!(worker_count(Some(" 3 "), 8), 3);
        assert_eq!(worker_count(Some("0"), 8), 7);
        assert_eq!(worker_count(Some("many"), 8), 7);
    }

    #[tokio::test]
    async fn errors_carry_their_code() {
        let envelope = guarded(async { Err(Error::DeleteDisabled) }).await;
        let parsed: Value = serde_json::from_str(&envelope).unwrap_or_default();
        assert_eq!(parsed["error"]["code"], "DELETE_DISABLED");
        assert_eq!(parsed["error"]["status"], Value::Null);
    }
}
