//! Bindings of the logit statistics: argument parsing, dtype dispatch and GIL release.
//! `entrostat.logits` moves the reduced axis last (a view), so arrays of any shape and
//! strides arrive here and are read row by row where they lie; 16-bit floats arrive as
//! uint16 bit patterns with their format named by `fmt`.

use crate::run::detach;
use entrostat_core::logits::floats::{float16_entropy, float32_entropy, FloatFormat};
use entrostat_core::logits::lanes::Rows;
use entrostat_core::logits::linear::linear_cross_entropy as core_linear;
use entrostat_core::logits::probs::prob_row_entropy as core_prob_entropy;
use entrostat_core::logits::rows::{self, NanPolicy, Options, Targets};
use entrostat_core::logits::{Bf16, F16};
use ndarray::ArrayViewD;
use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArrayDyn};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// A borrowed float array (any shape) in one of the four formats.
enum Floats<'py> {
    F64(PyReadonlyArrayDyn<'py, f64>),
    F32(PyReadonlyArrayDyn<'py, f32>),
    Bf16(PyReadonlyArrayDyn<'py, u16>),
    F16(PyReadonlyArrayDyn<'py, u16>),
}

impl<'py> Floats<'py> {
    fn extract(obj: &Bound<'py, PyAny>, fmt: &str, arg: &str) -> PyResult<Self> {
        let found = match fmt {
            "float64" => obj.extract().ok().map(Floats::F64),
            "float32" => obj.extract().ok().map(Floats::F32),
            "bfloat16" => obj.extract().ok().map(Floats::Bf16),
            "float16" => obj.extract().ok().map(Floats::F16),
            other => {
                return Err(PyValueError::new_err(format!(
                    "fmt: expected 'float64', 'float32', 'bfloat16' or 'float16', got {other:?}"
                )))
            }
        };
        found.ok_or_else(|| {
            let storage = if fmt.ends_with("16") { "uint16" } else { fmt };
            PyTypeError::new_err(format!(
                "{arg}: expected an array of {storage} for format {fmt}"
            ))
        })
    }

    /// The array as a view that can cross into the detached work.
    fn view(&self) -> FloatView<'_> {
        match self {
            Floats::F64(a) => FloatView::F64(a.as_array()),
            Floats::F32(a) => FloatView::F32(a.as_array()),
            Floats::Bf16(a) => FloatView::Bf16(a.as_array()),
            Floats::F16(a) => FloatView::F16(a.as_array()),
        }
    }
}

/// A view in one of the four formats (16-bit formats as bit patterns).
enum FloatView<'a> {
    F64(ArrayViewD<'a, f64>),
    F32(ArrayViewD<'a, f32>),
    Bf16(ArrayViewD<'a, u16>),
    F16(ArrayViewD<'a, u16>),
}

impl FloatView<'_> {
    fn len(&self) -> usize {
        match self {
            FloatView::F64(a) => a.len(),
            FloatView::F32(a) => a.len(),
            FloatView::Bf16(a) | FloatView::F16(a) => a.len(),
        }
    }
}

/// Run `$body` with `$rows` the array's rows (last axis) and `$F` its core format type.
macro_rules! with_format {
    ($arr:expr, $F:ident, $rows:ident => $body:expr) => {
        match $arr {
            FloatView::F64(a) => {
                type $F = f64;
                let view = a.view();
                let $rows = Rows::new(&view, "logits")?;
                $body
            }
            FloatView::F32(a) => {
                type $F = f32;
                let view = a.view();
                let $rows = Rows::new(&view, "logits")?;
                $body
            }
            FloatView::Bf16(a) => {
                type $F = Bf16;
                let view = a.view();
                let $rows = Rows::new(&view, "logits")?;
                $body
            }
            FloatView::F16(a) => {
                type $F = F16;
                let view = a.view();
                let $rows = Rows::new(&view, "logits")?;
                $body
            }
        }
    };
}

fn nan_policy(name: &str) -> PyResult<NanPolicy> {
    match name {
        "raise" => Ok(NanPolicy::Raise),
        "propagate" => Ok(NanPolicy::Propagate),
        other => Err(PyValueError::new_err(format!(
            "nan_policy: expected 'raise' or 'propagate', got {other:?}"
        ))),
    }
}

/// Softmax statistics of each row of `logits` (nats) as a dict of 1-D arrays.
#[pyfunction]
#[pyo3(signature = (logits, fmt, targets=None, ignore_index=-100, temperature=1.0, top_k=None, nan_policy="raise"))]
#[allow(clippy::too_many_arguments)]
pub fn logit_stats<'py>(
    py: Python<'py>,
    logits: &Bound<'py, PyAny>,
    fmt: &str,
    targets: Option<PyReadonlyArray1<'py, i64>>,
    ignore_index: i64,
    temperature: f64,
    top_k: Option<usize>,
    nan_policy: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let held = Floats::extract(logits, fmt, "logits")?;
    let arr = held.view();
    let opts = Options {
        temperature,
        nan_policy: self::nan_policy(nan_policy)?,
        top_k,
    };
    let ids = targets.as_ref().map(|t| Targets {
        ids: t.as_array(),
        ignore_index,
    });
    let stats = detach(
        py,
        arr.len(),
        |c| with_format!(&arr, F, v => rows::logit_stats::<F>(&v, ids, &opts, c)),
    )?;
    let column = |f: fn(&rows::RowStat) -> f64| PyArray1::from_iter(py, stats.iter().map(f));
    let out = PyDict::new(py);
    out.set_item("entropy", column(|s| s.entropy))?;
    out.set_item("varentropy", column(|s| s.varentropy))?;
    out.set_item("logsumexp", column(|s| s.logsumexp))?;
    out.set_item("max_prob", column(|s| s.max_prob))?;
    if ids.is_some() {
        out.set_item("nll", column(|s| s.nll))?;
        out.set_item(
            "rank",
            PyArray1::from_iter(py, stats.iter().map(|s| s.rank)),
        )?;
    }
    if top_k.is_some() {
        out.set_item("top_k_mass", column(|s| s.top_k_mass))?;
    }
    Ok(out)
}

/// Cross-entropy (nats) of each row of `logits` against the same row of soft targets
/// `q` (float64 or float32).
#[pyfunction]
#[pyo3(signature = (logits, fmt, q, temperature=1.0, nan_policy="raise"))]
pub fn soft_cross_entropy<'py>(
    py: Python<'py>,
    logits: &Bound<'py, PyAny>,
    fmt: &str,
    q: &Bound<'py, PyAny>,
    temperature: f64,
    nan_policy: &str,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let held = Floats::extract(logits, fmt, "logits")?;
    let arr = held.view();
    let opts = Options {
        temperature,
        nan_policy: self::nan_policy(nan_policy)?,
        top_k: None,
    };
    let q_fmt = if q.extract::<PyReadonlyArrayDyn<'py, f32>>().is_ok() {
        "float32"
    } else {
        "float64"
    };
    let q_held = Floats::extract(q, q_fmt, "targets")?;
    let qa = q_held.view();
    let out = detach(py, arr.len(), |c| match &qa {
        FloatView::F32(qv) => {
            let qr = Rows::new(qv, "targets")?;
            with_format!(&arr, F, v => rows::soft_cross_entropy::<F, f32>(&v, &qr, &opts, c))
        }
        FloatView::F64(qv) => {
            let qr = Rows::new(qv, "targets")?;
            with_format!(&arr, F, v => rows::soft_cross_entropy::<F, f64>(&v, &qr, &opts, c))
        }
        _ => unreachable!("soft targets are extracted as float32 or float64"),
    })?;
    Ok(PyArray1::from_vec(py, out))
}

/// Shannon entropy (nats) of each row of non-negative weights, normalised by its sum.
#[pyfunction]
pub fn prob_row_entropy<'py>(
    py: Python<'py>,
    weights: &Bound<'py, PyAny>,
    fmt: &str,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let held = Floats::extract(weights, fmt, "weights")?;
    let arr = held.view();
    let out = detach(
        py,
        arr.len(),
        |c| with_format!(&arr, F, v => core_prob_entropy::<F>(&v, c)),
    )?;
    Ok(PyArray1::from_vec(py, out))
}

