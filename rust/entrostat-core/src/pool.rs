//! The one global Rayon pool, built lazily and sized by `ENTROSTAT_NUM_THREADS`.

use std::sync::OnceLock;

static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();

/// Threads requested by the environment, or all cores when unset or invalid.
fn requested_threads() -> usize {
    std::env::var("ENTROSTAT_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The shared pool; every parallel kernel of the core runs inside it.
pub fn pool() -> &'static rayon::ThreadPool {
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(requested_threads())
            .thread_name(|i| format!("entrostat-{i}"))
            .build()
            .expect("failed to start the entrostat thread pool")
    })
}

/// Number of threads of the shared pool.
pub fn num_threads() -> usize {
    pool().current_num_threads()
}

/// Run `f` inside the shared pool.
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    pool().install(f)
}
