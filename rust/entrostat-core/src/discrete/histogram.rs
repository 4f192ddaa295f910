//! Histograms of `u64` keys: dense (an offset and a vector) while the key range is small,
//! hashed once it is not. Hash tables are split into a fixed number of shards by key hash,
//! so that threads fill disjoint shards, each small enough to stay in cache, and two
//! histograms merge shard by shard. Mergeable, so chunks and threads count independently.

use super::fingerprint::Fingerprint;
use super::table::CountTable;
use super::zeroed::ZeroedBuf;
use crate::error::{Error, Result};
use crate::pool;
use rayon::prelude::*;

/// Largest key range held densely, whatever the input size (2^22 bins = 32 MiB of u64).
const DENSE_MAX_RANGE: u64 = 1 << 22;
/// Key ranges up to this size are always dense, however few labels there are.
const DENSE_MIN_RANGE: u64 = 1 << 16;

/// Hashed histograms whose incoming side holds this many keys merge shard by shard in
/// parallel.
const PARALLEL_MERGE: usize = 1 << 15;

/// Number of hash shards (fixed, so histograms built anywhere merge shard by shard).
pub const SHARDS: usize = 256;

/// The shard of a key: the top bits of a multiplicative hash.
#[inline(always)]
pub fn shard_of(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize
}

/// A hash table of counts split into [`SHARDS`] shards by [`shard_of`].
pub type Shards = Vec<CountTable<u64>>;

pub fn empty_shards() -> Shards {
    (0..SHARDS).map(|_| CountTable::new()).collect()
}

/// Counts of keys.
#[derive(Debug, Clone)]
pub enum Histogram {
    /// `counts[i]` is the count of key `offset + i`.
    Dense {
        offset: u64,
        counts: ZeroedBuf<u64>,
    },
    Hashed(Shards),
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::Dense {
            offset: 0,
            counts: ZeroedBuf::new(0),
        }
    }
}

/// Whether a key range `[lo, hi]` should be counted densely, given roughly how many
/// labels will be counted (`expected_n`): dense tables cost O(range) memory per thread.
pub fn dense_fits(lo: u64, hi: u64, expected_n: usize) -> bool {
    let range = hi - lo;
    range < DENSE_MIN_RANGE || (range < DENSE_MAX_RANGE && range / 2 <= expected_n as u64)
}

/// Dense tables of millions of bins take huge pages (see `zeroed`): their increments
/// land anywhere in the table.
fn try_zeroed(len: usize) -> Result<ZeroedBuf<u64>> {
    ZeroedBuf::try_new(len).ok_or_else(|| Error::Memory(format!("a histogram of {len} bins")))
}

/// The fingerprint of parts of counts (zeros ignored), one per parallel task.
fn fingerprint_of<P, I>(parts: P) -> Fingerprint
where
    P: ParallelIterator<Item = I>,
    I: IntoIterator<Item = u64>,
{
    parts
        .fold(Fingerprint::new, |mut f, counts| {
            f.extend(counts);
            f
        })
        .reduce(Fingerprint::new, |mut a, b| {
            a.merge(&b);
            a
        })
}

impl Histogram {
    /// Number of counted labels.
    pub fn total(&self) -> u64 {
        match self {
            Histogram::Dense { counts, .. } => counts.iter().sum(),
            Histogram::Hashed(s) => s.iter().flat_map(|m| m.values()).sum(),
        }
    }

    /// Number of distinct keys seen.
    pub fn support(&self) -> usize {
        match self {
            Histogram::Dense { counts, .. } => counts.iter().filter(|&&c| c > 0).count(),
            Histogram::Hashed(s) => s.iter().map(|m| m.len()).sum(),
        }
    }

    /// Nonzero counts, in no particular order.
    pub fn nonzero_counts(&self) -> Vec<u64> {
        match self {
            Histogram::Dense { counts, .. } => counts.iter().copied().filter(|&c| c > 0).collect(),
            Histogram::Hashed(s) => s.iter().flat_map(|m| m.values()).collect(),
        }
    }