/// Softmax statistics (nats) of the rows of `hidden @ weight.T`, computed `chunk`
/// vocabulary entries at a time.
#[pyfunction]
#[pyo3(signature = (hidden, weight, targets=None, ignore_index=-100, chunk=4096))]
pub fn linear_cross_entropy<'py>(
    py: Python<'py>,
    hidden: &Bound<'py, PyAny>,
    weight: &Bound<'py, PyAny>,
    targets: Option<PyReadonlyArray1<'py, i64>>,
    ignore_index: i64,
    chunk: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let ids = targets.as_ref().map(|t| Targets {
        ids: t.as_array(),
        ignore_index,
    });
    let work = |n: usize| n.saturating_mul(chunk.max(1));
    let stats = if let (Ok(h), Ok(w)) = (
        hidden.extract::<PyReadonlyArray2<'py, f32>>(),
        weight.extract::<PyReadonlyArray2<'py, f32>>(),
    ) {
        let (hv, wv) = (h.as_array(), w.as_array());
        detach(py, work(hv.len()), |c| core_linear(hv, wv, ids, chunk, c))?
    } else if let (Ok(h), Ok(w)) = (
        hidden.extract::<PyReadonlyArray2<'py, f64>>(),
        weight.extract::<PyReadonlyArray2<'py, f64>>(),
    ) {
        let (hv, wv) = (h.as_array(), w.as_array());
        detach(py, work(hv.len()), |c| core_linear(hv, wv, ids, chunk, c))?
    } else {
        return Err(PyTypeError::new_err(
            "hidden, weight: expected two 2-D arrays of the same float dtype (float32 or float64)",
        ));
    };
    let out = PyDict::new(py);
    out.set_item(
        "entropy",
        PyArray1::from_iter(py, stats.iter().map(|s| s.entropy)),
    )?;
    out.set_item(
        "varentropy",
        PyArray1::from_iter(py, stats.iter().map(|s| s.varentropy)),
    )?;
    out.set_item(
        "logsumexp",
        PyArray1::from_iter(py, stats.iter().map(|s| s.logsumexp)),
    )?;
    if ids.is_some() {
        out.set_item("nll", PyArray1::from_iter(py, stats.iter().map(|s| s.nll)))?;
    }
    Ok(out)
}

