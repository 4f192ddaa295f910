//! Entropy of rows of probabilities (attention weights), in any float format.
//!
//! Each row is normalised by its sum, as `scipy.stats.entropy` does (attention rows in
//! float16 sum to 1 only within rounding): H = -sum p_i ln p_i with p_i = x_i / sum x and
//! 0 ln 0 = 0. Two passes per row: the sum (with the check that every entry is finite and
//! non-negative), then the terms.

use super::format::Format;
use super::rows::row_slice;
use crate::cancel::Cancel;
use crate::divergence::fastlog::ln;
use crate::error::{Error, Result};
use crate::pool;
use ndarray::ArrayView2;
use rayon::prelude::*;

const LANES: usize = 8;

/// Sum of a row and whether every entry is finite and >= 0.
#[inline(always)]
fn checked_sum<F: Format>(row: &[F::Raw]) -> (f64, bool) {
    let mut sum = [0.0f64; LANES];
    let mut ok = [true; LANES];
    for (i, &r) in row.iter().enumerate() {
        let v = F::to_f64(r);
        sum[i % LANES] += v;
        ok[i % LANES] &= (0.0..f64::INFINITY).contains(&v);
    }
    (sum.iter().sum(), ok.iter().all(|&b| b))
}

/// -sum p ln p over the row scaled by `inv_sum`.
#[inline(always)]
fn neg_p_log_p<F: Format>(row: &[F::Raw], inv_sum: f64) -> f64 {
    let mut acc = [0.0f64; LANES];
    let chunks = row.chunks_exact(LANES);
    let rest = chunks.remainder();
    let term = |r: F::Raw| {
        let p = F::to_f64(r) * inv_sum;
        let t = p * ln(p);
        if p > 0.0 {
            -t
        } else {
            0.0
        }
    };
    for c in chunks {
        for j in 0..LANES {
            acc[j] += term(c[j]);
        }
    }
    let tail: f64 = rest.iter().map(|&r| term(r)).sum();
    acc.iter().sum::<f64>() + tail
}

#[inline(always)]
fn row_entropy<F: Format>(row: &[F::Raw]) -> Option<f64> {
    let (sum, ok) = checked_sum::<F>(row);
    if !ok || sum <= 0.0 {
        return None;
    }
    Some(neg_p_log_p::<F>(row, 1.0 / sum).max(0.0))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn row_entropy_avx2<F: Format>(row: &[F::Raw]) -> Option<f64> {
    row_entropy::<F>(row)
}

fn row_entropy_dispatch<F: Format>(row: &[F::Raw]) -> Option<f64> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports the features the function was compiled for.
        return unsafe { row_entropy_avx2::<F>(row) };
    }
    row_entropy::<F>(row)
}

/// Shannon entropy (nats) of every row of non-negative weights, each normalised by its
/// sum. A row with a negative or non-finite entry, or summing to 0, is an error.
pub fn prob_row_entropy<F: Format>(
    weights: ArrayView2<'_, F::Raw>,
    cancel: &Cancel,
) -> Result<Vec<f64>> {
    if weights.ncols() == 0 {
        return Err(Error::value(
            "weights",
            "expected at least one entry along the reduced axis, got 0",
        ));
    }
    pool::install(|| {
        (0..weights.nrows())
            .into_par_iter()
            .with_min_len(8)
            .map_init(Vec::new, |buf, r| {
                cancel.check()?;
                row_entropy_dispatch::<F>(row_slice(&weights, r, buf)).ok_or_else(|| {
                    Error::value(
                        "weights",
                        format!(
                            "row {r} has a negative or non-finite entry, or sums to 0 \
                             (expected non-negative weights)"
                        ),
                    )
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::NEVER;
    use ndarray::Array2;

    #[test]
    fn uniform_and_one_hot_rows() {
        let mut a = Array2::<f64>::zeros((2, 10));
        a.row_mut(0).fill(0.1);
        a[[1, 3]] = 2.0;
        let h = prob_row_entropy::<f64>(a.view(), &NEVER).unwrap();
        assert!((h[0] - 10f64.ln()).abs() < 1e-14);
        assert_eq!(h[1], 0.0);
        a[[1, 4]] = -1.0;
        assert!(prob_row_entropy::<f64>(a.view(), &NEVER).is_err());
    }
}
