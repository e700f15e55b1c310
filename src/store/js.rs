//! A store written in JS (`lib/kv/`: ioredis and node-redis clients, and
//! plain `{ px }` stores). This side only forwards: each core operation is
//! ONE call into JS, bounded by the deadline (`timeout`), and a failure's
//! message loses whatever key or value it quotes. How an operation is done
//! — a Redis command, a MULTI, a Lua script, or a read-change-write of a
//! plain store under a lock of the store object's — is the JS module's
//! business. The napi boundary supplies the bridge that reaches JS; this
//! module holds no napi types, so it is testable with `cargo test`.

use super::{TokenUse, Write};
use crate::error::{shorten, Error, Result};
use crate::redact::MIN_SECRET;
use percent_encoding::percent_decode_str;
use serde::Serialize;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The operations a JS store module implements, each one call. The names
/// are the JS method names; `lib/kv/` is checked against [`StoreOp::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum StoreOp {
    /// `key` → the value's text or null.
    Get,
    /// `key`, `value` (JSON text), `px`.
    Set,
    /// `key`.
    Del,
    /// `key` → the value's text or null; read and deleted in one step.
    GetDel,
    /// `key` → a JSON array of the set's members.
    SetMembers,
    /// `key` → a JSON array of the per-user index's members.
    IndexMembers,
    /// `value`: the batch, a JSON array of changes `{ op, key, value?,
    /// member?, px?, expires? }` (`op`: set, del, setAdd, setRemove,
    /// indexAdd, indexRemove), applied in order.
    Write,
    /// `key`: the token's record; `value`: `{ failures, outstanding, max,
    /// windowMs }` as JSON → the record's text or null (see
    /// [`super::Store::use_token`]).
    UseToken,
    /// `key`, `value` (the lease's JSON), `px` → non-null if taken.
    Acquire,
    /// `key`, `value` (the holder).
    Release,
}

impl StoreOp {
    pub const ALL: [StoreOp; 10] = [
        StoreOp::Get,
        StoreOp::Set,
        StoreOp::Del,
        StoreOp::GetDel,
        StoreOp::SetMembers,
        StoreOp::IndexMembers,
        StoreOp::Write,
        StoreOp::UseToken,
        StoreOp::Acquire,
        StoreOp::Release,
    ];

    /// The operation's index in [`StoreOp::ALL`] (JS's `storeOps()`): how
    /// a step names it to JS.
    pub fn code(self) -> u32 {
        self as u32
    }

    pub fn name(self) -> &'static str {
        match self {
            StoreOp::Get => "get",
            StoreOp::Set => "set",
            StoreOp::Del => "del",
            StoreOp::GetDel => "getdel",
            StoreOp::SetMembers => "setMembers",
            StoreOp::IndexMembers => "indexMembers",
            StoreOp::Write => "write",
            StoreOp::UseToken => "useToken",
            StoreOp::Acquire => "acquire",
            StoreOp::Release => "release",
        }
    }
}

/// One call into the JS store (see [`StoreOp`] for what each field holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreCall {
    pub op: StoreOp,
    pub key: String,
    pub value: Option<String>,
    /// Milliseconds to live, at least 1.
    pub px: Option<u64>,
}

pub type BridgeFuture =
    Pin<Box<dyn Future<Output = std::result::Result<Option<String>, String>> + Send>>;

/// Calls the JS store. `Err` carries the JS error's message.
pub trait JsStoreBridge: Send + Sync {
    fn call(&self, call: StoreCall) -> BridgeFuture;
}

pub struct JsStore {
    bridge: Box<dyn JsStoreBridge>,
    /// Deadline for one store call: a promise that never settles must not
    /// hang a sign-in.
    timeout: Duration,
}

/// What of a JS error message goes into ours: enough to debug, bounded.
const MAX_JS_MESSAGE: usize = 300;

/// Removes from a store's error message whatever of the call it was
/// handling: some clients quote the failed command, key and value, and keys
/// and values hold session tokens, verification tokens and OAuth tokens.
fn redact(message: &str, call: &StoreCall) -> String {
    let mut secrets = Vec::new();
    collect_text(&call.key, &mut secrets, 0);
    if let Some(value) = &call.value {
        collect_text(value, &mut secrets, 0);
    }
    crate::redact::redact(message, &secrets)
}

