//! A store backed by a JS object (`get` / `set(key, value, { px })` / `del`,
//! optionally `getdel`). The napi boundary supplies the bridge that calls into
//! JS; this module holds no napi types so its logic is testable with
//! `cargo test`. Sets (indexes) and counters use the client's own Redis
//! commands when it has them (ioredis, node-redis), so they stay atomic;
//! otherwise a set is a JSON array of strings, read, changed and written
//! back, because a plain key-value store has nothing better.

use super::{TokenUse, Write};
use crate::error::{shorten, Error, Result};
use percent_encoding::percent_decode_str;
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOp {
    Get,
    Set,
    Del,
    GetDel,
    SetAdd,
    SetRemove,
    SetMembers,
    Incr,
}

impl StoreOp {
    pub fn name(self) -> &'static str {
        match self {
            StoreOp::Get => "get",
            StoreOp::Set => "set",
            StoreOp::Del => "del",
            StoreOp::GetDel => "getdel",
            StoreOp::SetAdd => "sadd",
            StoreOp::SetRemove => "srem",
            StoreOp::SetMembers => "smembers",
            StoreOp::Incr => "incr",
        }
    }
}

/// One call into the JS store. `value` is JSON text.
#[derive(Debug, Clone)]
pub struct StoreCall {
    pub op: StoreOp,
    pub key: String,
    pub value: Option<String>,
    pub ttl_ms: Option<u64>,
}

pub type BridgeFuture =
    Pin<Box<dyn Future<Output = std::result::Result<Option<String>, String>> + Send>>;

/// Calls the JS store. `Err` carries the JS error's message.
pub trait JsStoreBridge: Send + Sync {
    fn call(&self, call: StoreCall) -> BridgeFuture;
}

/// What the JS store can do beyond get / set / del.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// `getdel`: read and delete in one step.
    pub getdel: bool,
    /// `sadd` / `srem` / `smembers` / `incr` with Redis semantics.
    pub redis_sets: bool,
}

pub struct JsStore {
    bridge: Box<dyn JsStoreBridge>,
    capabilities: Capabilities,
    /// Per-key locks for read-change-write on stores without Redis
    /// commands: atomic within this process (across processes only a
    /// store with its own commands is).
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Deadline for one store call: a promise that never settles must not
    /// hang a sign-in.
    timeout: Duration,
}

/// Removes from a store's error message whatever of the record it was
/// handling: some clients quote the failed command, key and value, and keys
/// and values hold session tokens, verification tokens and OAuth tokens.
fn redact(message: &str, key: &str, value: Option<&str>) -> String {
    let mut secrets: Vec<String> = vec![key.to_owned()];
    for part in key.split([':', '{', '}']).filter(|p| p.len() >= MIN_SECRET) {
        secrets.push(part.to_owned());
        secrets.push(percent_decode_str(part).decode_utf8_lossy().into_owned());
    }
    if let Some(value) = value {
        secrets.push(value.to_owned());
        if let Ok(parsed) = serde_json::from_str::<Value>(value) {
            collect_strings(&parsed, &mut secrets);
        }
    }
    // Longest first, so a key is replaced whole before its parts.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut message = message.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= MIN_SECRET) {
        if message.contains(secret.as_str()) {
            message = message.replace(secret.as_str(), "[redacted]");
        }
    }
    message
}

/// Shorter strings are field names or flags, not secrets.
const MIN_SECRET: usize = 6;

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if s.len() >= MIN_SECRET => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// What of a JS error message goes into ours: enough to debug, bounded.
const MAX_JS_MESSAGE: usize = 300;

impl JsStore {
    pub fn new(
        bridge: Box<dyn JsStoreBridge>,
        capabilities: Capabilities,
        timeout: Duration,
    ) -> Self {
        Self {
            bridge,
            capabilities,
            locks: Mutex::default(),
            timeout,
        }
    }

