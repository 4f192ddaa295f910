//! Fingerprints of counts (counts of counts): how many bins hold each count value.
//!
//! Millions of distinct n-grams share a few thousand count values (most are seen once),
//! and every entropy estimator is a sum over bins of a function of the count, so the
//! estimators run on the fingerprint without a vector of counts ever being built.

use hashbrown::HashMap;

/// Counts below this are tallied in a dense array.
const DENSE: usize = 1 << 10;
/// Fewer counts than this are added one by one (a [`Tally`] costs 32 KiB to clear).
const SHORT: usize = 512;

/// Tallies of small counts, in four interleaved tables: most bins hold the same small
/// count (1), and one table would chain every increment through one memory cell.
struct Tally(Box<[[u64; DENSE]; 4]>);

impl Tally {
    fn new() -> Self {
        Tally(Box::new([[0; DENSE]; 4]))
    }

    /// Tally count `c` (< DENSE) of the `j`-th bin.
    #[inline(always)]
    fn add(&mut self, j: usize, c: usize) {
        self.0[j & 3][c & (DENSE - 1)] += 1;
    }

    /// Add the tallies to `fp`; zero counts (slot 0) are not recorded.
    fn add_to(self, fp: &mut Fingerprint) {
        if fp.dense.is_empty() {
            fp.dense = vec![0; DENSE];
        }
        let t = &self.0;
        for (c, slot) in fp.dense.iter_mut().enumerate().skip(1) {
            *slot += (t[0][c] + t[1][c]) + (t[2][c] + t[3][c]);
        }
    }
}

/// Number of bins holding each count value (zero counts are not recorded).
#[derive(Debug, Clone, Default)]
pub struct Fingerprint {
    /// `dense[c]`: bins with count `c` (empty until the first small count).
    dense: Vec<u64>,
    /// Bins with counts of `DENSE` or more.
    sparse: HashMap<u64, u64>,
}

impl Fingerprint {
    pub fn new() -> Self {
        Self::default()
    }

    /// Record `bins` bins holding `count` each.
    #[inline]
    pub fn add(&mut self, count: u64, bins: u64) {
        if count == 0 || bins == 0 {
            return;
        }
        if (count as usize) < DENSE {
            if self.dense.is_empty() {
                self.dense = vec![0; DENSE];
            }
            self.dense[count as usize] += bins;
        } else {
            *self.sparse.entry(count).or_insert(0) += bins;
        }
    }

    /// Record one bin per count.
    pub fn extend(&mut self, counts: impl IntoIterator<Item = u64>) {
        let counts = counts.into_iter();
        if counts.size_hint().1.is_some_and(|n| n < SHORT) {
            counts.for_each(|c| self.add(c, 1));
            return;
        }
        let mut tally = Tally::new();
        for (j, c) in counts.enumerate() {
            if (c as usize) < DENSE {
                tally.add(j, c as usize);
            } else {
                *self.sparse.entry(c).or_insert(0) += 1;
            }
        }
        tally.add_to(self);
    }

    /// Record one bin per count of a vector of whole-number counts (each finite, >= 0 and
    /// below 2^64: validated by the caller).
    pub fn extend_whole(&mut self, counts: &[f64]) {
        debug_assert!(
            counts
                .iter()
                .all(|&c| (0.0..18_446_744_073_709_551_616.0).contains(&c) && c.fract() == 0.0),
            "counts must be whole numbers in [0, 2^64)"
        );
        // Small counts through i32: one conversion instruction (to u64 is a saturating
        // dance of several).
        self.extend(counts.iter().map(|&c| {
            if c < DENSE as f64 {
                c as i32 as u64
            } else {
                c as u64
            }
        }));
    }

    /// Add another fingerprint's bins.
    pub fn merge(&mut self, other: &Fingerprint) {
        for (c, m) in other.iter() {
            self.add(c, m);
        }
    }