/// A text, the parts of it a key is made of, and, if it is JSON (a record,
/// a batch of changes), the strings inside, down to `MAX_DEPTH` texts deep.
fn collect_text(text: &str, out: &mut Vec<String>, depth: usize) {
    const MAX_DEPTH: usize = 2;
    if text.len() < MIN_SECRET {
        return;
    }
    out.push(text.to_owned());
    for part in text
        .split([':', '{', '}'])
        .filter(|p| p.len() >= MIN_SECRET)
    {
        if part.len() != text.len() {
            out.push(part.to_owned());
        }
        let decoded = percent_decode_str(part).decode_utf8_lossy();
        if decoded != part {
            out.push(decoded.into_owned());
        }
    }
    if depth < MAX_DEPTH && text.starts_with(['{', '[']) {
        if let Ok(parsed) = serde_json::from_str::<Value>(text) {
            collect_value(&parsed, out, depth + 1);
        }
    }
}

fn collect_value(value: &Value, out: &mut Vec<String>, depth: usize) {
    match value {
        Value::String(s) => collect_text(s, out, depth),
        Value::Array(items) => items.iter().for_each(|v| collect_value(v, out, depth)),
        Value::Object(map) => map.values().for_each(|v| collect_value(v, out, depth)),
        _ => {}
    }
}

/// A batch as the JS store's `write` receives it: a JSON array of changes.
fn batch_json(batch: &[Write]) -> String {
    // Strings and numbers only: serialising cannot fail.
    serde_json::to_string(batch).unwrap_or_default()
}

/// What `useToken` receives besides the token's key.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenUseArgs<'a> {
    failures: &'a str,
    outstanding: &'a str,
    max: u32,
    window_ms: u64,
}

fn members(text: Option<String>) -> Vec<String> {
    // Unreadable is empty: an index is a hint, the records are the truth.
    text.and_then(|t| serde_json::from_str::<Vec<String>>(&t).ok())
        .unwrap_or_default()
}

impl JsStore {
    pub fn new(bridge: Box<dyn JsStoreBridge>, timeout: Duration) -> Self {
        Self { bridge, timeout }
    }

