//! `Counts`: a streaming, mergeable histogram of labels of any integer dtype.

use super::counting::{add_within_dense, count_labels};
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
    /// Labels counted (the histogram's sum, kept so that each update checks it in O(1)).
    total: u64,
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
        self.total
    }

    /// Add the labels of a chunk.
    pub fn update(&mut self, x: &Labels<'_>, cancel: &Cancel) -> Result<()> {
        if x.is_empty() {
            return Ok(());
        }
        // Counts are u64: refuse a sum that would wrap, as `merge` does.
        let total = self
            .total
            .checked_add(x.len() as u64)
            .ok_or_else(|| Error::value("x", "the counts would add up to more than 2^64 - 1"))?;
        if !(self.domain == Some(x.domain()) && add_within_dense(&mut self.hist, x)) {
            let hist = count_labels(x, cancel)?;
            self.absorb(x.domain(), hist, "x")?;
        }
        self.total = total;
        Ok(())
    }

    /// Add another accumulator's counts.
    pub fn merge(&mut self, other: &Counts) -> Result<()> {
        // Counts are u64: refuse a sum that would wrap (restored states can be that large).
        let total = self.total.checked_add(other.total).ok_or_else(|| {
            Error::value(
                "other",
                "the merged counts would add up to more than 2^64 - 1",
            )
        })?;
        if let Some(d) = other.domain {
            self.absorb(d, other.hist.clone(), "other")?;
        }
        self.total = total;
        Ok(())
    }

    /// Merge counts of another domain: convert whichever side fits the other's domain
    /// (a signed and an unsigned histogram merge unless one holds negative labels and the
    /// other labels above 2^63 - 1).
    fn absorb(&mut self, domain: Domain, hist: Histogram, arg: &'static str) -> Result<()> {
        let mine = *self.domain.get_or_insert(domain);
        let incoming = if domain == mine {
            hist
        } else if let Some(h) = convert(&hist, domain, mine)? {
            h
        } else if let Some(h) = convert(&self.hist, mine, domain)? {
            self.hist = h;
            self.domain = Some(domain);
            hist
        } else {
            return Err(Error::value(
                arg,
                "a label does not fit the labels counted so far (negative labels cannot be \
                 counted together with labels above 2^63 - 1)",
            ));
        };
        self.hist = std::mem::take(&mut self.hist).merge(incoming)?;
        Ok(())
    }

    /// Rebuild from (value, count) pairs given as keys of `domain`.
    pub fn from_items(domain: Option<Domain>, items: &[(u64, u64)]) -> Result<Self> {
        let hist = Histogram::from_items(items)?;
        let total = super::histogram::checked_total(items.iter().map(|p| p.1))?;
        Ok(Counts {
            domain,
            hist,
            total,
        })
    }
}

/// Re-express a histogram's keys in another domain, or `None` if some label does not fit.
fn convert(hist: &Histogram, from: Domain, to: Domain) -> Result<Option<Histogram>> {
    let mut items = hist.sorted_items();
    for item in items.iter_mut() {
        match from.convert(item.0, to) {
            Some(k) => item.0 = k,
            None => return Ok(None),
        }
    }
    Histogram::from_items(&items).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::NEVER;

    /// Chunks inside the table's range are added straight into it, chunks outside widen
    /// it: either way the counts equal those of the concatenation.
    #[test]
    fn chunked_updates_equal_one_count() {
        let x: Vec<i32> = (0..50_000i32).map(|i| (i * 7919) % 3001 - 1000).collect();
        let mut chunks = Counts::new();
        for (i, chunk) in x.chunks(4_000).enumerate() {
            let chunk: Vec<i32> = chunk.iter().map(|&v| v + (i as i32 % 3) * 500).collect();
            chunks.update(&Labels::from(&chunk[..]), &NEVER).unwrap();
        }
        let shifted: Vec<i32> = x
            .chunks(4_000)
            .enumerate()
            .flat_map(|(i, c)| c.iter().map(move |&v| v + (i as i32 % 3) * 500))
            .collect();
        let mut whole = Counts::new();
        whole.update(&Labels::from(&shifted[..]), &NEVER).unwrap();
        assert_eq!(
            chunks.histogram().sorted_items(),
            whole.histogram().sorted_items()
        );
        assert_eq!(chunks.total(), 50_000);
    }
}
