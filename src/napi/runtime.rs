//! The tokio runtime every async call runs on, and how many workers it has.

/// How many tokio workers to run: every core but the one the JS thread keeps
/// busy, at least one. More workers than that mostly add cross-thread
/// wake-ups: on 2 cores, 1 worker instead of tokio's default 2 gave +13 %
/// token pairs on Redis and +58 % `getUserByEmail` (bench/notes.md).
/// `TOKIO_WORKER_THREADS`, tokio's own variable, still overrides it.
pub fn worker_count(from_env: Option<&str>, cores: usize) -> usize {
    from_env
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| cores.saturating_sub(1).max(1))
}

/// Hands napi-rs the runtime every async call runs on (called once, when
/// Node loads the addon). If it cannot be built, napi-rs builds its default.
pub fn install() {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