    /// The one call of an operation, within the deadline.
    async fn call(
        &self,
        op: StoreOp,
        key: &str,
        value: Option<String>,
        px: Option<u64>,
    ) -> Result<Option<String>> {
        let call = StoreCall {
            op,
            key: key.to_owned(),
            value,
            px: px.map(|ms| ms.max(1)),
        };
        match tokio::time::timeout(self.timeout, self.bridge.call(call.clone())).await {
            Err(_) => Err(Error::store(format!(
                "the store's {}() did not settle within {} ms",
                op.name(),
                self.timeout.as_millis()
            ))),
            Ok(Err(message)) => {
                // Bounded before redacting (whose cost grows with the text); a
                // secret cut by that is still caught piece by piece.
                let message = shorten(message, MAX_JS_MESSAGE * 4);
                let message = shorten(redact(&message, &call), MAX_JS_MESSAGE);
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

    pub async fn set(&self, key: &str, value: &str, ttl_ms: Option<u64>) -> Result<()> {
        self.call(StoreOp::Set, key, Some(value.to_owned()), ttl_ms)
            .await
            .map(drop)
    }

    pub async fn del(&self, key: &str) -> Result<()> {
        self.call(StoreOp::Del, key, None, None).await.map(drop)
    }

    pub async fn getdel(&self, key: &str) -> Result<Option<String>> {
        self.call(StoreOp::GetDel, key, None, None).await
    }

    pub async fn set_members(&self, key: &str) -> Result<Vec<String>> {
        Ok(members(
            self.call(StoreOp::SetMembers, key, None, None).await?,
        ))
    }

    pub async fn index_members(&self, key: &str) -> Result<Vec<String>> {
        Ok(members(
            self.call(StoreOp::IndexMembers, key, None, None).await?,
        ))
    }

    pub async fn write(&self, batch: &[Write]) -> Result<()> {
        let Some(first) = batch.first() else {
            return Ok(());
        };
        self.call(StoreOp::Write, first.key(), Some(batch_json(batch)), None)
            .await
            .map(drop)
    }

    pub async fn use_token(&self, t: &TokenUse<'_>) -> Result<Option<String>> {
        let value = serde_json::to_string(&TokenUseArgs {
            failures: t.failures,
            outstanding: t.outstanding,
            max: t.max_failures,
            window_ms: t.window_ms.max(1),
        })
        .unwrap_or_default();
        self.call(StoreOp::UseToken, t.token, Some(value), None)
            .await
    }

    pub async fn acquire(&self, key: &str, value: &str, ttl_ms: u64) -> Result<bool> {
        let taken = self
            .call(StoreOp::Acquire, key, Some(value.to_owned()), Some(ttl_ms))
            .await?;
        Ok(taken.is_some())
    }

    pub async fn release(&self, key: &str, holder: &str) -> Result<()> {
        self.call(StoreOp::Release, key, Some(holder.to_owned()), None)
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::{Arc, Mutex};

    /// Records each call and answers `answer`, or never when it is `None`.
    struct Recorder {
        calls: Arc<Mutex<Vec<StoreCall>>>,
        answer: Option<std::result::Result<Option<String>, String>>,
    }

    impl JsStoreBridge for Recorder {
        fn call(&self, call: StoreCall) -> BridgeFuture {
            self.calls.lock().map(|mut c| c.push(call)).ok();
            let answer = self.answer.clone();
            Box::pin(async move {
                match answer {
                    Some(answer) => answer,
                    None => std::future::pending().await,
                }
            })
        }
    }

    fn store(
        answer: Option<std::result::Result<Option<String>, String>>,
    ) -> (JsStore, Arc<Mutex<Vec<StoreCall>>>) {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let bridge = Recorder {
            calls: calls.clone(),
            answer,
        };
        let store = JsStore::new(Box::new(bridge), Duration::from_millis(50));
        (store, calls)
    }

    fn taken(calls: &Arc<Mutex<Vec<StoreCall>>>) -> Vec<StoreCall> {
        calls
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn every_operation_is_one_call() {
        let (s, calls) = store(Some(Ok(Some("[\"m\"]".into()))));
        let token = TokenUse {
            token: "t",
            failures: "f",
            outstanding: "o",
            max_failures: 5,
            window_ms: 0,
            member_prefix: "",
        };
        let batch = [
            Write::Set {
                key: "a".into(),
                value: "{}".into(),
                ttl_ms: Some(0),
            },
            Write::IndexAdd {
                key: "i".into(),
                member: "a".into(),
                expires_ms: None,
            },
        ];
        assert_eq!(s.get("k").await, Ok(Some("[\"m\"]".into())));
        assert_eq!(s.set("k", "1", Some(0)).await, Ok(()));
        assert_eq!(s.del("k").await, Ok(()));
        assert_eq!(s.getdel("k").await, Ok(Some("[\"m\"]".into())));
        assert_eq!(s.set_members("k").await, Ok(vec!["m".to_owned()]));
        assert_eq!(s.index_members("k").await, Ok(vec!["m".to_owned()]));
        assert_eq!(s.write(&batch).await, Ok(()));
        assert_eq!(s.write(&[]).await, Ok(()));
        assert!(s.use_token(&token).await.is_ok());
        assert_eq!(s.acquire("k", "{}", 10).await, Ok(true));
        assert_eq!(s.release("k", "me").await, Ok(()));
        let ops: Vec<StoreOp> = taken(&calls).iter().map(|c| c.op).collect();
        // One call each, every operation once; an empty batch makes none.
        assert_eq!(ops, StoreOp::ALL);
        // A step names its operation by its place in that list.
        for (i, op) in StoreOp::ALL.iter().enumerate() {
            assert_eq!(op.code() as usize, i, "{op:?}");
        }
    }

    #[tokio::test]
    async fn calls_carry_what_js_needs() {
        let (s, calls) = store(Some(Ok(None)));
        s.set("k", "{\"a\":1}", Some(0)).await.ok();
        s.write(&[
            Write::SetAdd {
                key: "s".into(),
                member: "m".into(),
                ttl_ms: Some(9),
            },
            Write::Del { key: "d".into() },
            Write::Set {
                key: "k0".into(),
                value: "{}".into(),
                ttl_ms: Some(0),
            },
            Write::Set {
                key: "k".into(),
                value: "{}".into(),
                ttl_ms: None,
            },
            Write::SetRemove {
                key: "s".into(),
                member: "m".into(),
            },
            Write::IndexAdd {
                key: "i".into(),
                member: "m".into(),
                expires_ms: Some(5),
            },
            Write::IndexAdd {
                key: "i".into(),
                member: "n".into(),
                expires_ms: None,
            },
            Write::IndexRemove {
                key: "i".into(),
                member: "m".into(),
            },
        ])
        .await
        .ok();
        s.use_token(&TokenUse {
            token: "t",
            failures: "f",
            outstanding: "o",
            max_failures: 5,
            window_ms: 60_000,
            member_prefix: "",
        })
        .await
        .ok();
        assert_eq!(s.acquire("l", "{}", 10).await, Ok(false));
        let calls = taken(&calls);
        // A ttl of 0 would be an error in Redis: the shortest life instead.
        assert_eq!(calls[0].px, Some(1));
        assert_eq!(calls[0].value.as_deref(), Some("{\"a\":1}"));
        let batch: Value =
            serde_json::from_str(calls[1].value.as_deref().unwrap_or("")).unwrap_or_default();
        assert_eq!(
            batch,
            json!([
                { "op": "setAdd", "key": "s", "member": "m", "px": 9 },
                { "op": "del", "key": "d" },
                { "op": "set", "key": "k0", "value": "{}", "px": 1 },
                { "op": "set", "key": "k", "value": "{}", "px": null },
                { "op": "setRemove", "key": "s", "member": "m" },
                { "op": "indexAdd", "key": "i", "member": "m", "expires": 5 },
                { "op": "indexAdd", "key": "i", "member": "n", "expires": null },
                { "op": "indexRemove", "key": "i", "member": "m" },
            ])
        );
        let used: Value =
            serde_json::from_str(calls[2].value.as_deref().unwrap_or("")).unwrap_or_default();
        assert_eq!(calls[2].key, "t");
        assert_eq!(
            used,
            json!({ "failures": "f", "outstanding": "o", "max": 5, "windowMs": 60_000 })
        );
        assert_eq!((calls[3].key.as_str(), calls[3].px), ("l", Some(10)));
    }

    #[tokio::test]
    async fn a_store_that_never_settles_is_a_store_error_at_the_deadline() {
        let (s, _) = store(None);
        let started = std::time::Instant::now();
        let e = s.get("k").await.err();
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(
            matches!(&e, Some(Error::Store(m)) if m.contains("get() did not settle within 50 ms")),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn failures_lose_the_keys_and_values_they_quote() {
        let message = "ERR command was: [\"set\",\"session:tok%2Fsecret123\",\"{\\\"sessionToken\\\":\\\"tok/secret123\\\"}\"]";
        let (s, _) = store(Some(Err(message.into())));
        let e = s
            .set(
                "session:tok%2Fsecret123",
                r#"{"sessionToken":"tok/secret123"}"#,
                None,
            )
            .await
            .err();
        let text = format!("{e:?}");
        assert!(!text.contains("secret123"), "{text}");
        assert!(text.contains("the store's set() failed") && text.contains("[redacted]"));
        // In a batch: the keys, members and values inside it.
        let (s, _) = store(Some(Err(
            "failed on accesstoken-abcdef and user-42xyz".into()
        )));
        let e = s
            .write(&[
                Write::Set {
                    key: "account:gh:1".into(),
                    value: r#"{"access_token":"accesstoken-abcdef"}"#.into(),
                    ttl_ms: None,
                },
                Write::IndexAdd {
                    key: "user:{user-42xyz}:accounts".into(),
                    member: "account:gh:1".into(),
                    expires_ms: None,
                },
            ])
            .await
            .err();
        let text = format!("{e:?}");
        assert!(
            !text.contains("abcdef") && !text.contains("42xyz"),
            "{text}"
        );
        // Nothing to hide: the message as it is.
        let (s, _) = store(Some(Err("connection lost".into())));
        let e = s.get("session:abc").await.err();
        assert_eq!(
            e,
            Some(Error::store("the store's get() failed: connection lost"))
        );
    }
}
