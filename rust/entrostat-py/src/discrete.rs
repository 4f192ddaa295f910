//! Bindings of the discrete family: argument parsing and GIL release only.

use crate::arrays::{labels_1d, parse_domain, AnyLabels};
use crate::errors::to_py;
use crate::run::detach;
use entrostat_core::discrete::accumulator::Counts;
use entrostat_core::discrete::entropy::{
    entropies_of_ngrams, entropy_of_columns, map_rows, map_segments, ngram_entropies,
    renyi_of_columns, tsallis_of_columns,
};
use entrostat_core::discrete::estimators::{self as est, CountElement, Estimate, Estimator};
use entrostat_core::discrete::ngrams::{NgramCounts, NgramParts};
use entrostat_core::labels::{Domain, Labels};
use entrostat_core::Cancel;
use ndarray::ArrayView2;
use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

type Pair = (f64, Option<f64>);
type F64Array<'py> = Bound<'py, PyArray1<f64>>;
type U64Array<'py> = Bound<'py, PyArray1<u64>>;

fn pair(e: Estimate) -> Pair {
    (e.value, e.stderr)
}

fn parse_estimator(name: &str) -> PyResult<Estimator> {
    name.parse().map_err(to_py)
}

/// Entropy (nats) of 1-D labels or of the rows of a 2-D label array.
#[pyfunction]
#[pyo3(signature = (x, estimator="plugin", n_bins=None))]
pub fn entropy(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    estimator: &str,
    n_bins: Option<f64>,
) -> PyResult<Pair> {
    let est = parse_estimator(estimator)?;
    let x = AnyLabels::extract(x, "x")?;
    let cols = x.columns();
    detach(py, x.len(), |c| entropy_of_columns(&cols, est, n_bins, c)).map(pair)
}

/// Entropies (nats) of the joint symbols of several column subsets of `xs`.
/// `subsets[i]` lists indices into `xs`; each `xs[j]` is 1-D, or 2-D meaning its columns.
#[pyfunction]
#[pyo3(signature = (xs, subsets, estimator="plugin"))]
pub fn joint_entropies(
    py: Python<'_>,
    xs: Vec<Bound<'_, PyAny>>,
    subsets: Vec<Vec<usize>>,
    estimator: &str,
) -> PyResult<Vec<Pair>> {
    let est = parse_estimator(estimator)?;
    let arrays = xs
        .iter()
        .map(|a| AnyLabels::extract(a, "xs"))
        .collect::<PyResult<Vec<_>>>()?;
    let columns: Vec<Vec<Labels<'_>>> = arrays.iter().map(|a| a.columns()).collect();
    let n = arrays.first().map_or(0, |a| a.len());
    let mut picked: Vec<Vec<Labels<'_>>> = Vec::with_capacity(subsets.len());
    for s in &subsets {
        let mut cols = Vec::new();
        for &j in s {
            let c = columns
                .get(j)
                .ok_or_else(|| PyValueError::new_err(format!("subsets: index {j} out of range")))?;
            cols.extend(c.iter().cloned());
        }
        picked.push(cols);
    }
    detach(py, n * subsets.len(), |c| {
        picked
            .iter()
            .map(|cols| entropy_of_columns(cols, est, None, c).map(pair))
            .collect()
    })
}

/// Renyi entropy of order alpha (nats).
#[pyfunction]
pub fn renyi_entropy(py: Python<'_>, x: &Bound<'_, PyAny>, alpha: f64) -> PyResult<f64> {
    let x = AnyLabels::extract(x, "x")?;
    let cols = x.columns();
    detach(py, x.len(), |c| renyi_of_columns(&cols, alpha, c))
}

/// Tsallis entropy of index q.
#[pyfunction]
pub fn tsallis_entropy(py: Python<'_>, x: &Bound<'_, PyAny>, q: f64) -> PyResult<f64> {
    let x = AnyLabels::extract(x, "x")?;
    let cols = x.columns();
    detach(py, x.len(), |c| tsallis_of_columns(&cols, q, c))
}

