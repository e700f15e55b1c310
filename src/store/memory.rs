//! The native in-memory store: the embedded default, for development and tests.
//! One process only; everything is lost when it exits.

use super::{TokenUse, Write};
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

enum Value {
    Text(String),
    Set(HashSet<String>),
    /// A per-user index: member → expiry (epoch ms; `None`: for good).
    Index(HashMap<String, Option<i64>>),
}

struct Entry {
    value: Value,
    expires_at: Option<Instant>,
}

impl Entry {
    fn is_live(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

#[derive(Default)]
struct Inner {
    map: HashMap<String, Entry>,
    /// Size of the map after the last sweep of expired entries; the next
    /// sweep runs when the map has doubled, so expired keys cost O(1)
    /// amortised and the map stays within twice its live size.
    swept_len: usize,
}

impl Inner {
    fn set(&mut self, key: &str, value: &str, ttl_ms: Option<u64>, now: Instant) {
        self.map.insert(
            key.to_owned(),
            Entry {
                value: Value::Text(value.to_owned()),
                expires_at: ttl_ms.map(|ms| now + Duration::from_millis(ms)),
            },
        );
    }

    /// Removes the entry at `key`; its text if it was a live one.
    fn take_text(&mut self, key: &str, now: Instant) -> Option<String> {
        let entry = self.map.remove(key)?;
        let live = entry.is_live(now);
        match entry.value {
            Value::Text(v) if live => Some(v),
            _ => None,
        }
    }

    fn set_add(&mut self, key: &str, member: &str, ttl_ms: Option<u64>, now: Instant) {
        let entry = self.map.entry(key.to_owned()).or_insert(Entry {
            value: Value::Set(HashSet::new()),
            expires_at: None,
        });
        if !entry.is_live(now) || !matches!(entry.value, Value::Set(_)) {
            *entry = Entry {
                value: Value::Set(HashSet::new()),
                expires_at: None,
            };
        }
        if let Value::Set(set) = &mut entry.value {
            set.insert(member.to_owned());
        }
        if let Some(ms) = ttl_ms {
            entry.expires_at = Some(now + Duration::from_millis(ms));
        }
    }

    /// Adds one to a counter; a new (or expired) counter lives `ttl_ms`.
    fn incr(&mut self, key: &str, ttl_ms: u64, now: Instant) -> i64 {
        match self.map.get_mut(key) {
            Some(Entry {
                value: Value::Text(text),
                expires_at,
            }) if expires_at.is_none_or(|at| at > now) => {
                let next = text.parse::<i64>().unwrap_or(0).saturating_add(1);
                *text = next.to_string();
                next
            }
            _ => {
                self.map.insert(
                    key.to_owned(),
                    Entry {
                        value: Value::Text("1".to_owned()),
                        expires_at: Some(now + Duration::from_millis(ttl_ms)),
                    },
                );
                1
            }
        }
    }

    fn index_add(&mut self, key: &str, member: &str, expires_ms: Option<i64>, now: Instant) {
        let entry = self.map.entry(key.to_owned()).or_insert(Entry {
            value: Value::Index(HashMap::new()),
            expires_at: None,
        });
        if !entry.is_live(now) || !matches!(entry.value, Value::Index(_)) {
            *entry = Entry {
                value: Value::Index(HashMap::new()),
                expires_at: None,
            };
        }
        if let Value::Index(index) = &mut entry.value {
            index.insert(member.to_owned(), expires_ms);
            let now_ms = crate::adapter::now_ms();
            index.retain(|_, expires| expires.is_none_or(|at| at > now_ms));
        }
    }

    fn index_remove(&mut self, key: &str, member: &str) {
        let now_empty = match self.map.get_mut(key) {
            Some(Entry {
                value: Value::Index(index),
                ..
            }) => {
                index.remove(member);
                index.is_empty()
            }
            _ => false,
        };
        if now_empty {
            self.map.remove(key);
        }
    }

    fn set_remove(&mut self, key: &str, member: &str) {
        let now_empty = match self.map.get_mut(key) {
            Some(Entry {
                value: Value::Set(set),
                ..
            }) => {
                set.remove(member);
                set.is_empty()
            }
            _ => false,
        };
        // An empty set is no set, as in Redis.
        if now_empty {
            self.map.remove(key);
        }
    }
}

#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

const MIN_SWEEP_LEN: usize = 1024;

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-written entry
        // (every mutation is a single map operation), so a poisoned lock is
        // still consistent and safe to keep using.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, key: &str) -> Option<String> {
        let mut inner = self.lock();
        let now = Instant::now();
        match inner.map.get(key) {
            Some(e) if !e.is_live(now) => {
                inner.map.remove(key);
                None
            }
            Some(Entry {
                value: Value::Text(v),
                ..
            }) => Some(v.clone()),
            _ => None,
        }
    }

