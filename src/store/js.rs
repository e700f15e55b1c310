//! A store backed by a JS object (`get` / `set(key, value, { px })` / `del`,
//! optionally `getdel`). The napi boundary supplies the bridge that calls into
//! JS; this module holds no napi types so its logic is testable with
//! `cargo test`. Sets (per-user indexes) are JSON arrays of strings, read,
//! changed and written back, because a plain key-value store has no sets.

use crate::error::{Error, Result};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOp {
    Get,
    Set,
    Del,
    GetDel,
}

impl StoreOp {
    pub fn name(self) -> &'static str {
        match self {
            StoreOp::Get => "get",
            StoreOp::Set => "set",
            StoreOp::Del => "del",
            StoreOp::GetDel => "getdel",
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

pub struct JsStore {
    bridge: Box<dyn JsStoreBridge>,
    has_getdel: bool,
    /// Deadline for one store call: a promise that never settles must not
    /// hang a sign-in.
    timeout: Duration,
}

/// What of a JS error message goes into ours: enough to debug, bounded.
const MAX_JS_MESSAGE: usize = 300;

impl JsStore {
    pub fn new(bridge: Box<dyn JsStoreBridge>, has_getdel: bool, timeout: Duration) -> Self {
        Self {
            bridge,
            has_getdel,
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
                let mut message = message;
                if message.len() > MAX_JS_MESSAGE {
                    let mut cut = MAX_JS_MESSAGE;
                    while !message.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    message.truncate(cut);
                    message.push('…');
                }
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
        self.call(StoreOp::Set, key, Some(value), ttl_ms.map(|ms| ms.max(1)))
            .await
            .map(drop)
    }

    pub async fn del(&self, key: &str) -> Result<()> {
        self.call(StoreOp::Del, key, None, None).await.map(drop)
    }

    pub async fn getdel(&self, key: &str) -> Result<Option<String>> {
        if self.has_getdel {
            return self.call(StoreOp::GetDel, key, None, None).await;
        }
        let value = self.get(key).await?;
        if value.is_some() {
            self.del(key).await?;
        }
        Ok(value)
    }

    pub async fn set_members(&self, key: &str) -> Result<Vec<String>> {
        match self.get(key).await? {
            None => Ok(Vec::new()),
            // A value we cannot read as a list of strings is treated as
            // empty: an index is a hint, the records are the truth.
            Some(text) => Ok(serde_json::from_str::<Vec<String>>(&text).unwrap_or_default()),
        }
    }

    pub async fn set_add(&self, key: &str, member: &str, ttl_ms: Option<u64>) -> Result<()> {
        let mut members = self.set_members(key).await?;
        if members.iter().any(|m| m == member) && ttl_ms.is_none() {
            return Ok(());
        }
        if !members.iter().any(|m| m == member) {
            members.push(member.to_owned());
        }
        self.write_members(key, &members, ttl_ms).await
    }

    /// Read, add one, write: not atomic, as a plain key-value store offers
    /// nothing better. The window is restarted by each write.
    pub async fn incr(&self, key: &str, ttl_ms: u64) -> Result<i64> {
        let count = match self.get(key).await? {
            Some(text) => text.trim().trim_matches('"').parse::<i64>().unwrap_or(0),
            None => 0,
        }
        .saturating_add(1);
        self.set(key, &count.to_string(), Some(ttl_ms)).await?;
        Ok(count)
    }

    pub async fn set_remove(&self, key: &str, member: &str) -> Result<()> {
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