    /// How many bins hold each count, from the tables (shards or chunks in parallel)
    /// without a vector of counts.
    pub fn fingerprint(&self) -> Fingerprint {
        pool::install(|| match self {
            Histogram::Dense { counts, .. } => {
                fingerprint_of(counts.par_chunks(1 << 16).map(|c| c.iter().copied()))
            }
            Histogram::Hashed(s) => fingerprint_of(s.par_iter().map(|m| m.values())),
        })
    }

    /// (key, count) pairs with nonzero count, sorted by key.
    pub fn sorted_items(&self) -> Vec<(u64, u64)> {
        let mut items: Vec<(u64, u64)> = match self {
            Histogram::Dense { offset, counts } => counts
                .iter()
                .enumerate()
                .filter(|(_, &c)| c > 0)
                .map(|(i, &c)| (offset + i as u64, c))
                .collect(),
            Histogram::Hashed(s) => s.iter().flat_map(|m| m.iter()).collect(),
        };
        items.sort_unstable();
        items
    }

    /// A histogram of (key, count) pairs, sized once for their key range.
    pub fn from_items(items: &[(u64, u64)]) -> Result<Histogram> {
        checked_total(items.iter().map(|&(_, c)| c))?;
        let mut hist = Histogram::default();
        if let (Some(lo), Some(hi)) = (
            items.iter().map(|&(k, _)| k).min(),
            items.iter().map(|&(k, _)| k).max(),
        ) {
            hist.reserve_range(lo, hi, items.len())?;
        }
        for &(k, c) in items {
            hist.add(k, c)?;
        }
        Ok(hist)
    }

    /// Make room for keys in `[lo, hi]`, switching to hashing when the range grows too wide.
    pub fn reserve_range(&mut self, lo: u64, hi: u64, expected_n: usize) -> Result<()> {
        if let Histogram::Dense { offset, counts } = self {
            let (new_lo, new_hi) = if counts.is_empty() {
                (lo, hi)
            } else {
                (lo.min(*offset), hi.max(*offset + counts.len() as u64 - 1))
            };
            if !dense_fits(new_lo, new_hi, expected_n) {
                self.make_hashed();
                return Ok(());
            }
            let new_len = (new_hi - new_lo + 1) as usize;
            if counts.is_empty() {
                *offset = new_lo;
                *counts = try_zeroed(new_len)?;
            } else if new_lo != *offset || new_len != counts.len() {
                let mut grown = try_zeroed(new_len)?;
                let shift = (*offset - new_lo) as usize;
                grown[shift..shift + counts.len()].copy_from_slice(&counts[..]);
                *offset = new_lo;
                *counts = grown;
            }
        }
        Ok(())
    }

    fn make_hashed(&mut self) {
        if let Histogram::Dense { offset, counts } = self {
            let mut shards = empty_shards();
            for (i, &c) in counts.iter().enumerate() {
                if c > 0 {
                    let key = *offset + i as u64;
                    shards[shard_of(key)].add(key, c);
                }
            }
            *self = Histogram::Hashed(shards);
        }
    }

    /// Add `c` to the count of `key` (any key; grows or converts as needed).
    pub fn add(&mut self, key: u64, c: u64) -> Result<()> {
        if let Histogram::Dense { .. } = self {
            self.reserve_range(key, key, 0)?;
        }
        match self {
            Histogram::Dense { offset, counts } => counts[(key - *offset) as usize] += c,
            Histogram::Hashed(s) => s[shard_of(key)].add(key, c),
        }
        Ok(())
    }