    pub fn set(&self, key: &str, value: &str, ttl_ms: Option<u64>) {
        let now = Instant::now();
        let mut inner = self.lock();
        inner.set(key, value, ttl_ms, now);
        Self::maybe_sweep(&mut inner, now);
    }

    pub fn del(&self, key: &str) {
        self.lock().map.remove(key);
    }

    /// Applies a batch atomically: no reader sees half of it.
    pub fn write(&self, batch: &[Write]) {
        let now = Instant::now();
        let mut inner = self.lock();
        for change in batch {
            match change {
                Write::Set { key, value, ttl_ms } => inner.set(key, value, *ttl_ms, now),
                Write::Del { key } => {
                    inner.map.remove(key);
                }
                Write::SetAdd {
                    key,
                    member,
                    ttl_ms,
                } => inner.set_add(key, member, *ttl_ms, now),
                Write::SetRemove { key, member } => inner.set_remove(key, member),
                Write::IndexAdd {
                    key,
                    member,
                    expires_ms,
                } => inner.index_add(key, member, *expires_ms, now),
                Write::IndexRemove { key, member } => inner.index_remove(key, member),
            }
        }
        Self::maybe_sweep(&mut inner, now);
    }

    pub fn getdel(&self, key: &str) -> Option<String> {
        self.lock().take_text(key, Instant::now())
    }

    /// [`super::Store::use_token`], under one lock.
    pub fn use_token(&self, t: &TokenUse<'_>) -> Option<String> {
        let now = Instant::now();
        let mut inner = self.lock();
        if t.max_failures == 0 {
            return inner.take_text(t.token, now);
        }
        let outstanding: Vec<String> = match inner.map.get(t.outstanding) {
            Some(
                e @ Entry {
                    value: Value::Set(keys),
                    ..
                },
            ) if e.is_live(now) => keys.iter().cloned().collect(),
            // No code to guess: nothing is counted, so nothing is written.
            _ => return inner.take_text(t.token, now),
        };
        let attempt = inner.incr(t.failures, t.window_ms, now);
        let max = i64::from(t.max_failures);
        if attempt <= max {
            if let Some(found) = inner.take_text(t.token, now) {
                inner.map.remove(t.failures);
                inner.set_remove(t.outstanding, t.token_member());
                return Some(found);
            }
        }
        if attempt >= max {
            for member in outstanding {
                inner.map.remove(&format!("{}{member}", t.member_prefix));
            }
            inner.map.remove(t.outstanding);
            inner.map.remove(t.failures);
        }
        None
    }

    /// [`super::Store::acquire`]: set when absent, under one lock.
    pub fn acquire(&self, key: &str, value: &str, ttl_ms: u64) -> bool {
        let now = Instant::now();
        let mut inner = self.lock();
        if inner.map.get(key).is_some_and(|e| e.is_live(now)) {
            return false;
        }
        inner.set(key, value, Some(ttl_ms), now);
        true
    }

    /// [`super::Store::release`]: deleted only if `holder` still holds it.
    pub fn release(&self, key: &str, holder: &str) {
        let mut inner = self.lock();
        if let Some(Entry {
            value: Value::Text(text),
            ..
        }) = inner.map.get(key)
        {
            if super::lease_holder(text).as_deref() == Some(holder) {
                inner.map.remove(key);
            }
        }
    }

    pub fn set_remove(&self, key: &str, member: &str) {
        self.lock().set_remove(key, member);
    }

    pub fn set_members(&self, key: &str) -> Vec<String> {
        let now = Instant::now();
        match self.lock().map.get(key) {
            Some(
                e @ Entry {
                    value: Value::Set(set),
                    ..
                },
            ) if e.is_live(now) => set.iter().cloned().collect(),
            _ => Vec::new(),
        }
    }

