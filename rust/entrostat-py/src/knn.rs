//! Bindings of the k-NN estimators: argument parsing and GIL release only. Inputs are
//! prepared by `entrostat.knn` (float64, C-contiguous, standardised, jittered).

use crate::errors::to_py;
use crate::run::detach;
use entrostat_core::knn::{self as core, estimators::dense_codes, Ksg, Metric, Sample};
use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// A C-contiguous (n, d) float64 array as row-major samples.
fn sample<'a>(a: &'a PyReadonlyArray2<'_, f64>, arg: &str) -> PyResult<Sample<'a>> {
    let d = a.as_array().ncols();
    let rows = a
        .as_slice()
        .map_err(|_| PyValueError::new_err(format!("{arg}: expected a C-contiguous array")))?;
    Ok(Sample::new(rows, d))
}

fn metric(name: &str) -> PyResult<Metric> {
    name.parse().map_err(to_py)
}

/// Kozachenko-Leonenko differential entropy (nats) of the rows of x.
#[pyfunction]
pub fn knn_entropy(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    k: usize,
    metric: &str,
) -> PyResult<f64> {
    let m = self::metric(metric)?;
    let xs = sample(&x, "x")?;
    detach(py, xs.rows.len(), |c| core::kl_entropy(xs, k, m, c))
}

/// KSG mutual information (nats), estimator 1 or 2.
#[pyfunction]
pub fn ksg_mutual_info(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    y: PyReadonlyArray2<'_, f64>,
    k: usize,
    variant: u8,
) -> PyResult<f64> {
    let v = match variant {
        1 => Ksg::One,
        2 => Ksg::Two,
        other => {
            return Err(PyValueError::new_err(format!(
                "variant: expected 1 or 2, got {other}"
            )))
        }
    };
    let (xs, ys) = (sample(&x, "x")?, sample(&y, "y")?);
    detach(py, xs.rows.len() + ys.rows.len(), |c| {
        core::ksg_mutual_info(xs, ys, k, v, c)
    })
}

/// Frenzel-Pompe conditional mutual information I(x; y | z) (nats).
#[pyfunction]
pub fn ksg_conditional_mutual_info(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    y: PyReadonlyArray2<'_, f64>,
    z: PyReadonlyArray2<'_, f64>,
    k: usize,
) -> PyResult<f64> {
    let (xs, ys, zs) = (sample(&x, "x")?, sample(&y, "y")?, sample(&z, "z")?);
    let size = xs.rows.len() + ys.rows.len() + zs.rows.len();
    detach(py, size, |c| {
        core::ksg_conditional_mutual_info(xs, ys, zs, k, c)
    })
}

/// Gao et al. mutual information for discrete-continuous mixtures (nats).
#[pyfunction]
pub fn mixed_mutual_info(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    y: PyReadonlyArray2<'_, f64>,
    k: usize,
) -> PyResult<f64> {
    let (xs, ys) = (sample(&x, "x")?, sample(&y, "y")?);
    detach(py, xs.rows.len() + ys.rows.len(), |c| {
        core::mixed_mutual_info(xs, ys, k, c)
    })
}

/// Ross mutual information (nats) of continuous x and integer labels.
#[pyfunction]
pub fn ross_mutual_info(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    labels: PyReadonlyArray1<'_, i64>,
    k: usize,
) -> PyResult<f64> {
    let xs = sample(&x, "x")?;
    let lab = labels.as_array();
    let raw: Vec<i64> = lab.iter().copied().collect();
    detach(py, xs.rows.len(), |c| {
        let (codes, n_labels) = dense_codes(&raw);
        core::ross_mutual_info(xs, &codes, n_labels, k, c)
    })
}

/// Wang-Kulkarni-Verdu estimate of D(p || q) (nats) from x ~ p and y ~ q.
#[pyfunction]
pub fn kl_divergence_knn(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    y: PyReadonlyArray2<'_, f64>,
    k: usize,
    metric: &str,
) -> PyResult<f64> {
    let m = self::metric(metric)?;
    let (xs, ys) = (sample(&x, "x")?, sample(&y, "y")?);
    detach(py, xs.rows.len() + ys.rows.len(), |c| {
        core::wkv_kl_divergence(xs, ys, k, m, c)
    })
}

/// Mutual information of every column of X with y, as scikit-learn defines it.
#[pyfunction]
pub fn feature_mi<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
    k: usize,
    discrete_features: PyReadonlyArray1<'py, bool>,
    discrete_target: bool,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let xv = x.as_array();
    let n = xv.nrows();
    let columns: Vec<f64> = xv.t().iter().copied().collect();
    let target: Vec<f64> = y.as_array().iter().copied().collect();
    let flags: Vec<bool> = discrete_features.as_array().iter().copied().collect();
    if flags.len() != xv.ncols() {
        return Err(PyValueError::new_err(format!(
            "discrete_features: expected {} flags (one per column of X), got {}",
            xv.ncols(),
            flags.len()
        )));
    }
    let out = detach(py, columns.len(), |c| {
        core::feature_mutual_info(&columns, n, &target, k, &flags, discrete_target, c)
    })?;
    Ok(PyArray1::from_vec(py, out))
}