    /// Add every count of `other` into `self`.
    pub fn merge(mut self, other: Histogram) -> Result<Histogram> {
        // Merge the smaller table into the larger one.
        if self.table_len() < other.table_len() {
            return other.merge(self);
        }
        match other {
            Histogram::Dense { offset, counts } => {
                if counts.is_empty() {
                    return Ok(self);
                }
                let hi = offset + counts.len() as u64 - 1;
                self.reserve_range(offset, hi, counts.len())?;
                match &mut self {
                    Histogram::Dense {
                        offset: o,
                        counts: mine,
                    } => {
                        let shift = (offset - *o) as usize;
                        for (a, b) in mine[shift..shift + counts.len()]
                            .iter_mut()
                            .zip(counts.iter())
                        {
                            *a += b;
                        }
                    }
                    Histogram::Hashed(s) => {
                        for (i, &c) in counts.iter().enumerate() {
                            if c > 0 {
                                let key = offset + i as u64;
                                s[shard_of(key)].add(key, c);
                            }
                        }
                    }
                }
            }
            Histogram::Hashed(theirs) => {
                self.make_hashed();
                if let Histogram::Hashed(mine) = &mut self {
                    // Shards merge independently: in parallel where the tables are large
                    // (two hashed histograms of 3 x 10^5 keys: 17 ms on one thread).
                    let pairs = mine.iter_mut().zip(&theirs);
                    if theirs.iter().map(|t| t.len()).sum::<usize>() < PARALLEL_MERGE {
                        pairs.for_each(|(m, t)| m.absorb(t));
                    } else {
                        let pairs: Vec<_> = pairs.collect();
                        pool::install(|| pairs.into_par_iter().for_each(|(m, t)| m.absorb(t)));
                    }
                }
            }
        }
        Ok(self)
    }

    fn table_len(&self) -> usize {
        match self {
            Histogram::Dense { counts, .. } => counts.len(),
            Histogram::Hashed(s) => s.iter().map(|m| m.len()).sum(),
        }
    }
}
/// The sum of restored counts (a pickled state), or an error naming the state when it
/// passes 2^64 - 1 (counts are u64; the sum would wrap).
pub fn checked_total(counts: impl IntoIterator<Item = u64>) -> Result<u64> {
    counts
        .into_iter()
        .try_fold(0u64, |acc, c| acc.checked_add(c))
        .ok_or_else(|| Error::value("state", "the counts add up to more than 2^64 - 1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Restored counts whose sum passes 2^64 - 1 are refused instead of wrapping.
    #[test]
    fn restored_counts_may_not_overflow() {
        assert!(Histogram::from_items(&[(1, u64::MAX), (2, 1)]).is_err());
        let hist = Histogram::from_items(&[(1, u64::MAX - 1), (2, 1)]).unwrap();
        assert_eq!(hist.total(), u64::MAX);
    }

    /// Hashed histograms merge shard by shard, in parallel past `PARALLEL_MERGE` keys:
    /// the merged counts are the sums, whichever side is larger.
    #[test]
    fn large_hashed_histograms_merge_to_the_sums() {
        let spread = |i: u64| i.wrapping_mul(0x2545_F491_4F6C_DD1D);
        for (n_a, n_b) in [
            (100, 50),
            (3 * PARALLEL_MERGE as u64, PARALLEL_MERGE as u64 + 7),
        ] {
            let a: Vec<(u64, u64)> = (0..n_a).map(|i| (spread(i), i % 5 + 1)).collect();
            let b: Vec<(u64, u64)> = (n_a / 2..n_a / 2 + n_b).map(|i| (spread(i), 2)).collect();
            let mut want = std::collections::BTreeMap::new();
            for &(k, c) in a.iter().chain(&b) {
                *want.entry(k).or_insert(0) += c;
            }
            let want: Vec<(u64, u64)> = want.into_iter().collect();
            for (x, y) in [(&a, &b), (&b, &a)] {
                let merged = Histogram::from_items(x)
                    .unwrap()
                    .merge(Histogram::from_items(y).unwrap())
                    .unwrap();
                assert_eq!(merged.sorted_items(), want, "{n_a} and {n_b} keys");
            }
        }
    }
}
