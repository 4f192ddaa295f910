//! The one global Rayon pool, built lazily and sized by `ENTROSTAT_NUM_THREADS`.

use crate::error::{Error, Result};
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// `f(scratch, i)` for every `i` below `n` in the shared pool (`init` gives each
/// worker's scratch; runs of at least `min_len` indices), with the error a sequential
/// loop would give: the first failing index's (a parallel collect into `Result` returns
/// whichever error a thread met first, so the message could change from run to run).
/// Indices after a failed one are skipped; those before it still run.
pub fn try_map_in_order<T, S, I, F>(n: usize, min_len: usize, init: I, f: F) -> Result<Vec<T>>
where
    T: Send,
    I: Fn() -> S + Sync + Send,
    F: Fn(&mut S, usize) -> Result<T> + Sync + Send,
{
    let first_failed = AtomicUsize::new(usize::MAX);
    let each: Vec<Option<Result<T>>> = install(|| {
        (0..n)
            .into_par_iter()
            .with_min_len(min_len)
            .map_init(init, |scratch, i| {
                if i > first_failed.load(Ordering::Relaxed) {
                    return None;
                }
                let r = f(scratch, i);
                if r.is_err() {
                    first_failed.fetch_min(i, Ordering::Relaxed);
                }
                Some(r)
            })
            .collect()
    });
    // The failed index bounds every skipped one, so the loop ends on its error before
    // it reaches a skipped index: the fallback is never returned.
    each.into_iter()
        .map(|r| r.unwrap_or(Err(Error::Interrupted)))
        .collect()
}