    async fn call(
        &self,
        op: StoreOp,
        key: &str,
        value: Option<&str>,
        ttl_ms: Option<u64>,
    ) -> Result<Option<String>> {
        let call = StoreCall {
            op,
            key: key.to_owned(),
            value: value.map(str::to_owned),
            ttl_ms,
        };
        match tokio::time::timeout(self.timeout, self.bridge.call(call)).await {
            Err(_) => Err(Error::store(format!(
                "the store's {}() did not settle within {} ms",
                op.name(),
                self.timeout.as_millis()
            ))),
            Ok(Err(message)) => {
                let message = shorten(redact(&message, key, value), MAX_JS_MESSAGE);
                Err(Error::store(format!(
                    "the store's {}() failed: {message}",
                    op.name()
                )))
            }
            Ok(Ok(v)) => Ok(v),
        }
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>> {
        self.call(StoreOp::Get, key, None, None).await
    }

    /// Runs `change` (a read-change-write of `key`) with no other change of
    /// the same key in between.
    async fn exclusive<T>(&self, key: &str, change: impl Future<Output = Result<T>>) -> Result<T> {
        let lock = self
            .locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key.to_owned())
            .or_default()
            .clone();
        let result = {
            let _held = lock.lock().await;
            change.await
        };
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        // Only the map and this call hold it: nobody waits, drop the entry.
        if Arc::strong_count(&lock) == 2 {
            locks.remove(key);
        }
        result
    }

    pub async fn set(&self, key: &str, value: &str, ttl_ms: Option<u64>) -> Result<()> {
        self.call(StoreOp::Set, key, Some(value), ttl_ms.map(|ms| ms.max(1)))
            .await
            .map(drop)
    }

    pub async fn del(&self, key: &str) -> Result<()> {
        self.call(StoreOp::Del, key, None, None).await.map(drop)
    }

    /// Without the store's own `getdel`: `get` then `del`, one at a time per
    /// key, so that of two concurrent uses of one token in this process only
    /// one reads it (across processes only a store with `getdel` is atomic).
    pub async fn getdel(&self, key: &str) -> Result<Option<String>> {
        if self.capabilities.getdel {
            return self.call(StoreOp::GetDel, key, None, None).await;
        }
        self.exclusive(key, async {
            let value = self.get(key).await?;
            if value.is_some() {
                self.del(key).await?;
            }
            Ok(value)
        })
        .await
    }

    pub async fn set_members(&self, key: &str) -> Result<Vec<String>> {
        if self.capabilities.redis_sets {
            let text = self.call(StoreOp::SetMembers, key, None, None).await?;
            return Ok(text
                .and_then(|t| serde_json::from_str::<Vec<String>>(&t).ok())
                .unwrap_or_default());
        }
        match self.get(key).await? {
            None => Ok(Vec::new()),
            // A value we cannot read as a list of strings is treated as
            // empty: an index is a hint, the records are the truth.
            Some(text) => Ok(serde_json::from_str::<Vec<String>>(&text).unwrap_or_default()),
        }
    }

    async fn set_add(&self, key: &str, member: &str, ttl_ms: Option<u64>) -> Result<()> {
        if self.capabilities.redis_sets {
            return self
                .call(
                    StoreOp::SetAdd,
                    key,
                    Some(member),
                    ttl_ms.map(|ms| ms.max(1)),
                )
                .await
                .map(drop);
        }
        self.exclusive(key, self.plain_set_add(key, member, ttl_ms))
            .await
    }

    async fn plain_set_add(&self, key: &str, member: &str, ttl_ms: Option<u64>) -> Result<()> {
        let mut members = self.set_members(key).await?;
        if members.iter().any(|m| m == member) && ttl_ms.is_none() {
            return Ok(());
        }
        if !members.iter().any(|m| m == member) {
            members.push(member.to_owned());
        }
        self.write_members(key, &members, ttl_ms).await
    }

    /// A verification token's use as a sequence of calls (see
    /// [`super::Store::use_token`]): a JS store has no scripts.
    pub async fn use_token(&self, t: &TokenUse<'_>) -> Result<Option<String>> {
        let found = self.getdel(t.token).await?;
        if t.max_failures == 0 {
            return Ok(found);
        }
        if found.is_some() {
            self.del(t.failures).await?;
            return Ok(found);
        }
        if self.incr(t.failures, t.window_ms).await? >= i64::from(t.max_failures) {
            let mut keys = self.set_members(t.outstanding).await?;
            keys.push(t.outstanding.to_owned());
            keys.push(t.failures.to_owned());
            for key in &keys {
                self.del(key).await?;
            }
        }
        Ok(None)
    }

    /// A batch of changes, one call at a time.
    pub async fn write(&self, batch: &[Write]) -> Result<()> {
        for change in batch {
            match change {
                Write::Set { key, value, ttl_ms } => self.set(key, value, *ttl_ms).await?,
                Write::Del { key } => self.del(key).await?,
                Write::SetAdd {
                    key,
                    member,
                    ttl_ms,
                } => self.set_add(key, member, *ttl_ms).await?,
                Write::SetRemove { key, member } => self.set_remove(key, member).await?,
            }
        }
        Ok(())
    }

