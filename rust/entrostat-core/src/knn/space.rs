//! A marginal space the KSG family counts neighbours in: one column kept sorted (two
//! binary searches per count), or a kd-tree over several columns.

use super::tree::{map_positions, KdTree, Metric};
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use rayon::prelude::*;

/// Radius counts under the max-norm in a subspace.
pub enum Space {
    /// One column, sorted ascending (two searches per count).
    Line(SortedLine),
    Tree(KdTree),
}

/// A column sorted ascending, with the original row at each sorted position and a
/// bucket index that starts each search next to its answer.
pub struct SortedLine {
    sorted: Vec<f64>,
    /// The original row at each sorted position.
    order: Vec<u32>,
    /// Equal-width buckets over [sorted[0], sorted[n-1]]: `first[b]` is the first sorted
    /// position whose bucket is at least b, so a value's boundary lies near
    /// `first[bucket(value)]`.
    first: Vec<u32>,
    lo: f64,
    /// Buckets per unit of value (0 for a constant column: one bucket).
    per_unit: f64,
}

impl SortedLine {
    fn new(column: &[f64]) -> Result<Self> {
        if column.len() > u32::MAX as usize / 2 {
            return Err(Error::value("x", "more than 2^31 rows are not supported"));
        }
        let mut pairs: Vec<(f64, u32)> = column.iter().copied().zip(0u32..).collect();
        crate::pool::install(|| pairs.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0)));
        let (sorted, order): (Vec<f64>, Vec<u32>) = pairs.into_iter().unzip();
        let n = sorted.len();
        let (lo, hi) = (
            sorted.first().copied().unwrap_or(0.0),
            sorted.last().copied().unwrap_or(0.0),
        );
        let per_unit = if hi > lo { n as f64 / (hi - lo) } else { 0.0 };
        let per_unit = if per_unit.is_finite() { per_unit } else { 0.0 };
        let mut line = SortedLine {
            sorted,
            order,
            first: Vec::new(),
            lo,
            per_unit,
        };
        let buckets = n.max(1);
        let mut first = Vec::with_capacity(buckets + 1);
        let mut at = 0;
        for b in 0..=buckets {
            while at < n && line.bucket(line.sorted[at]) < b {
                at += 1;
            }
            first.push(at as u32);
        }
        line.first = first;
        Ok(line)
    }

    /// Bucket of value `t` (clamped to the buckets); monotone in t.
    #[inline(always)]
    fn bucket(&self, t: f64) -> usize {
        // A negative or NaN product casts to 0; the min clamps the top.
        (((t - self.lo) * self.per_unit) as usize).min(self.sorted.len().saturating_sub(1))
    }

    /// A sorted position near where values cross `t`.
    #[inline(always)]
    fn near(&self, t: f64) -> usize {
        self.first[self.bucket(t)] as usize
    }

    /// Number of values within `r` of `x`: |v - x| < r when `strict`, else <= r.
    #[inline]
    fn count(&self, x: f64, r: f64, strict: bool) -> usize {
        // fl(x - v) and fl(v - x) are monotone in v, so each side of the window is a
        // prefix predicate; the count then equals the pairwise |v - x| test.
        let v = &self.sorted;
        let (lo_hint, hi_hint) = (self.near(x - r), self.near(x + r));
        let (lo, hi) = if strict {
            (
                partition_from(v, lo_hint, |p| x - p >= r),
                partition_from(v, hi_hint, |p| p - x < r),
            )
        } else {
            (
                partition_from(v, lo_hint, |p| x - p > r),
                partition_from(v, hi_hint, |p| p - x <= r),
            )
        };
        hi.saturating_sub(lo)
    }
}