/// A 2-D count array as NumPy holds counts: float64, int64 or uint64.
enum CountRows<'py> {
    F64(PyReadonlyArray2<'py, f64>),
    I64(PyReadonlyArray2<'py, i64>),
    U64(PyReadonlyArray2<'py, u64>),
}

impl<'py> CountRows<'py> {
    fn extract(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(a) = obj.extract() {
            return Ok(CountRows::F64(a));
        }
        if let Ok(a) = obj.extract() {
            return Ok(CountRows::I64(a));
        }
        obj.extract().map(CountRows::U64).map_err(|_| {
            PyTypeError::new_err("counts: expected a 2-D float64, int64 or uint64 array")
        })
    }
}

/// Entropies (nats) of each row of a 2-D count array (float64, int64 or uint64; integer
/// counts are read as they are): (values, stderrs or None).
#[pyfunction]
#[pyo3(signature = (counts, estimator="plugin", n_bins=None))]
pub fn entropy_from_counts<'py>(
    py: Python<'py>,
    counts: &Bound<'py, PyAny>,
    estimator: &str,
    n_bins: Option<f64>,
) -> PyResult<(F64Array<'py>, Option<F64Array<'py>>)> {
    let est = parse_estimator(estimator)?;
    let estimates = match CountRows::extract(counts)? {
        CountRows::F64(a) => estimate_rows(py, a.as_array(), est, n_bins)?,
        CountRows::I64(a) => estimate_rows(py, a.as_array(), est, n_bins)?,
        CountRows::U64(a) => estimate_rows(py, a.as_array(), est, n_bins)?,
    };
    Ok(values_and_stderrs(py, est, &estimates))
}

/// Entropies (nats) of the rows of a CSR count matrix, as `entropy_from_counts` of its
/// dense rows: `data` holds its stored counts (as one row, dtypes as there), `indptr`
/// its row pointers; each row has `n_cols` bins, those not stored being zero.
#[pyfunction]
#[pyo3(signature = (data, indptr, n_cols, estimator="plugin", n_bins=None))]
pub fn entropy_from_sparse_rows<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    indptr: PyReadonlyArray1<'py, i64>,
    n_cols: usize,
    estimator: &str,
    n_bins: Option<f64>,
) -> PyResult<(F64Array<'py>, Option<F64Array<'py>>)> {
    let est = parse_estimator(estimator)?;
    let bounds = indptr
        .as_array()
        .iter()
        .map(|&b| usize::try_from(b))
        .collect::<Result<Vec<usize>, _>>()
        .map_err(|_| {
            PyValueError::new_err("counts: the sparse matrix has a negative row pointer")
        })?;
    let rows = (&bounds[..], n_cols);
    let estimates = match CountRows::extract(data)? {
        CountRows::F64(a) => estimate_segments(py, &a, rows, est, n_bins)?,
        CountRows::I64(a) => estimate_segments(py, &a, rows, est, n_bins)?,
        CountRows::U64(a) => estimate_segments(py, &a, rows, est, n_bins)?,
    };
    Ok(values_and_stderrs(py, est, &estimates))
}

/// What the entropies come back as: the values, and for NSB their standard errors.
fn values_and_stderrs<'py>(
    py: Python<'py>,
    est: Estimator,
    estimates: &[Estimate],
) -> (F64Array<'py>, Option<F64Array<'py>>) {
    let values = PyArray1::from_vec(py, estimates.iter().map(|e| e.value).collect());
    let stderr = (est == Estimator::Nsb).then(|| {
        PyArray1::from_vec(
            py,
            estimates
                .iter()
                .map(|e| e.stderr.unwrap_or(f64::NAN))
                .collect(),
        )
    });
    (values, stderr)
}

/// Work to watch for Ctrl-C: NSB costs a root search and a quadrature per row whatever
/// its length, so rows count as work too, and many short rows are watched.
fn work_of(est: Estimator, values: usize, rows: usize) -> usize {
    if est == Estimator::Nsb {
        values.max(rows << 12)
    } else {
        values
    }
}

