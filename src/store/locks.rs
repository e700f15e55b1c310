//! The process's one table of named locks. Serialisation belongs to what is
//! shared — a store, an email — never to one adapter: Auth.js v5 apps often
//! make an adapter per request, and locks kept in each adapter would each
//! let their own caller through. Lock names carry their owner (a JS store's
//! id, for example), so unrelated owners never wait on each other.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex};

type Table = HashMap<String, Arc<tokio::sync::Mutex<()>>>;

static TABLE: LazyLock<Mutex<Table>> = LazyLock::new(Mutex::default);

fn table() -> std::sync::MutexGuard<'static, Table> {
    // Every critical section is one map operation: never left torn.
    TABLE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `work` with no other `exclusive` call of the same `name` in between
/// (in this process). `work` is told whether it had to wait for another.
pub async fn exclusive<T, F, Fut>(name: &str, work: F) -> T
where
    F: FnOnce(bool) -> Fut,
    Fut: Future<Output = T>,
{
    let entry = Entry {
        name,
        lock: table().entry(name.to_owned()).or_default().clone(),
    };
    let (held, waited) = match entry.lock.try_lock() {
        Ok(held) => (held, false),
        Err(_) => (entry.lock.lock().await, true),
    };
    let result = work(waited).await;
    drop(held);
    result
}

/// One caller's hold on a table entry; dropping it (also when the caller is
/// cancelled) removes the entry once nobody else holds or waits for it, so
/// the table holds only names in use.
struct Entry<'a> {
    name: &'a str,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Drop for Entry<'_> {
    fn drop(&mut self) {
        let mut table = table();
        if Arc::strong_count(&self.lock) == 2 {
            table.remove(self.name);
        }
    }
}

/// Names in the table whose owner part is `owner` (for tests).
#[cfg(test)]
pub fn held(owner: &str) -> usize {
    table().keys().filter(|k| k.starts_with(owner)).count()
}
