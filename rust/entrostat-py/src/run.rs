//! Running core work with the GIL released, interruptible by Ctrl-C.
//!
//! Large inputs run on a scoped worker thread while the calling thread waits and polls
//! Python's signal handlers; a pending KeyboardInterrupt raises the core's cancel flag,
//! which the kernels check between chunks. Small inputs skip the watcher thread.

use crate::errors::to_py;
use entrostat_core::{Cancel, Result};
use pyo3::prelude::*;
use std::sync::mpsc;
use std::time::Duration;

/// Below this many elements a call finishes faster than a watcher thread starts.
const WATCH_ABOVE: usize = 1 << 22;
const POLL: Duration = Duration::from_millis(50);

pub fn detach<T, F>(py: Python<'_>, size: usize, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce(&Cancel) -> Result<T> + Send,
{
    if size < WATCH_ABOVE {
        let cancel = Cancel::new();
        return py.detach(|| work(&cancel)).map_err(to_py);
    }
    let (outcome, interrupt) = py.detach(|| {
        let cancel = Cancel::new();
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel();
            let cancel_ref = &cancel;
            scope.spawn(move || {
                let _ = tx.send(work(cancel_ref));
            });
            let mut interrupt = None;
            loop {
                match rx.recv_timeout(POLL) {
                    Ok(outcome) => return (Some(outcome), interrupt),
                    Err(mpsc::RecvTimeoutError::Disconnected) => return (None, interrupt),
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        if interrupt.is_none() {
                            if let Err(e) = Python::attach(|py| py.check_signals()) {
                                cancel.raise();
                                interrupt = Some(e);
                            }
                        }
                    }
                }
            }
        })
    });
    if let Some(e) = interrupt {
        return Err(e);
    }
    match outcome {
        Some(r) => r.map_err(to_py),
        None => Err(pyo3::exceptions::PyRuntimeError::new_err(
            "entrostat worker thread failed",
        )),
    }
}
