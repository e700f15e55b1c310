//! The native stores as JS classes, and what `lib/kv/` (the stores written
//! in JS) takes from Rust: the operation names and the Lua scripts.

use super::outbox::{outbox_of, Outbox, Settled};
use super::{config_error, guarded};
use crate::error::Error;
use crate::options::parse_redis_options;
use crate::store::js::StoreOp;
use crate::store::redis::{RELEASE_LUA, USE_TOKEN_LUA, WRITE_LUA};
use crate::store::uv_redis::{EventLoop, Settling};
use crate::store::{MemoryStore, RedisStore};
use napi::Env;
use napi_derive::napi;
use serde_json::{json, Value};
use std::sync::Arc;

/// The native in-memory store. Values are JSON text.
#[napi]
pub struct NativeMemoryStore {
    pub(crate) inner: Arc<MemoryStore>,
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

/// The native Redis / Redis Cluster store. Values are JSON text.
#[napi]
pub struct NativeRedisStore {
    pub(crate) inner: Arc<RedisStore>,
    /// The deprecated `keyPrefix` option: it starts the keys of this
    /// store's own methods, and an adapter over it puts it before its own
    /// `keyPrefix` (see `Keys`), so the keys stay those it always had.
    pub(crate) key_prefix: String,
    outbox: Arc<Outbox>,
}

#[napi]
impl NativeRedisStore {
    #[napi(constructor)]
    pub fn new(env: &Env, options_json: String) -> napi::Result<Self> {
        let outbox = outbox_of(env)?;
        let o = parse_redis_options(&options_json).map_err(config_error)?;
        let mut store =
            RedisStore::new(o.target, o.timeout, o.ca.as_deref()).map_err(config_error)?;
        if let Some(event_loop) =
            EventLoop::of_this_thread(env.get_uv_event_loop()?.cast(), env.raw())
        {
            // Replies read on the JS thread reach JS in the same callback.
            let in_place = outbox.clone();
            let settling: Settling = Arc::new(move |settle| in_place.settle_in_place(settle));
            store = store.with_event_loop(event_loop.settling_with(settling));
        }
        Ok(Self {
            inner: Arc::new(store),
            key_prefix: o.key_prefix,
            outbox,
        })
    }

    /// The envelope `{ ok }` / `{ error }` as JSON text, or the call id under
    /// which the outbox delivers it.
    #[napi]
    pub fn command(
        &self,
        env: &Env,
        op: String,
        key: String,
        value: Option<String>,
        ttl_ms: Option<f64>,
    ) -> Settled {
        let store = self.inner.clone();
        let key = format!("{}{key}", self.key_prefix);
        let work = guarded(async move {
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
        });
        self.outbox.settle(env, work)
    }

    /// Drops the connection; the next command reconnects.
    #[napi]
    pub fn close(&self) {
        self.inner.close();
    }
}

/// The operations every JS store module (`lib/kv/`) implements, by name.
#[napi]
pub fn store_ops() -> Vec<&'static str> {
    StoreOp::ALL.iter().map(|op| op.name()).collect()
}

/// The native RedisStore's Lua scripts, which the Redis client modules of
/// `lib/kv/` run too (one text of each).
#[napi(object, object_to_js = true, object_from_js = false)]
pub struct StoreScripts {
    pub use_token: &'static str,
    pub release: &'static str,
    pub write: &'static str,
}

#[napi]
pub fn store_scripts() -> StoreScripts {
    StoreScripts {
        use_token: USE_TOKEN_LUA,
        release: RELEASE_LUA,
        write: WRITE_LUA,
    }
}
