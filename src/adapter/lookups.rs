//! User lookups shared between concurrent callers: identical lookups in
//! flight at the same time make one directory call, and an optional
//! short-lived cache answers repeats. Every write the adapter makes clears
//! both, so no caller sees a user older than its own write.

use crate::directory::Person;
use crate::error::Result;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

type Found = Option<Person>;
type Cell = Arc<OnceCell<Result<Found>>>;

#[derive(Default)]
struct State {
    in_flight: HashMap<String, Cell>,
    cached: HashMap<String, (Instant, Found)>,
}

pub struct Lookups {
    state: Mutex<State>,
    /// `None`: no cache, only sharing of in-flight calls.
    cache_ttl: Option<Duration>,
}

/// Bound on cached entries, so a stream of distinct lookups cannot grow it.
const MAX_CACHED: usize = 10_000;

impl Lookups {
    pub fn new(cache_ttl: Option<Duration>) -> Self {
        Self {
            state: Mutex::default(),
            cache_ttl,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section is a single map operation: never torn.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The result of `lookup` for `key`, shared with identical calls.
    pub async fn get<F, Fut>(&self, key: String, lookup: F) -> Result<Found>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Found>>,
    {
        let cell = {
            let mut state = self.lock();
            if let Some(ttl) = self.cache_ttl {
                match state.cached.get(&key) {
                    Some((at, found)) if at.elapsed() < ttl => return Ok(found.clone()),
                    Some(_) => {
                        state.cached.remove(&key);
                    }
                    None => {}
                }
            }
            state.in_flight.entry(key.clone()).or_default().clone()
        };
        let result = cell.get_or_init(lookup).await.clone();
        let mut state = self.lock();
        // Only the entry this call joined is removed: an invalidation may
        // have replaced it with a newer one.
        if state
            .in_flight
            .get(&key)
            .is_some_and(|c| Arc::ptr_eq(c, &cell))
        {
            state.in_flight.remove(&key);
            if let (Some(_), Ok(found)) = (self.cache_ttl, &result) {
                if state.cached.len() >= MAX_CACHED {
                    state.cached.clear();
                }
                state.cached.insert(key, (Instant::now(), found.clone()));
            }
        }
        result
    }

    /// Forget everything: called after every write to ChatBotKit.
    pub fn invalidate(&self) {
        let mut state = self.lock();
        state.in_flight.clear();
        state.cached.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn user(id: &str) -> Found {
        Some(Person {
            id: id.to_owned(),
            ..Person::default()
        })
    }

    #[tokio::test]
    async fn concurrent_lookups_share_one_call() {
        let lookups = Arc::new(Lookups::new(None));
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (lookups, calls) = (lookups.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                lookups
                    .get("id:a".into(), || async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(30)).await;
                        Ok(user("a"))
                    })
                    .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.ok().and_then(|r| r.ok()), Some(user("a")));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Done: the next lookup calls again (no cache configured).
        lookups.get("id:a".into(), || async { Ok(None) }).await.ok();
        assert!(lookups.lock().in_flight.is_empty());
    }

    #[tokio::test]
    async fn cache_answers_until_invalidated() {
        let lookups = Lookups::new(Some(Duration::from_secs(60)));
        let first = lookups.get("k".into(), || async { Ok(user("1")) }).await;
        let second = lookups.get("k".into(), || async { Ok(user("2")) }).await;
        assert_eq!(first, second);
        lookups.invalidate();
        let third = lookups.get("k".into(), || async { Ok(user("3")) }).await;
        assert_eq!(third, Ok(user("3")));
    }
}
