//! Cooperative cancellation: long loops check a shared flag between chunks.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};

/// A flag another thread may raise to ask running work to stop.
#[derive(Debug, Default)]
pub struct Cancel(AtomicBool);

impl Cancel {
    pub const fn new() -> Self {
        Cancel(AtomicBool::new(false))
    }
    /// Ask the work to stop at its next check.
    pub fn raise(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    pub fn is_raised(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
    /// `Err(Interrupted)` once the flag is raised; called between chunks.
    #[inline]
    pub fn check(&self) -> Result<()> {
        if self.is_raised() {
            Err(Error::Interrupted)
        } else {
            Ok(())
        }
    }
}

/// A token that is never raised, for callers that cannot interrupt (tests, Rust users).
pub static NEVER: Cancel = Cancel::new();
