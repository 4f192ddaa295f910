//! Mutual information of every column of X with one target, the way scikit-learn's
//! `mutual_info_regression` / `mutual_info_classif` define it: KSG-1 for two continuous
//! variables, Ross's estimator when one side is discrete, the plug-in MI of labels when
//! both are; each value clipped at 0. Columns run in parallel.

use super::estimators::{dense_codes, ksg_mutual_info, ross_mutual_info, Ksg, Sample};
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use rayon::prelude::*;

/// Labels from float values: equal values (with -0.0 == 0.0) share a code.
fn float_codes(v: &[f64]) -> (Vec<u32>, usize) {
    // Adding 0.0 turns -0.0 into +0.0; finite floats then order like their keys.
    let keys: Vec<i64> = v
        .iter()
        .map(|&x| {
            let b = (x + 0.0).to_bits() as i64;
            if b < 0 {
                b ^ i64::MAX
            } else {
                b
            }
        })
        .collect();
    dense_codes(&keys)
}

/// Plug-in mutual information (nats) of two label sequences of dense codes.
pub fn plugin_mutual_info(a: &[u32], ka: usize, b: &[u32], kb: usize) -> f64 {
    let n = a.len() as f64;
    let joint: Vec<u64> = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| x as u64 * kb as u64 + y as u64)
        .collect();
    let (jc, kj) = dense_codes(&joint);
    let tally = |codes: &[u32], k: usize| {
        let mut c = vec![0usize; k];
        for &v in codes {
            c[v as usize] += 1;
        }
        c
    };
    let (ca, cb, cj) = (tally(a, ka), tally(b, kb), tally(&jc, kj));
    // Representatives of each joint cell, to find its marginal counts.
    let mut cell = vec![(0u32, 0u32); kj];
    for ((&j, &x), &y) in jc.iter().zip(a).zip(b) {
        cell[j as usize] = (x, y);
    }
    cj.iter()
        .zip(&cell)
        .map(|(&c, &(x, y))| {
            let c = c as f64;
            c / n * (c * n / (ca[x as usize] as f64 * cb[y as usize] as f64)).ln()
        })
        .sum()
}

/// MI of each column of `columns` (p columns, each of length n, column-major) with
/// `target`, as scikit-learn's `_compute_mi` does; clipped at 0.
pub fn feature_mutual_info(
    columns: &[f64],
    n: usize,
    target: &[f64],
    k: usize,
    discrete_features: &[bool],
    discrete_target: bool,
    cancel: &Cancel,
) -> Result<Vec<f64>> {
    if target.len() != n {
        return Err(Error::value(
            "y",
            format!(
                "expected {n} values (one per row of X), got {}",
                target.len()
            ),
        ));
    }
    if n == 0 || columns.len() != n * discrete_features.len() {
        return Err(Error::value(
            "discrete_features",
            "expected one flag per column of a non-empty X",
        ));
    }
    if columns.iter().chain(target).any(|v| !v.is_finite()) {
        return Err(Error::value("X", "contains NaN or infinity"));
    }
    let target_codes = discrete_target.then(|| float_codes(target));
    let constant = |v: &[f64]| v.iter().all(|&t| t == v[0]);
    let constant_target = !discrete_target && constant(target);
    let one = |j: usize| -> Result<f64> {
        let col = &columns[j * n..(j + 1) * n];
        // A constant continuous variable carries no information: 0 exactly (the
        // estimators' digamma means would leave a rounding residue of ~1e-14).
        if constant_target || (!discrete_features[j] && constant(col)) {
            return Ok(0.0);
        }
        let mi = match (discrete_features[j], &target_codes) {
            (true, Some((t, kt))) => {
                let (c, kc) = float_codes(col);
                plugin_mutual_info(&c, kc, t, *kt)
            }
            (false, Some((t, kt))) => ross_mutual_info(Sample::new(col, 1), t, *kt, k, cancel)?,
            (true, None) => {
                let (c, kc) = float_codes(col);
                ross_mutual_info(Sample::new(target, 1), &c, kc, k, cancel)?
            }
            (false, None) => ksg_mutual_info(
                Sample::new(col, 1),
                Sample::new(target, 1),
                k,
                Ksg::One,
                cancel,
            )?,
        };
        Ok(mi.max(0.0))
    };
    crate::pool::install(|| {
        (0..discrete_features.len())
            .into_par_iter()
            .map(one)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_codes_merge_signed_zero_and_keep_order() {
        let (c, k) = float_codes(&[1.5, -0.0, 0.0, -2.0, 1.5]);
        assert_eq!(k, 3);
        assert_eq!(c, vec![2, 1, 1, 0, 2]);
    }

    #[test]
    fn plugin_mi_of_a_copy_is_the_entropy() {
        let a = [0u32, 1, 1, 2, 2, 2];
        let h: f64 = [1.0f64, 2.0, 3.0]
            .iter()
            .map(|c| -c / 6.0 * (c / 6.0).ln())
            .sum();
        assert!((plugin_mutual_info(&a, 3, &a, 3) - h).abs() < 1e-14);
        let b = [0u32, 0, 0, 0, 0, 0];
        assert_eq!(plugin_mutual_info(&a, 3, &b, 1), 0.0);
    }
}
