//! A store backed by a JS object (`get` / `set(key, value, { px })` / `del`,
//! optionally `getdel`). The napi boundary supplies the bridge that calls into
//! JS; this module holds no napi types so its logic is testable with
//! `cargo test`. Sets, per-user indexes and counters use the client's own
//! Redis commands when it has them (ioredis, node-redis), so they stay
//! atomic; otherwise a set is a JSON array of strings and an index a JSON
//! object of member → expiry, read, changed and written back under a lock of
//! the store's, because a plain key-value store has nothing better.

use super::{locks, TokenUse, Write};
use crate::error::{shorten, Error, Result};
use crate::redact::MIN_SECRET;
use percent_encoding::percent_decode_str;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
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
    SetNx,
    IndexAdd,
    IndexRemove,
    IndexMembers,
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
            StoreOp::SetNx => "setnx",
            StoreOp::IndexAdd => "zadd",
            StoreOp::IndexRemove => "zrem",
            StoreOp::IndexMembers => "zmembers",
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
    /// Names this store's per-key locks in the process's lock table (see
    /// [`locks`]): one id per JS store object, shared by every adapter over
    /// it, so read-change-write on stores without Redis commands is atomic
    /// within this process whichever adapter runs it (across processes only
    /// a store with its own commands is).
    owner: String,
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
    crate::redact::redact(message, &secrets)
}

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
    /// `store_id`: the same number for every adapter over one JS store
    /// object (the JS side keeps one per object).
    pub fn new(
        bridge: Box<dyn JsStoreBridge>,
        capabilities: Capabilities,
        timeout: Duration,
        store_id: u64,
    ) -> Self {
        Self {
            bridge,
            capabilities,
            owner: format!("js-store:{store_id}:"),
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
                // Bounded before redacting (whose cost grows with the text); a
                // secret cut by that is still caught piece by piece.
                let message = shorten(message, MAX_JS_MESSAGE * 4);
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
    /// the same key of this store in between.
    async fn exclusive<T>(&self, key: &str, change: impl Future<Output = Result<T>>) -> Result<T> {
        locks::exclusive(&format!("{}{key}", self.owner), |_| change).await
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
    /// [`super::Store::use_token`]): a JS store has no scripts. The attempt
    /// is counted before the code is tested, so no request in flight is
    /// tested beyond the limit: with Redis commands by `INCR`, atomic on the
    /// server; on a plain store in one critical section per identifier.
    pub async fn use_token(&self, t: &TokenUse<'_>) -> Result<Option<String>> {
        if t.max_failures == 0 {
            return self.getdel(t.token).await;
        }
        if self.capabilities.redis_sets {
            return self.counted_use(t).await;
        }
        // Named apart from the keys' own locks, which the steps take.
        let identifier = format!("{}\0use\0{}", self.owner, t.failures);
        locks::exclusive(&identifier, |_| self.counted_use(t)).await
    }

    async fn counted_use(&self, t: &TokenUse<'_>) -> Result<Option<String>> {
        let outstanding = self.set_members(t.outstanding).await?;
        if outstanding.is_empty() {
            // No code to guess: nothing is counted, so nothing is written.
            return self.getdel(t.token).await;
        }
        let attempt = self.incr(t.failures, t.window_ms).await?;
        let max = i64::from(t.max_failures);
        if attempt <= max {
            if let Some(found) = self.getdel(t.token).await? {
                self.del(t.failures).await?;
                self.set_remove(t.outstanding, t.token).await?;
                return Ok(Some(found));
            }
        }
        // Only the attempt that reached the limit voids: these steps are not
        // one atomic step, and a later attempt voiding could beat an earlier
        // one, within the limit, to the right code. Attempts past the limit
        // are never tested; the one at it tests, then voids on a miss.
        if attempt == max {
            // The codes first, the count last: a request that sees the
            // count start again finds no code left to test.
            let mut keys = outstanding;
            keys.push(t.outstanding.to_owned());
            keys.push(t.failures.to_owned());
            for key in &keys {
                self.del(key).await?;
            }
        }
        Ok(None)
    }

    /// [`super::Store::acquire`]. A Redis client answers its own `SET NX`;
    /// a plain store is asked to set with `nx: true`, after a read that
    /// finds no holder, and the value read back says who got it.
    pub async fn acquire(&self, key: &str, value: &str, ttl_ms: u64) -> Result<bool> {
        let ttl_ms = Some(ttl_ms.max(1));
        if self.capabilities.redis_sets {
            let answer = self.call(StoreOp::SetNx, key, Some(value), ttl_ms).await?;
            return Ok(answer.is_some());
        }
        let holder = super::lease_holder(value);
        self.exclusive(key, async {
            // A lease past its end is free even if the store ignored `px`.
            match self.get(key).await? {
                Some(text) if super::lease_holder(&text).is_some() => return Ok(false),
                Some(_) => self.del(key).await?,
                None => {}
            }
            self.call(StoreOp::SetNx, key, Some(value), ttl_ms).await?;
            let now = self.get(key).await?.and_then(|t| super::lease_holder(&t));
            Ok(now.is_some() && now == holder)
        })
        .await
    }

    /// [`super::Store::release`]: read, compare, delete (a JS store has no
    /// compare-and-delete; the lease's expiry bounds what a race costs).
    pub async fn release(&self, key: &str, holder: &str) -> Result<()> {
        self.exclusive(key, async {
            match self.get(key).await? {
                Some(text) if super::lease_holder(&text).as_deref() == Some(holder) => {
                    self.del(key).await
                }
                _ => Ok(()),
            }
        })
        .await
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
                Write::IndexAdd {
                    key,
                    member,
                    expires_ms,
                } => self.index_add(key, member, *expires_ms).await?,
                Write::IndexRemove { key, member } => self.index_remove(key, member).await?,
            }
        }
        Ok(())
    }

    /// [`Write::IndexAdd`]: a Redis client's sorted set (`ZADD`, then
    /// `ZREMRANGEBYSCORE` of the expired); on a plain store a JSON object
    /// of member → expiry, read, changed, pruned and written back.
    async fn index_add(&self, key: &str, member: &str, expires_ms: Option<i64>) -> Result<()> {
        let now = crate::adapter::now_ms();
        if self.capabilities.redis_sets {
            let entry = serde_json::json!([member, expires_ms, now]).to_string();
            return self
                .call(StoreOp::IndexAdd, key, Some(&entry), None)
                .await
                .map(drop);
        }
        self.exclusive(key, async {
            let mut index = self.read_index(key).await?;
            index.insert(member.to_owned(), expires_ms.into());
            index.retain(|_, expires| expires.as_i64().is_none_or(|at| at > now));
            self.write_index(key, &index).await
        })
        .await
    }

    async fn index_remove(&self, key: &str, member: &str) -> Result<()> {
        if self.capabilities.redis_sets {
            return self
                .call(StoreOp::IndexRemove, key, Some(member), None)
                .await
                .map(drop);
        }
        self.exclusive(key, async {
            let mut index = self.read_index(key).await?;
            if index.remove(member).is_some() {
                self.write_index(key, &index).await?;
            }
            Ok(())
        })
        .await
    }

    pub async fn index_members(&self, key: &str) -> Result<Vec<String>> {
        if self.capabilities.redis_sets {
            let text = self.call(StoreOp::IndexMembers, key, None, None).await?;
            return Ok(text
                .and_then(|t| serde_json::from_str::<Vec<String>>(&t).ok())
                .unwrap_or_default());
        }
        Ok(self.read_index(key).await?.keys().cloned().collect())
    }

    /// A plain store's index. An earlier version kept a JSON array of
    /// members: read as members for good. Anything else unreadable is
    /// empty: an index is a hint, the records are the truth.
    async fn read_index(&self, key: &str) -> Result<serde_json::Map<String, Value>> {
        let Some(text) = self.get(key).await? else {
            return Ok(serde_json::Map::new());
        };
        Ok(match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(index)) => index,
            Ok(Value::Array(members)) => members
                .into_iter()
                .filter_map(|m| m.as_str().map(|m| (m.to_owned(), Value::Null)))
                .collect(),
            _ => serde_json::Map::new(),
        })
    }

    async fn write_index(&self, key: &str, index: &serde_json::Map<String, Value>) -> Result<()> {
        if index.is_empty() {
            return self.del(key).await;
        }
        let text = serde_json::to_string(index).map_err(|e| Error::store(e.to_string()))?;
        self.set(key, &text, None).await
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
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

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

    fn store_with_id(id: u64) -> Arc<JsStore> {
        Arc::new(JsStore::new(
            Box::new(MapBridge::default()),
            Capabilities::default(),
            Duration::from_secs(5),
            id,
        ))
    }

    fn store() -> Arc<JsStore> {
        store_with_id(fastrand::u64(1_000_000..))
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
        assert_eq!(locks::held(&store.owner), 0);
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

    /// Two adapters' views of one JS store object (one store id, one map).
    fn shared_pair() -> (Arc<JsStore>, Arc<JsStore>) {
        let map = Arc::new(Mutex::new(HashMap::new()));
        let id = fastrand::u64(1_000_000..);
        let make = || {
            Arc::new(JsStore::new(
                Box::new(MapBridge(map.clone())),
                Capabilities::default(),
                Duration::from_secs(5),
                id,
            ))
        };
        (make(), make())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_guesses_never_reaches_the_code() {
        let (a, b) = shared_pair();
        a.set("t:right", "v", None).await.ok();
        a.write(&[Write::SetAdd {
            key: "o".into(),
            member: "t:right".into(),
            ttl_ms: None,
        }])
        .await
        .ok();
        let tasks: Vec<_> = (0..60)
            .map(|i| {
                let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move {
                    let token = if i == 59 { "t:right" } else { "t:wrong" };
                    let t = TokenUse {
                        token,
                        failures: "f",
                        outstanding: "o",
                        max_failures: 5,
                        window_ms: 60_000,
                    };
                    (i, store.use_token(&t).await)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            if let Ok((i, Ok(Some(_)))) = task.await {
                winners.push(i);
            }
        }
        // Only a use among the first five counted may have found it.
        assert!(winners.len() <= 1, "{winners:?}");
        assert_eq!(a.get("t:right").await, Ok(None));
        assert_eq!(locks::held(&a.owner), 0);
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
