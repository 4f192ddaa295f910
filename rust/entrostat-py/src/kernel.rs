//! Bindings of the kernel (Cauchy-Schwarz) estimators on continuous samples: argument
//! parsing and GIL release only.

use crate::errors::to_py;
use crate::run::detach;
use entrostat_core::divergence::kernel::{self as core, Bandwidth, Method};
use numpy::PyReadonlyArray2;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;

/// `bandwidth`: "silverman", "scott", or a real number (checked positive by the core).
fn parse_bandwidth(obj: &Bound<'_, PyAny>) -> PyResult<Bandwidth> {
    if let Ok(s) = obj.cast::<PyString>() {
        return s.to_str()?.parse().map_err(to_py);
    }
    if obj.is_instance_of::<pyo3::types::PyBool>() {
        return Err(PyTypeError::new_err(
            "bandwidth: expected \"silverman\", \"scott\" or a positive number, got bool",
        ));
    }
    match obj.extract::<f64>() {
        Ok(v) => Ok(Bandwidth::Fixed(v)),
        Err(_) => Err(PyTypeError::new_err(format!(
            "bandwidth: expected \"silverman\", \"scott\" or a positive number, got {}",
            obj.get_type().name()?
        ))),
    }
}

/// Work size for the Ctrl-C watcher: pair evaluations times dimensions.
fn pair_work(n: usize, m: usize, d: usize) -> usize {
    n.saturating_mul(m).saturating_mul(d)
}

/// Cauchy-Schwarz divergence (nats) of the rows of x (n, d) and y (m, d), estimated with
/// Gaussian kernels; returns (value, sigma).
#[pyfunction]
#[pyo3(signature = (x, y, bandwidth, method="exact", n_features=2048, seed=0))]
pub fn cs_divergence_samples(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    y: PyReadonlyArray2<'_, f64>,
    bandwidth: &Bound<'_, PyAny>,
    method: &str,
    n_features: usize,
    seed: u64,
) -> PyResult<(f64, f64)> {
    let bw = parse_bandwidth(bandwidth)?;
    let method = match method {
        "exact" => Method::Exact,
        "rff" => Method::Rff { n_features, seed },
        other => {
            return Err(PyValueError::new_err(format!(
                "method: expected \"exact\" or \"rff\", got {other:?}"
            )))
        }
    };
    let (xv, yv) = (x.as_array(), y.as_array());
    let (n, m, d) = (xv.nrows(), yv.nrows(), xv.ncols());
    let work = match method {
        Method::Exact => pair_work(n + m, n + m, d),
        Method::Rff { n_features, .. } => pair_work(n + m, n_features, d),
    };
    let r = detach(py, work, |c| core::cs_divergence(&xv, &yv, bw, method, c))?;
    Ok((r.value, r.sigma))
}

/// Cauchy-Schwarz quadratic mutual information (nats) of paired rows of x (n, dx) and
/// y (n, dy); returns (value, sigma_x, sigma_y).
#[pyfunction]
#[pyo3(signature = (x, y, bandwidth))]
pub fn cs_mutual_info(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    y: PyReadonlyArray2<'_, f64>,
    bandwidth: &Bound<'_, PyAny>,
) -> PyResult<(f64, f64, f64)> {
    let bw = parse_bandwidth(bandwidth)?;
    let (xv, yv) = (x.as_array(), y.as_array());
    let work = pair_work(xv.nrows(), xv.nrows(), xv.ncols() + yv.ncols());
    let r = detach(py, work, |c| core::cs_mutual_info(&xv, &yv, bw, c))?;
    Ok((r.value, r.sigma_x, r.sigma_y))
}
