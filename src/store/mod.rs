//! Where everything but users lives: verification tokens, accounts, sessions
//! and authenticators. Values are JSON text; sets back the per-user indexes.
//!
//! A closed enum instead of a trait object: the three backends are known, the
//! dispatch is static, and no `async-trait` boxing sits on the hot path.

pub mod js;
pub mod locks;
pub mod memory;
pub mod redis;
pub mod uv_redis;

use crate::error::Result;
use serde::Serialize;
use std::sync::Arc;

pub use js::{JsStore, JsStoreBridge};
pub use memory::MemoryStore;
pub use redis::RedisStore;

/// A lease's value: a JSON object, so every kind of store keeps and returns
/// the same text, with when it ends, for stores that ignore time-to-live.
fn lease_value(holder: &str, ttl_ms: u64) -> String {
    let until = crate::adapter::now_ms().saturating_add(ttl_ms as i64);
    serde_json::json!({ "holder": holder, "until": until }).to_string()
}

/// Who holds the lease read as `text`, if it has not ended.
pub(crate) fn lease_holder(text: &str) -> Option<String> {
    let lease: serde_json::Value = serde_json::from_str(text).ok()?;
    let until = lease.get("until").and_then(serde_json::Value::as_i64);
    if until.is_some_and(|until| until <= crate::adapter::now_ms()) {
        return None;
    }
    lease.get("holder")?.as_str().map(str::to_owned)
}

/// One change in a [`Store::write`] batch. Serialised, it is a change as a
/// JS store's `write` receives it: `{ op, key, value?, member?, px?,
/// expires? }` (see `js.rs`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Write {
    Set {
        key: String,
        value: String,
        #[serde(rename = "px", serialize_with = "px")]
        ttl_ms: Option<u64>,
    },
    Del {
        key: String,
    },
    SetAdd {
        key: String,
        member: String,
        #[serde(rename = "px", serialize_with = "px")]
        ttl_ms: Option<u64>,
    },
    SetRemove {
        key: String,
        member: String,
    },
    /// Enters `member` in a per-user index, until `expires_ms` (epoch ms;
    /// `None`: for good), and drops the entries that have expired, so an
    /// index holds about what is live. A sorted set scored by expiry on
    /// Redis; a JSON object of member → expiry on a plain JS store.
    IndexAdd {
        key: String,
        member: String,
        #[serde(rename = "expires")]
        expires_ms: Option<i64>,
    },
    IndexRemove {
        key: String,
        member: String,
    },
}

/// A time-to-live as a JS store takes it: at least 1 ms.
fn px<S: serde::Serializer>(ttl_ms: &Option<u64>, s: S) -> std::result::Result<S::Ok, S::Error> {
    ttl_ms.map(|ms| ms.max(1)).serialize(s)
}

impl Write {
    pub fn key(&self) -> &str {
        match self {
            Write::Set { key, .. }
            | Write::Del { key }
            | Write::SetAdd { key, .. }
            | Write::SetRemove { key, .. }
            | Write::IndexAdd { key, .. }
            | Write::IndexRemove { key, .. } => key,
        }
    }
}

/// The keys and limits of one use of a verification token.
#[derive(Clone, Copy, Debug)]
pub struct TokenUse<'a> {
    /// The token's record.
    pub token: &'a str,
    /// The count of failed uses for its identifier.
    pub failures: &'a str,
    /// The set of the identifier's outstanding token keys.
    pub outstanding: &'a str,
    /// Failures after which every outstanding token is void (0: no limit).
    pub max_failures: u32,
    /// How long failures are counted.
    pub window_ms: u64,
    /// What the outstanding set's members leave out of their keys (see
    /// `Keys::member_prefix`): the deprecated `RedisStore` `keyPrefix`, so
    /// empty on every other store.
    pub member_prefix: &'a str,
}

impl TokenUse<'_> {
    /// The token's record as the outstanding set names it.
    pub fn token_member(&self) -> &str {
        self.token
            .strip_prefix(self.member_prefix)
            .unwrap_or(self.token)
    }
}

#[derive(Clone)]
pub enum Store {
    Memory(Arc<MemoryStore>),
    Redis(Arc<RedisStore>),
    Js(Arc<JsStore>),
}

impl Store {
    pub async fn get(&self, key: &str) -> Result<Option<String>> {
        match self {
            Store::Memory(s) => Ok(s.get(key)),
            Store::Redis(s) => s.get(key).await,
            Store::Js(s) => s.get(key).await,
        }
    }

    /// `ttl_ms`: the record disappears by itself after that many milliseconds.
    pub async fn set(&self, key: &str, value: &str, ttl_ms: Option<u64>) -> Result<()> {
        match self {
            Store::Memory(s) => {
                s.set(key, value, ttl_ms);
                Ok(())
            }
            Store::Redis(s) => s.set(key, value, ttl_ms).await,
            Store::Js(s) => s.set(key, value, ttl_ms).await,
        }
    }

