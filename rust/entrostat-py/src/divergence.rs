//! Bindings of the divergences between distributions: argument parsing and GIL release.

use crate::run::detach;
use entrostat_core::divergence::labels;
use entrostat_core::divergence::rows::{divergence_rows, Divergence, Prob};
use entrostat_core::Cancel;
use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

fn parse_kind(kind: &str, alpha: f64) -> PyResult<Divergence> {
    Ok(match kind {
        "kl" => Divergence::Kl,
        "cross_entropy" => Divergence::CrossEntropy,
        "js" => Divergence::Js,
        "renyi" => Divergence::Renyi(alpha),
        "cs" => Divergence::CauchySchwarz,
        "hellinger" => Divergence::Hellinger,
        "total_variation" => Divergence::TotalVariation,
        other => {
            return Err(PyValueError::new_err(format!(
                "kind: unknown divergence {other:?}"
            )))
        }
    })
}

fn run<'py, T: Prob + numpy::Element>(
    py: Python<'py>,
    p: PyReadonlyArray2<'py, T>,
    q: PyReadonlyArray2<'py, T>,
    kind: Divergence,
    normalize: bool,
    tol: [f64; 2],
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (pv, qv) = (p.as_array(), q.as_array());
    let out = detach(py, pv.len(), |c: &Cancel| {
        divergence_rows(pv, qv, kind, normalize, tol, c)
    })?;
    Ok(PyArray1::from_vec(py, out))
}

/// Divergence (nats) between each row of two equally shaped 2-D float arrays of the same
/// dtype (float32 or float64; rows may be strided or broadcast); without `normalize`, the
/// rows of p and q must sum to 1 within `tol` = (for p, for q).
#[pyfunction]
#[pyo3(signature = (p, q, kind, alpha=1.0, normalize=true, tol=(1e-6, 1e-6)))]
pub fn divergence_of_rows<'py>(
    py: Python<'py>,
    p: &Bound<'py, PyAny>,
    q: &Bound<'py, PyAny>,
    kind: &str,
    alpha: f64,
    normalize: bool,
    tol: (f64, f64),
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let kind = parse_kind(kind, alpha)?;
    let tol = [tol.0, tol.1];
    if let (Ok(a), Ok(b)) = (
        p.extract::<PyReadonlyArray2<'py, f64>>(),
        q.extract::<PyReadonlyArray2<'py, f64>>(),
    ) {
        return run(py, a, b, kind, normalize, tol);
    }
    if let (Ok(a), Ok(b)) = (
        p.extract::<PyReadonlyArray2<'py, f32>>(),
        q.extract::<PyReadonlyArray2<'py, f32>>(),
    ) {
        return run(py, a, b, kind, normalize, tol);
    }
    Err(PyTypeError::new_err(
        "p, q: expected two 2-D arrays of the same float dtype (float32 or float64)",
    ))
}

/// Zhang-Grabchak estimate (nats) of KL(P || Q) from counts of two samples over one
/// alphabet (float64, whole numbers).
#[pyfunction]
pub fn kl_zhang_grabchak(
    py: Python<'_>,
    x: PyReadonlyArray1<'_, f64>,
    y: PyReadonlyArray1<'_, f64>,
) -> PyResult<f64> {
    let (xv, yv) = (x.as_slice()?, y.as_slice()?);
    detach(py, xv.len(), |_c: &Cancel| {
        labels::kl_zhang_grabchak(xv, yv)
    })
}