    /// Without Redis commands: read, add one, write; not atomic, as a plain
    /// key-value store offers nothing better, and each write restarts the
    /// window.
    async fn incr(&self, key: &str, ttl_ms: u64) -> Result<i64> {
        if self.capabilities.redis_sets {
            let text = self
                .call(StoreOp::Incr, key, None, Some(ttl_ms.max(1)))
                .await?;
            return text
                .and_then(|t| t.trim().parse::<i64>().ok())
                .ok_or_else(|| Error::store("the store's incr() did not answer a number"));
        }
        self.exclusive(key, self.plain_incr(key, ttl_ms)).await
    }

    async fn plain_incr(&self, key: &str, ttl_ms: u64) -> Result<i64> {
        let count = match self.get(key).await? {
            Some(text) => text.trim().trim_matches('"').parse::<i64>().unwrap_or(0),
            None => 0,
        }
        .saturating_add(1);
        self.set(key, &count.to_string(), Some(ttl_ms)).await?;
        Ok(count)
    }

    pub async fn set_remove(&self, key: &str, member: &str) -> Result<()> {
        if self.capabilities.redis_sets {
            return self
                .call(StoreOp::SetRemove, key, Some(member), None)
                .await
                .map(drop);
        }
        self.exclusive(key, self.plain_set_remove(key, member))
            .await
    }

    async fn plain_set_remove(&self, key: &str, member: &str) -> Result<()> {
        let mut members = self.set_members(key).await?;
        let before = members.len();
        members.retain(|m| m != member);
        if members.len() == before {
            return Ok(());
        }
        if members.is_empty() {
            self.del(key).await
        } else {
            self.write_members(key, &members, None).await
        }
    }

    async fn write_members(
        &self,
        key: &str,
        members: &[String],
        ttl_ms: Option<u64>,
    ) -> Result<()> {
        let text = serde_json::to_string(members).map_err(|e| Error::store(e.to_string()))?;
        self.set(key, &text, ttl_ms).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JS store stand-in: a map behind the bridge, answering after a
    /// yield so that concurrent calls interleave as they would over napi.
    #[derive(Default)]
    struct MapBridge(Arc<Mutex<HashMap<String, String>>>);

    impl JsStoreBridge for MapBridge {
        fn call(&self, call: StoreCall) -> BridgeFuture {
            let map = self.0.clone();
            Box::pin(async move {
                tokio::task::yield_now().await;
                let mut map = map.lock().map_err(|_| "poisoned".to_owned())?;
                Ok(match call.op {
                    StoreOp::Get => map.get(&call.key).cloned(),
                    StoreOp::Set => {
                        map.insert(call.key, call.value.unwrap_or_default());
                        None
                    }
                    StoreOp::Del => {
                        map.remove(&call.key);
                        None
                    }
                    _ => return Err(format!("{} is not supported", call.op.name())),
                })
            })
        }
    }

    fn store() -> Arc<JsStore> {
        Arc::new(JsStore::new(
            Box::new(MapBridge::default()),
            Capabilities::default(),
            Duration::from_secs(5),
        ))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_counts_are_not_lost() {
        let store = store();
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.incr("n", 60_000).await })
            })
            .collect();
        for task in tasks {
            assert!(matches!(task.await, Ok(Ok(_))));
        }
        assert_eq!(store.get("n").await, Ok(Some("50".to_owned())));
        assert!(store.locks.lock().map(|l| l.is_empty()).unwrap_or(false));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_set_adds_are_not_lost() {
        let store = store();
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move { store.set_add("s", &format!("m{i}"), None).await })
            })
            .collect();
        for task in tasks {
            assert!(matches!(task.await, Ok(Ok(()))));
        }
        assert_eq!(store.set_members("s").await.map(|m| m.len()), Ok(20));
    }

    #[test]
    fn redaction_removes_keys_and_values() {
        let message = "ERR command was: [\"set\",\"session:tok%2Fsecret123\",\"{\\\"sessionToken\\\":\\\"tok/secret123\\\"}\"]";
        let out = redact(
            message,
            "session:tok%2Fsecret123",
            Some(r#"{"sessionToken":"tok/secret123"}"#),
        );
        assert!(!out.contains("secret123"), "{out}");
        assert!(out.contains("[redacted]"));
        assert_eq!(
            redact("connection lost", "session:abc", None),
            "connection lost"
        );
    }
}