/// The estimate of every row of `counts`, detached from the interpreter.
fn estimate_rows<E: CountElement>(
    py: Python<'_>,
    counts: ArrayView2<'_, E>,
    est: Estimator,
    n_bins: Option<f64>,
) -> PyResult<Vec<Estimate>> {
    let work = work_of(est, counts.len(), counts.nrows());
    detach(py, work, |c: &Cancel| {
        map_rows(counts, c, |row| E::entropy_of_row(row, est, n_bins))
    })
}

/// The estimate of every row of a CSR matrix: the segments `bounds[i]..bounds[i + 1]` of
/// the one row of `data`, each row having `n_cols` bins; detached from the interpreter.
fn estimate_segments<E: CountElement + numpy::Element>(
    py: Python<'_>,
    data: &PyReadonlyArray2<'_, E>,
    (bounds, n_cols): (&[usize], usize),
    est: Estimator,
    n_bins: Option<f64>,
) -> PyResult<Vec<Estimate>> {
    let values = data
        .as_slice()
        .map_err(|_| PyValueError::new_err("counts: the sparse data must be contiguous"))?;
    // The bins not stored are zero bins: every row's alphabet is every column. An
    // `n_bins` below that is reported after the row's own checks, as for dense rows.
    let alphabet = || est::alphabet_size(n_bins, n_cols as f64);
    let k = Some(alphabet().unwrap_or(n_cols as f64));
    let work = work_of(est, values.len(), bounds.len());
    detach(py, work, |c: &Cancel| {
        map_segments(values, bounds, c, |row| {
            E::entropy_of_row(row, est, k).and_then(|e| alphabet().map(|_| e))
        })
    })
}

/// Renyi (kind="renyi") or Tsallis (kind="tsallis") entropy of each row of 2-D counts.
#[pyfunction]
pub fn generalized_entropy_from_counts<'py>(
    py: Python<'py>,
    counts: PyReadonlyArray2<'py, f64>,
    kind: &str,
    order: f64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let f = match kind {
        "renyi" => est::renyi_from_counts,
        "tsallis" => est::tsallis_from_counts,
        other => return Err(PyValueError::new_err(format!("kind: unknown {other:?}"))),
    };
    let view = counts.as_array();
    let out: Vec<f64> = detach(py, view.len(), |c: &Cancel| {
        map_rows(view, c, |row| f(row, order))
    })?;
    Ok(PyArray1::from_vec(py, out))
}

/// Entropy of the order-grams of `seq` and of their prefixes over the same windows (nats).
#[pyfunction]
#[pyo3(signature = (seq, order, estimator="plugin"))]
pub fn ngram_entropy_pair(
    py: Python<'_>,
    seq: &Bound<'_, PyAny>,
    order: usize,
    estimator: &str,
) -> PyResult<(Pair, Pair)> {
    let est = parse_estimator(estimator)?;
    let seq = labels_1d(seq, "seq")?;
    let view = seq.view();
    detach(py, view.len(), |c| ngram_entropies(&view, order, est, c))
        .map(|(a, b)| (pair(a), pair(b)))
}

/// Streaming, mergeable label histogram (wrapped by `entrostat.discrete.Counts`).
#[pyclass(name = "Counts", module = "entrostat._core")]
#[derive(Clone, Default)]
pub struct PyCounts {
    inner: Counts,
}