/// `(n, sign, exponent, mantissa, value)` entropies (bits) of the fields of floats given
/// as bit patterns: uint16 for "bfloat16" / "float16", uint32 for "float32".
#[pyfunction]
pub fn float_field_entropy(
    py: Python<'_>,
    bits: &Bound<'_, PyAny>,
    fmt: &str,
) -> PyResult<(u64, f64, f64, f64, f64)> {
    let f = match fmt {
        "bfloat16" => {
            let a: PyReadonlyArray1<'_, u16> = extract_bits(bits, fmt, "uint16")?;
            let v = a.as_array();
            detach(py, v.len(), |c| float16_entropy(v, FloatFormat::Bf16, c))?
        }
        "float16" => {
            let a: PyReadonlyArray1<'_, u16> = extract_bits(bits, fmt, "uint16")?;
            let v = a.as_array();
            detach(py, v.len(), |c| float16_entropy(v, FloatFormat::F16, c))?
        }
        "float32" => {
            let a: PyReadonlyArray1<'_, u32> = extract_bits(bits, fmt, "uint32")?;
            let v = a.as_array();
            detach(py, v.len(), |c| float32_entropy(v, c))?
        }
        other => {
            return Err(PyValueError::new_err(format!(
                "fmt: expected 'bfloat16', 'float16' or 'float32', got {other:?}"
            )))
        }
    };
    Ok((f.n, f.sign, f.exponent, f.mantissa, f.value))
}

fn extract_bits<'py, T: numpy::Element>(
    bits: &Bound<'py, PyAny>,
    fmt: &str,
    storage: &str,
) -> PyResult<PyReadonlyArray1<'py, T>> {
    bits.extract().map_err(|_| {
        PyTypeError::new_err(format!(
            "x: expected a 1-D array of {storage} bit patterns for format {fmt}"
        ))
    })
}
