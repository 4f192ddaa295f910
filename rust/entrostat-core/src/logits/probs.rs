//! Entropy of rows of probabilities (attention weights), in any float format.
//!
//! Each row is normalised by its sum, as `scipy.stats.entropy` does (attention rows in
//! float16 sum to 1 only within rounding): H = -sum p_i ln p_i with p_i = x_i / sum x and
//! 0 ln 0 = 0. Two passes per row: the sum (with the check that every entry is finite and
//! non-negative), then the terms.

use super::format::Format;
use super::lanes::Rows;
use crate::cancel::Cancel;
use crate::divergence::fastlog::ln;
use crate::error::{Error, Result};
use crate::pool;
use rayon::prelude::*;

const LANES: usize = 8;

/// Largest entry of a row and whether every entry is finite and >= 0.
#[inline(always)]
fn checked_max<F: Format>(row: &[F::Raw]) -> (f64, bool) {
    let mut max = [0.0f64; LANES];
    let mut ok = [true; LANES];
    for (i, &r) in row.iter().enumerate() {
        let v = F::to_f64(r);
        max[i % LANES] = if v > max[i % LANES] {
            v
        } else {
            max[i % LANES]
        };
        ok[i % LANES] &= (0.0..f64::INFINITY).contains(&v);
    }
    (
        max.iter().copied().fold(0.0, f64::max),
        ok.iter().all(|&b| b),
    )
}

/// `(sum u, sum u ln u)` over u = x / max (each in [0, 1], so neither sum overflows nor
/// loses the row to underflow, whatever the scale of the weights; 0 ln 0 = 0).
#[inline(always)]
fn scaled_sums<F: Format>(row: &[F::Raw], max: f64) -> (f64, f64) {
    let mut s = [0.0f64; LANES];
    let mut t = [0.0f64; LANES];
    let chunks = row.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for j in 0..LANES {
            let u = F::to_f64(c[j]) / max;
            let ulu = u * ln(u);
            s[j] += u;
            t[j] += if u > 0.0 { ulu } else { 0.0 };
        }
    }
    for &r in rest {
        let u = F::to_f64(r) / max;
        s[0] += u;
        t[0] += if u > 0.0 { u * ln(u) } else { 0.0 };
    }
    (s.iter().sum(), t.iter().sum())
}

/// H = ln S - T / S with S = sum u, T = sum u ln u (u = x / max): the entropy of x / sum x.
#[inline(always)]
fn row_entropy<F: Format>(row: &[F::Raw]) -> Option<f64> {
    let (max, ok) = checked_max::<F>(row);
    if !ok || max <= 0.0 {
        return None;
    }
    let (s, t) = scaled_sums::<F>(row, max);
    let h = s.ln() - t / s;
    Some(if h < 0.0 { 0.0 } else { h })
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
    weights: &Rows<'_, F::Raw>,
    cancel: &Cancel,
) -> Result<Vec<f64>> {
    if weights.width() == 0 {
        return Err(Error::value(
            "weights",
            "expected at least one entry along the reduced axis, got 0",
        ));
    }
    pool::install(|| {
        (0..weights.len())
            .into_par_iter()
            .with_min_len(8)
            .map_init(Vec::new, |buf, r| {
                cancel.check()?;
                row_entropy_dispatch::<F>(weights.slice(r, buf)).ok_or_else(|| {
                    Error::value(
                        "weights",
                        format!(
                            "{} has a negative or non-finite entry, or sums to 0 \
                             (expected non-negative weights)",
                            weights.label(r)
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
        let entropies = |a: &Array2<f64>| {
            let view = a.view();
            prob_row_entropy::<f64>(&Rows::new(&view, "weights").unwrap(), &NEVER)
        };
        let h = entropies(&a).unwrap();
        assert!((h[0] - 10f64.ln()).abs() < 1e-14);
        assert_eq!(h[1], 0.0);
        // Sums that overflow, or whose inverse would: the scale does not matter.
        let b = Array2::from_shape_vec((2, 2), vec![1e308, 1e308, 5e-324, 5e-324]).unwrap();
        for h in entropies(&b).unwrap() {
            assert!((h - 2f64.ln()).abs() < 1e-15);
        }
        a[[1, 4]] = -1.0;
        assert!(entropies(&a).is_err());
    }
}