#[pymethods]
impl PyCounts {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    fn update(&mut self, py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<()> {
        let x = labels_1d(x, "x")?;
        let view = x.view();
        let inner = &mut self.inner;
        detach(py, view.len(), |c| inner.update(&view, c))
    }

    fn merge(&mut self, py: Python<'_>, other: &PyCounts) -> PyResult<()> {
        // GIL released; not interruptible (size 0), as a half-merged histogram is useless.
        let (inner, theirs) = (&mut self.inner, &other.inner);
        detach(py, 0, |_| inner.merge(theirs))
    }

    /// Total number of labels counted.
    #[getter]
    fn n(&self) -> u64 {
        self.inner.total()
    }

    /// Number of distinct labels seen.
    #[getter]
    fn support(&self) -> usize {
        self.inner.histogram().support()
    }

    /// "signed", "unsigned" or None (nothing counted yet).
    #[getter]
    fn domain(&self) -> Option<&'static str> {
        self.inner.domain().map(Domain::name)
    }

    /// Entropy (nats) of the counts, from their fingerprint as `entropy` estimates it.
    #[pyo3(signature = (estimator, n_bins=None))]
    fn entropy(&self, py: Python<'_>, estimator: &str, n_bins: Option<f64>) -> PyResult<Pair> {
        let est = parse_estimator(estimator)?;
        let hist = self.inner.histogram();
        py.detach(|| est::entropy_from_fingerprint(&hist.fingerprint(), est, n_bins))
            .map(pair)
            .map_err(to_py)
    }

    /// Nonzero counts as float64 (unordered), for the estimators.
    fn count_vector<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        let hist = self.inner.histogram();
        let v = py.detach(|| entrostat_core::discrete::entropy::count_vector(hist));
        PyArray1::from_vec(py, v)
    }

    /// (values, counts) sorted by value; values are int64 (signed domain) or uint64.
    fn items<'py>(&self, py: Python<'py>) -> (Bound<'py, PyAny>, Bound<'py, PyArray1<u64>>) {
        let hist = self.inner.histogram();
        let items = py.detach(|| hist.sorted_items());
        let counts = PyArray1::from_vec(py, items.iter().map(|&(_, c)| c).collect());
        let values = match self.inner.domain() {
            Some(Domain::Signed) => PyArray1::from_vec(
                py,
                items
                    .iter()
                    .map(|&(k, _)| Domain::Signed.value(k) as i64)
                    .collect(),
            )
            .into_any(),
            _ => PyArray1::from_vec(py, items.iter().map(|&(k, _)| k).collect()).into_any(),
        };
        (values, counts)
    }

    /// Rebuild from `items()` output and the domain.
    #[staticmethod]
    fn from_items(
        values: &Bound<'_, PyAny>,
        counts: PyReadonlyArray1<'_, u64>,
        domain: Option<&str>,
    ) -> PyResult<Self> {
        let counts = counts.as_array();
        let dom = parse_domain(domain, "domain")?;
        let keys: Vec<u64> = match dom {
            None => Vec::new(),
            Some(Domain::Signed) => {
                let v: PyReadonlyArray1<'_, i64> = values.extract()?;
                v.as_array()
                    .iter()
                    .map(|&x| (x as u64) ^ (1 << 63))
                    .collect()
            }
            Some(Domain::Unsigned) => {
                let v: PyReadonlyArray1<'_, u64> = values.extract()?;
                v.as_array().to_vec()
            }
        };
        if keys.len() != counts.len() {
            return Err(PyValueError::new_err(
                "values and counts must have the same length",
            ));
        }
        let items: Vec<(u64, u64)> = keys.into_iter().zip(counts.iter().copied()).collect();
        Ok(PyCounts {
            inner: Counts::from_items(dom, &items).map_err(to_py)?,
        })
    }

    fn copy(&self, py: Python<'_>) -> Self {
        py.detach(|| self.clone())
    }
}

/// Streaming, mergeable n-gram counts (wrapped by `entrostat.discrete.NgramCounts`).
#[pyclass(name = "NgramCounts", module = "entrostat._core")]
#[derive(Clone)]
pub struct PyNgramCounts {
    inner: NgramCounts,
}

#[pymethods]
impl PyNgramCounts {
    #[new]
    fn new(order: usize) -> PyResult<Self> {
        Ok(PyNgramCounts {
            inner: NgramCounts::new(order).map_err(to_py)?,
        })
    }