    pub fn index_members(&self, key: &str) -> Vec<String> {
        match self.lock().map.get(key) {
            Some(Entry {
                value: Value::Index(index),
                ..
            }) => index.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// Number of entries held, expired ones not yet swept included.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drop every expired entry now.
    pub fn sweep(&self) {
        let mut inner = self.lock();
        let now = Instant::now();
        inner.map.retain(|_, e| e.is_live(now));
        inner.swept_len = inner.map.len();
    }

    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.map.clear();
        inner.swept_len = 0;
    }

    fn maybe_sweep(inner: &mut Inner, now: Instant) {
        let len = inner.map.len();
        if len >= MIN_SWEEP_LEN && len >= inner.swept_len.saturating_mul(2) {
            inner.map.retain(|_, e| e.is_live(now));
            inner.swept_len = inner.map.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_set_del() {
        let s = MemoryStore::new();
        assert_eq!(s.get("a"), None);
        s.set("a", "1", None);
        assert_eq!(s.get("a").as_deref(), Some("1"));
        s.del("a");
        assert_eq!(s.get("a"), None);
    }

    #[test]
    fn ttl_expires() {
        let s = MemoryStore::new();
        s.set("a", "1", Some(20));
        assert_eq!(s.get("a").as_deref(), Some("1"));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(s.get("a"), None);
        assert_eq!(s.getdel("a"), None);
    }

    #[test]
    fn getdel_is_single_use() {
        let s = MemoryStore::new();
        s.set("t", "v", Some(60_000));
        assert_eq!(s.getdel("t").as_deref(), Some("v"));
        assert_eq!(s.getdel("t"), None);
    }

    #[test]
    fn expired_keys_do_not_grow_without_bound() {
        let s = MemoryStore::new();
        for i in 0..50_000 {
            s.set(&format!("k{i}"), "v", Some(1));
            if i % 10_000 == 0 {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        std::thread::sleep(Duration::from_millis(5));
        for i in 0..5_000 {
            s.set(&format!("j{i}"), "v", Some(1));
        }
        // Every key set before the last pause has expired; the map holds at
        // most the live ones plus what doubled since the last sweep.
        assert!(s.len() < 20_000, "len = {}", s.len());
    }

    fn set_add(s: &MemoryStore, key: &str, member: &str, ttl_ms: Option<u64>) {
        s.write(&[Write::SetAdd {
            key: key.to_owned(),
            member: member.to_owned(),
            ttl_ms,
        }]);
    }

    #[test]
    fn counters_count_and_expire() {
        let s = MemoryStore::new();
        let incr = || s.lock().incr("c", 30, Instant::now());
        assert_eq!(incr(), 1);
        assert_eq!(incr(), 2);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(incr(), 1);
    }

    #[test]
    fn sets_with_ttl_expire() {
        let s = MemoryStore::new();
        set_add(&s, "t", "a", Some(20));
        assert_eq!(s.set_members("t"), vec!["a"]);
        std::thread::sleep(Duration::from_millis(40));
        assert!(s.set_members("t").is_empty());
    }

    /// With and without a member prefix (the outstanding set then names
    /// `p:t1` as `t1`).
    #[test]
    fn token_use_counts_misses_and_voids_at_the_limit() {
        for prefix in ["", "p:"] {
            let s = MemoryStore::new();
            let keys: Vec<String> = ["t1", "t2", "nope", "x", "y", "z"]
                .iter()
                .map(|t| format!("{prefix}{t}"))
                .collect();
            let t = |token: &str| TokenUse {
                token: keys.iter().find(|k| k.ends_with(token)).unwrap(),
                failures: "f",
                outstanding: "o",
                max_failures: 3,
                window_ms: 60_000,
                member_prefix: prefix,
            };
            for token in ["t1", "t2"] {
                s.set(&format!("{prefix}{token}"), "v", Some(60_000));
                set_add(&s, "o", token, Some(60_000));
            }
            let t2 = format!("{prefix}t2");
            assert_eq!(s.use_token(&t("nope")), None);
            assert_eq!(s.use_token(&t("t1")).as_deref(), Some("v"));
            assert_eq!(s.get("f"), None, "a success clears the count");
            assert_eq!(s.set_members("o"), vec!["t2"], "and the used member");
            assert_eq!(s.use_token(&t("x")), None);
            assert_eq!(s.use_token(&t("y")), None);
            assert_eq!(s.get(&t2).as_deref(), Some("v"));
            assert_eq!(s.use_token(&t("z")), None);
            assert_eq!(s.get(&t2), None, "the third miss voids the rest");
            assert!(s.is_empty());
        }
    }

    #[test]
    fn indexes_drop_expired_members_on_add() {
        let s = MemoryStore::new();
        let now = crate::adapter::now_ms();
        let add = |member: &str, expires_ms| {
            s.write(&[Write::IndexAdd {
                key: "i".to_owned(),
                member: member.to_owned(),
                expires_ms,
            }])
        };
        for i in 0..300 {
            add(&format!("old{i}"), Some(now + 400));
        }
        add("forever", None);
        assert_eq!(s.index_members("i").len(), 301);
        std::thread::sleep(Duration::from_millis(450));
        add("new", Some(now + 60_000));
        let mut members = s.index_members("i");
        members.sort();
        assert_eq!(members, vec!["forever", "new"]);
        s.write(&[
            Write::IndexRemove {
                key: "i".to_owned(),
                member: "new".to_owned(),
            },
            Write::IndexRemove {
                key: "i".to_owned(),
                member: "forever".to_owned(),
            },
        ]);
        assert!(s.is_empty());
    }

    #[test]
    fn sets() {
        let s = MemoryStore::new();
        set_add(&s, "u", "a", None);
        set_add(&s, "u", "b", None);
        set_add(&s, "u", "a", None);
        let mut m = s.set_members("u");
        m.sort();
        assert_eq!(m, vec!["a", "b"]);
        s.set_remove("u", "a");
        s.set_remove("u", "b");
        assert!(s.set_members("u").is_empty());
        assert!(s.is_empty());
    }
}