    pub async fn del(&self, key: &str) -> Result<()> {
        match self {
            Store::Memory(s) => {
                s.del(key);
                Ok(())
            }
            Store::Redis(s) => s.del(key).await,
            Store::Js(s) => s.del(key).await,
        }
    }

    /// Read and delete in one step. Atomic on the native stores and on a JS
    /// store that has `getdel`; a plain JS store gets `get` then `del`.
    pub async fn getdel(&self, key: &str) -> Result<Option<String>> {
        match self {
            Store::Memory(s) => Ok(s.getdel(key)),
            Store::Redis(s) => s.getdel(key).await,
            Store::Js(s) => s.getdel(key).await,
        }
    }

    pub async fn set_remove(&self, key: &str, member: &str) -> Result<()> {
        match self {
            Store::Memory(s) => {
                s.set_remove(key, member);
                Ok(())
            }
            Store::Redis(s) => s.set_remove(key, member).await,
            Store::Js(_) => {
                self.write(&[Write::SetRemove {
                    key: key.to_owned(),
                    member: member.to_owned(),
                }])
                .await
            }
        }
    }

    pub async fn set_members(&self, key: &str) -> Result<Vec<String>> {
        match self {
            Store::Memory(s) => Ok(s.set_members(key)),
            Store::Redis(s) => s.set_members(key).await,
            Store::Js(s) => s.set_members(key).await,
        }
    }

    /// Every member of a per-user index (see [`Write::IndexAdd`]), expired
    /// ones not yet dropped included.
    pub async fn index_members(&self, key: &str) -> Result<Vec<String>> {
        match self {
            Store::Memory(s) => Ok(s.index_members(key)),
            Store::Redis(s) => s.index_members(key).await,
            Store::Js(s) => s.index_members(key).await,
        }
    }

    pub async fn index_remove(&self, key: &str, member: &str) -> Result<()> {
        self.write(&[Write::IndexRemove {
            key: key.to_owned(),
            member: member.to_owned(),
        }])
        .await
    }

    /// Uses a verification token. The attempt is counted first, atomically
    /// per identifier; only an attempt within the limit reads and deletes
    /// the token (of two concurrent uses, one wins), and a success clears
    /// the count. The attempt that reaches the limit without the code voids
    /// every outstanding token of the identifier; attempts past it answer
    /// `None` untested. An
    /// identifier with no outstanding token is not counted, so a stream of
    /// made-up identifiers writes nothing. One step on every store: a Lua
    /// script on Redis and on Redis clients (the keys share the
    /// identifier's hash tag), a critical section per identifier on a
    /// plain JS store (`lib/kv/plain.js`).
    pub async fn use_token(&self, t: &TokenUse<'_>) -> Result<Option<String>> {
        match self {
            Store::Memory(s) => Ok(s.use_token(t)),
            Store::Redis(s) => s.use_token(t).await,
            Store::Js(s) => s.use_token(t).await,
        }
    }

    /// Takes the lease at `key` for `ttl_ms` when nobody holds it, as
    /// `holder`; says whether it did. `SET NX PX` on Redis and on Redis
    /// clients; on a plain JS store get, then set (with `nx: true`, which
    /// stores like Upstash honour), then read back, under a lock of the
    /// store object's: exclusive within this process, best effort across
    /// processes.
    pub async fn acquire(&self, key: &str, holder: &str, ttl_ms: u64) -> Result<bool> {
        let value = lease_value(holder, ttl_ms);
        match self {
            Store::Memory(s) => Ok(s.acquire(key, &value, ttl_ms)),
            Store::Redis(s) => s.acquire(key, &value, ttl_ms).await,
            Store::Js(s) => s.acquire(key, &value, ttl_ms).await,
        }
    }

    /// Gives the lease at `key` back if `holder` still holds it.
    pub async fn release(&self, key: &str, holder: &str) -> Result<()> {
        match self {
            Store::Memory(s) => {
                s.release(key, holder);
                Ok(())
            }
            Store::Redis(s) => s.release(key, holder).await,
            Store::Js(s) => s.release(key, holder).await,
        }
    }

    /// Applies a batch of changes, in order. The memory store applies it
    /// under one lock; Redis in one `MULTI` round trip (on a cluster, one per
    /// hash tag, so the keys of one user change together); a Redis client
    /// likewise; a plain JS store one change at a time.
    pub async fn write(&self, batch: &[Write]) -> Result<()> {
        match self {
            Store::Memory(s) => {
                s.write(batch);
                Ok(())
            }
            Store::Redis(s) => s.write(batch).await,
            Store::Js(s) => s.write(batch).await,
        }
    }

    /// Delete many keys.
    pub async fn del_many(&self, keys: &[String]) -> Result<()> {
        let batch: Vec<Write> = keys
            .iter()
            .map(|key| Write::Del { key: key.clone() })
            .collect();
        self.write(&batch).await
    }
}