    fn update(&mut self, py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<()> {
        let x = labels_1d(x, "x")?;
        let view = x.view();
        let inner = &mut self.inner;
        // All or nothing: Ctrl-C leaves the counts as they were.
        detach(py, view.len(), |c| inner.update_whole(&view, c))
    }

    fn merge(&mut self, py: Python<'_>, other: &PyNgramCounts) -> PyResult<()> {
        // Checked before these counts are handed over, so an error leaves them intact; the
        // merge itself is not interruptible (size 0: no watcher raises the cancel flag).
        self.inner.check_merge(&other.inner).map_err(to_py)?;
        let mine = std::mem::replace(
            &mut self.inner,
            NgramCounts::new(other.inner.order()).map_err(to_py)?,
        );
        let theirs = &other.inner;
        self.inner = detach(py, 0, |c| mine.merge(theirs.clone(), c))?;
        Ok(())
    }

    #[getter]
    fn order(&self) -> usize {
        self.inner.order()
    }
    /// Symbols seen.
    #[getter]
    fn length(&self) -> u64 {
        self.inner.len()
    }
    /// N-gram windows counted.
    #[getter]
    fn n(&self) -> u64 {
        self.inner.n_windows()
    }
    #[getter]
    fn support(&self, py: Python<'_>) -> usize {
        // A pass over the pending keys: without the GIL.
        py.detach(|| self.inner.support())
    }
    /// Ambiguous-symbol flags (bit 0: negative labels, bit 1: labels >= 2^63).
    #[getter]
    fn sign_flags(&self) -> u8 {
        self.inner.sign_flags()
    }
    #[getter]
    fn head<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        PyArray1::from_slice(py, self.inner.head())
    }
    #[getter]
    fn tail<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        PyArray1::from_slice(py, self.inner.tail())
    }

    /// Entropies (nats) of the counted n-grams and of their prefixes, each (value, stderr).
    fn entropies(&self, py: Python<'_>, estimator: &str) -> PyResult<(Pair, Pair)> {
        let est = parse_estimator(estimator)?;
        let inner = &self.inner;
        if inner.n_windows() == 0 {
            return Err(PyValueError::new_err(if inner.is_empty() {
                "counts: nothing has been counted yet".to_string()
            } else {
                let seen = match inner.len() {
                    1 => "the 1 symbol seen is".to_string(),
                    n => format!("the {n} symbols seen are"),
                };
                format!(
                    "counts: no {}-gram has been counted yet ({seen} fewer than the order)",
                    inner.order()
                )
            }));
        }
        let work = inner.n_windows() as usize;
        detach(py, work, |c| entropies_of_ngrams(inner, est, c)).map(|(a, b)| (pair(a), pair(b)))
    }

    /// (ngrams as a (support, order) uint64 array of symbol codes, counts), sorted.
    fn items<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyArray2<u64>>, U64Array<'py>)> {
        let k = self.inner.order();
        let (flat, counts) = py.detach(|| self.inner.items());
        let rows = counts.len();
        let grams = PyArray1::from_vec(py, flat).reshape([rows, k])?;
        Ok((grams, PyArray1::from_vec(py, counts)))
    }

    #[staticmethod]
    fn from_parts(
        order: usize,
        ngrams: PyReadonlyArray2<'_, u64>,
        counts: PyReadonlyArray1<'_, u64>,
        head: Vec<u64>,
        tail: Vec<u64>,
        length: u64,
        sign_flags: u8,
    ) -> PyResult<Self> {
        let parts = NgramParts {
            order,
            ngrams: ngrams.as_array().iter().copied().collect(),
            counts: counts.as_array().to_vec(),
            head,
            tail,
            len: length,
            sign_flags,
        };
        Ok(PyNgramCounts {
            inner: NgramCounts::from_parts(&parts).map_err(to_py)?,
        })
    }

    fn copy(&self, py: Python<'_>) -> Self {
        py.detach(|| self.clone())
    }
}