    /// (count, bins) pairs, ascending by count.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let mut large: Vec<(u64, u64)> = self.sparse.iter().map(|(&c, &m)| (c, m)).collect();
        large.sort_unstable();
        self.dense
            .iter()
            .enumerate()
            .filter(|(_, &m)| m > 0)
            .map(|(c, &m)| (c as u64, m))
            .chain(large)
    }

    /// (count, bins) pairs as floats, ascending by count: what the estimators take.
    pub fn groups(&self) -> Vec<(f64, f64)> {
        self.iter().map(|(c, m)| (c as f64, m as f64)).collect()
    }

    /// Number of bins (nonzero counts).
    pub fn bins(&self) -> u64 {
        self.iter().map(|(_, m)| m).sum()
    }

    /// Sum of the counts.
    pub fn total(&self) -> u128 {
        self.iter().map(|(c, m)| c as u128 * m as u128).sum()
    }
}

/// Equal when the same counts are held by as many bins, however they are stored.
impl PartialEq for Fingerprint {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discrete::estimators::{
        entropy_from_counts, entropy_from_fingerprint, estimate, Estimator,
    };

    #[test]
    fn groups_and_totals() {
        let mut f = Fingerprint::new();
        f.extend([3, 1, 1, 5000, 0, 3, 1, 5000, 70000]);
        let mut g = Fingerprint::new();
        g.extend([1, 5000]);
        f.merge(&g);
        assert_eq!(
            f.iter().collect::<Vec<_>>(),
            vec![(1, 4), (3, 2), (5000, 3), (70000, 1)]
        );
        assert_eq!(f.bins(), 10);
        assert_eq!(f.total(), 4 + 6 + 15000 + 70000);
        assert_eq!(Fingerprint::new().bins(), 0);
    }

    #[test]
    fn estimators_agree_with_count_vectors() {
        // A Zipf-like sample: many bins share small counts, a few hold large ones.
        let counts: Vec<u64> = (1..3000u64).map(|r| 20_000 / r + (r % 3)).collect();
        let mut fp = Fingerprint::new();
        fp.extend(counts.iter().copied());
        // The vector path, per bin, with zero bins that the fingerprint does not hold.
        let mut as_f64: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
        as_f64.extend([0.0; 1500]);
        let total = as_f64.iter().sum::<f64>();
        let mut whole = Fingerprint::new();
        whole.extend_whole(&as_f64);
        assert_eq!(whole, fp);
        // Short inputs are added one by one: the same fingerprint.
        let (mut short, mut tallied) = (Fingerprint::new(), Fingerprint::new());
        short.extend_whole(&as_f64[..SHORT - 1]);
        tallied.extend(counts[..SHORT - 1].iter().copied().chain([0; SHORT]));
        assert_eq!(short, tallied);
        for name in Estimator::NAMES {
            let e: Estimator = name.parse().unwrap();
            for n_bins in [None, Some(5000.0)] {
                // The default alphabet of a count vector is its length, zero bins included.
                let k = n_bins.unwrap_or(as_f64.len() as f64);
                let want = estimate(&as_f64[..], total, e, k);
                let got = entropy_from_fingerprint(&fp, e, Some(k)).unwrap();
                // entropy_from_counts takes the fingerprint for rows this long.
                let via_counts = entropy_from_counts(&as_f64, e, n_bins).unwrap();
                assert_eq!(via_counts.value, got.value, "{name}");
                let tol = 1e-12 * want.value.abs().max(1.0);
                assert!(
                    (want.value - got.value).abs() < tol,
                    "{name}: {want:?} {got:?}"
                );
                match (want.stderr, got.stderr) {
                    (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9 * a.max(1.0), "{name}"),
                    (a, b) => assert_eq!(a.is_some(), b.is_some()),
                }
            }
        }
        assert!(entropy_from_fingerprint(&fp, Estimator::Nsb, Some(10.0)).is_err());
        assert!(entropy_from_fingerprint(&Fingerprint::new(), Estimator::Plugin, None).is_err());
    }
}