/// `slice.partition_point(pred)` for a predicate true on a prefix, searched outward from
/// `hint` (exponential steps, then bisection): cost log of the distance, not of the length.
fn partition_from(v: &[f64], hint: usize, pred: impl Fn(f64) -> bool) -> usize {
    let n = v.len();
    let hint = hint.min(n.saturating_sub(1));
    let (mut lo, mut hi);
    if n == 0 {
        return 0;
    }
    if pred(v[hint]) {
        // Boundary right of hint: pred(v[lo]) holds, look for hi with !pred or the end.
        lo = hint;
        let mut step = 1;
        loop {
            hi = lo + step;
            if hi >= n {
                hi = n;
                break;
            }
            if !pred(v[hi]) {
                break;
            }
            lo = hi;
            step *= 2;
        }
        lo + 1 + v[lo + 1..hi].partition_point(|&x| pred(x))
    } else {
        // Boundary at or left of hint: !pred(v[hi]), look for lo with pred or the start.
        hi = hint;
        let mut step = 1;
        loop {
            if hi < step {
                lo = 0;
                return v[lo..hi].partition_point(|&x| pred(x));
            }
            lo = hi - step;
            if pred(v[lo]) {
                break;
            }
            hi = lo;
            step *= 2;
        }
        lo + 1 + v[lo + 1..hi].partition_point(|&x| pred(x))
    }
}

impl Space {
    /// Build over `rows` (row-major, `d` columns).
    pub fn build(rows: &[f64], d: usize) -> Result<Self> {
        if d == 1 {
            Ok(Space::Line(SortedLine::new(rows)?))
        } else {
            Ok(Space::Tree(KdTree::build(rows, d)?))
        }
    }

    /// Number of points p with ||p - q||_inf < r (`strict`) or <= r (a point equal to
    /// q, itself included, counted like any other).
    pub fn count(&self, q: &[f64], r: f64, strict: bool) -> usize {
        match self {
            Space::Tree(t) => t.count_within(q, r, Metric::Max, strict),
            Space::Line(line) => line.count(q[0], r, strict),
        }
    }

    /// Sum over every built row i of `f(count_i, r_i)`, where r_i = `radius[i]` and
    /// count_i is the number of points within r_i of row i (strictly where
    /// `strict(r_i)`), row i included. Rows are visited in the space's own order
    /// (sorted, or tree order), so each search reads memory next to the previous one.
    pub fn sum_counts(
        &self,
        radius: &[f64],
        strict: impl Fn(f64) -> bool + Sync,
        f: impl Fn(usize, f64) -> f64 + Sync,
        cancel: &Cancel,
    ) -> Result<f64> {
        let terms = map_positions(radius.len(), cancel, |at| match self {
            Space::Line(line) => {
                let r = radius[line.order[at] as usize];
                f(line.count(line.sorted[at], r, strict(r)), r)
            }
            Space::Tree(t) => {
                let r = radius[t.original(at)];
                f(t.count_within(t.row(at), r, Metric::Max, strict(r)), r)
            }
        })?;
        Ok(terms.iter().sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_from_any_hint_equals_partition_point() {
        let v: Vec<f64> = (0..100).map(|i| (i / 3) as f64).collect();
        for t in [-1.0, 0.0, 5.0, 5.5, 32.0, 33.0, 40.0] {
            let expect = v.partition_point(|&p| p < t);
            for hint in [0, 1, 17, 50, 98, 99, 150] {
                assert_eq!(
                    partition_from(&v, hint, |p| p < t),
                    expect,
                    "t={t} hint={hint}"
                );
            }
        }
        assert_eq!(partition_from(&[], 0, |p| p < 1.0), 0);
    }

    #[test]
    fn line_counts_equal_pairwise_tests() {
        let vals: Vec<f64> = (0..300)
            .map(|i| ((i * 7919) % 53) as f64 * 0.1 - 2.0)
            .collect();
        let line = Space::build(&vals, 1).unwrap();
        for &x in vals.iter().step_by(7) {
            for r in [0.0, 0.1, 0.3, 0.30000000000000004, 1.0, 10.0] {
                for strict in [true, false] {
                    let expect = vals
                        .iter()
                        .filter(|&&p| {
                            let t = (p - x).abs();
                            if strict {
                                t < r
                            } else {
                                t <= r
                            }
                        })
                        .count();
                    assert_eq!(line.count(&[x], r, strict), expect, "x={x} r={r}");
                }
            }
        }
    }
}
