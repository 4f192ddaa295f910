//! A marginal space the KSG family counts neighbours in: one column kept sorted (two
//! binary searches per count), or a kd-tree over several columns.

use super::tree::{map_positions, KdTree, Metric};
use crate::cancel::Cancel;
use crate::error::Result;
use rayon::prelude::*;

/// Radius counts under the max-norm in a subspace.
pub enum Space {
    /// One column, sorted ascending, and the sorted position of each original row
    /// (where a count's search starts: the window around a point is usually small).
    Line {
        sorted: Vec<f64>,
        rank: Vec<u32>,
        /// The original row at each sorted position (the inverse of `rank`).
        order: Vec<u32>,
    },
    Tree(KdTree),
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
            let mut order: Vec<(f64, u32)> = rows.iter().copied().zip(0u32..).collect();
            crate::pool::install(|| order.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0)));
            let mut rank = vec![0u32; rows.len()];
            for (at, &(_, i)) in order.iter().enumerate() {
                rank[i as usize] = at as u32;
            }
            let (sorted, order) = order.into_iter().unzip();
            Ok(Space::Line {
                sorted,
                rank,
                order,
            })
        } else {
            Ok(Space::Tree(KdTree::build(rows, d)?))
        }
    }

    /// Number of points p with ||p - q||_inf < r (`strict`) or <= r, where q is the
    /// built row `row` (itself counted like any other point).
    pub fn count(&self, row: usize, q: &[f64], r: f64, strict: bool) -> usize {
        match self {
            Space::Tree(t) => t.count_within(q, r, Metric::Max, strict),
            Space::Line {
                sorted: v, rank, ..
            } => line_count(v, rank[row] as usize, q[0], r, strict),
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
            Space::Line {
                sorted: v, order, ..
            } => {
                let r = radius[order[at] as usize];
                f(line_count(v, at, v[at], r, strict(r)), r)
            }
            Space::Tree(t) => {
                let r = radius[t.original(at)];
                f(t.count_within(t.row(at), r, Metric::Max, strict(r)), r)
            }
        })?;
        Ok(terms.iter().sum())
    }
}

/// Points of the sorted column `v` within `r` of `x` (found from position `hint`).
fn line_count(v: &[f64], hint: usize, x: f64, r: f64, strict: bool) -> usize {
    // fl(x - v) and fl(v - x) are monotone in v, so each side of the window is a prefix
    // predicate; the count then equals the pairwise |v - x| test.
    let (lo, hi) = if strict {
        (
            partition_from(v, hint, |p| x - p >= r),
            partition_from(v, hint, |p| p - x < r),
        )
    } else {
        (
            partition_from(v, hint, |p| x - p > r),
            partition_from(v, hint, |p| p - x <= r),
        )
    };
    hi.saturating_sub(lo)
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
        for (row, &x) in vals.iter().enumerate().step_by(7) {
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
                    assert_eq!(line.count(row, &[x], r, strict), expect, "x={x} r={r}");
                }
            }
        }
    }
}
