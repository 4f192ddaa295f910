//! `Counts`: a streaming, mergeable histogram of labels of any integer dtype.

use super::counting::count_labels;
use super::histogram::Histogram;
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::labels::{Domain, Labels};

/// Counts of labels accumulated over chunks; merging equals counting the concatenation.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Integer domain of the keys, fixed by the first non-empty update.
    domain: Option<Domain>,
    hist: Histogram,
}

impl Counts {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn domain(&self) -> Option<Domain> {
        self.domain
    }

    pub fn histogram(&self) -> &Histogram {
        &self.hist
    }

    /// Number of labels counted.
    pub fn total(&self) -> u64 {
        self.hist.total()
    }

    /// Add the labels of a chunk.
    pub fn update(&mut self, x: &Labels<'_>, cancel: &Cancel) -> Result<()> {
        if x.is_empty() {
            return Ok(());
        }
        let hist = count_labels(x, cancel)?;
        self.absorb(x.domain(), hist)
    }

    /// Add another accumulator's counts.
    pub fn merge(&mut self, other: &Counts) -> Result<()> {
        match other.domain {
            None => Ok(()),
            Some(d) => self.absorb(d, other.hist.clone()),
        }
    }

    fn absorb(&mut self, domain: Domain, hist: Histogram) -> Result<()> {
        let mine = *self.domain.get_or_insert(domain);
        let hist = if domain == mine {
            hist
        } else {
            let mut converted = Histogram::default();
            for (k, c) in hist.sorted_items() {
                let key = domain.convert(k, mine).ok_or_else(|| {
                    Error::value(
                        "x",
                        format!(
                            "label {} does not fit the {} labels counted so far",
                            domain.value(k),
                            if mine == Domain::Signed {
                                "signed"
                            } else {
                                "unsigned"
                            }
                        ),
                    )
                })?;
                converted.add(key, c)?;
            }
            converted
        };
        self.hist = std::mem::take(&mut self.hist).merge(hist)?;
        Ok(())
    }

    /// Rebuild from (value, count) pairs given as keys of `domain`.
    pub fn from_items(domain: Option<Domain>, items: &[(u64, u64)]) -> Result<Self> {
        let mut hist = Histogram::default();
        for &(k, c) in items {
            hist.add(k, c)?;
        }
        Ok(Counts { domain, hist })
    }
}
