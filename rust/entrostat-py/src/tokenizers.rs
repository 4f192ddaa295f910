//! Binding of the token-stream accumulator: argument parsing and GIL release only.

use crate::arrays::{describe, labels_1d, parse_domain};
use crate::errors::to_py;
use crate::run::detach;
use entrostat_core::discrete::estimators::Estimator;
use entrostat_core::discrete::ngrams::NgramParts;
use entrostat_core::labels::Domain;
use entrostat_core::labels::Label;
use entrostat_core::tokenizers::spelling::TokenBytes;
use entrostat_core::tokenizers::stats::{TokenStats, TokenStatsParts};
use entrostat_core::tokenizers::text::total_text_sizes;
use entrostat_core::with_labels;
use entrostat_core::Cancel;
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

/// Streaming, mergeable token-stream counts (wrapped by `entrostat.tokenizers.TokenStats`).
#[pyclass(name = "TokenStats", module = "entrostat._core")]
#[derive(Clone)]
pub struct PyTokenStats {
    inner: TokenStats,
}

#[pymethods]
impl PyTokenStats {
    #[new]
    fn new(max_order: usize) -> PyResult<Self> {
        Ok(PyTokenStats {
            inner: TokenStats::new(max_order).map_err(to_py)?,
        })
    }

    /// Add token ids; `starts` are the positions where a new document begins.
    #[pyo3(signature = (ids, starts, vocab_size=None))]
    fn update(
        &mut self,
        py: Python<'_>,
        ids: &Bound<'_, PyAny>,
        starts: PyReadonlyArray1<'_, u64>,
        vocab_size: Option<u64>,
    ) -> PyResult<()> {
        let ids = labels_1d(ids, "ids")?;
        let view = ids.view();
        let starts: Vec<usize> = starts.as_array().iter().map(|&p| p as usize).collect();
        let inner = &mut self.inner;
        detach(py, view.len(), |c| {
            inner.update(&view, &starts, vocab_size, c)
        })
    }

    fn merge(&mut self, py: Python<'_>, other: &PyTokenStats) -> PyResult<()> {
        // Size 0: no watcher, so no cancellation can leave the statistics half merged.
        let inner = &mut self.inner;
        detach(py, 0, |c: &Cancel| inner.merge(&other.inner, c))
    }

    #[getter]
    fn max_order(&self) -> usize {
        self.inner.max_order()
    }
    #[getter]
    fn n_tokens(&self) -> u64 {
        self.inner.n_tokens()
    }
    #[getter]
    fn n_documents(&self) -> u64 {
        self.inner.n_documents()
    }
    #[getter]
    fn max_id(&self) -> Option<u64> {
        self.inner.max_id()
    }

    /// Entropies (nats) and vocabulary statistics, as a dict.
    #[pyo3(signature = (estimator="plugin", alpha=2.5, shares=vec![0.5, 0.9, 0.99], n_bins=None))]
    fn summary<'py>(
        &self,
        py: Python<'py>,
        estimator: &str,
        alpha: f64,
        shares: Vec<f64>,
        n_bins: Option<f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let est: Estimator = estimator.parse().map_err(to_py)?;
        let inner = &self.inner;
        let work = inner.n_tokens() as usize;
        let s = detach(py, work, |c| inner.summary(est, alpha, &shares, n_bins, c))?;
        let d = PyDict::new(py);
        d.set_item("n_tokens", s.n_tokens)?;
        d.set_item("n_documents", s.n_documents)?;
        d.set_item("n_types", s.n_types)?;
        d.set_item("n_hapax", s.n_hapax)?;
        d.set_item("unigram_entropy", s.unigram.value)?;
        d.set_item("unigram_stderr", s.unigram.stderr)?;
        d.set_item("renyi_entropy", s.renyi)?;
        d.set_item("conditional_entropy", s.conditional)?;
        d.set_item("coverage", s.coverage)?;
        Ok(d)
    }

    fn copy(&self, py: Python<'_>) -> Self {
        py.detach(|| self.clone())
    }

    /// The counts as a dict of plain values (the pickled state; `from_state` reads it).
    fn state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let inner = &self.inner;
        let parts = py.detach(|| inner.to_parts());
        let d = PyDict::new(py);
        let u64s = |v: Vec<u64>| PyArray1::from_vec(py, v);
        d.set_item("max_order", parts.max_order)?;
        d.set_item("ids", u64s(parts.ids))?;
        let (domain, items) = parts.unigrams;
        d.set_item("unigram_domain", domain.map(Domain::name))?;
        d.set_item("unigram_keys", u64s(items.iter().map(|p| p.0).collect()))?;
        d.set_item("unigram_counts", u64s(items.iter().map(|p| p.1).collect()))?;
        if let Some(g) = parts.ngrams {
            let rows = g.counts.len();
            let ngrams = PyArray1::from_vec(py, g.ngrams).reshape([rows, g.order])?;
            d.set_item("ngrams", ngrams)?;
            d.set_item("counts", u64s(g.counts))?;
            d.set_item("head", u64s(g.head))?;
            d.set_item("tail", u64s(g.tail))?;
            d.set_item("length", g.len)?;
            d.set_item("sign_flags", g.sign_flags)?;
        }
        d.set_item("n_tokens", parts.n_tokens)?;
        d.set_item("open", parts.open)?;
        d.set_item("n_documents", parts.n_documents)?;
        d.set_item("max_id", parts.max_id)?;
        Ok(d)
    }

    /// Rebuild from `state()`.
    #[staticmethod]
    fn from_state(py: Python<'_>, state: &Bound<'_, PyDict>) -> PyResult<Self> {
        let max_order: usize = field(state, "max_order")?;
        let domain_name: Option<String> = field(state, "unigram_domain")?;
        let domain = parse_domain(domain_name.as_deref(), "state['unigram_domain']")?;
        let keys = u64_field(state, "unigram_keys")?;
        let counts = u64_field(state, "unigram_counts")?;
        if keys.len() != counts.len() {
            return Err(PyValueError::new_err(
                "state: unigram_keys and unigram_counts differ in length",
            ));
        }
        let ngrams = if state.contains("ngrams")? {
            let rows: PyReadonlyArray2<'_, u64> = field_any(state, "ngrams")?.extract()?;
            if rows.as_array().ncols() != max_order {
                return Err(PyValueError::new_err(format!(
                    "state: ngrams must have max_order = {max_order} columns"
                )));
            }
            Some(NgramParts {
                order: max_order,
                ngrams: rows.as_array().iter().copied().collect(),
                counts: u64_field(state, "counts")?,
                head: u64_field(state, "head")?,
                tail: u64_field(state, "tail")?,
                len: field(state, "length")?,
                sign_flags: field(state, "sign_flags")?,
            })
        } else {
            None
        };
        let parts = TokenStatsParts {
            max_order,
            ids: u64_field(state, "ids")?,
            unigrams: (domain, keys.into_iter().zip(counts).collect()),
            ngrams,
            n_tokens: field(state, "n_tokens")?,
            open: field(state, "open")?,
            n_documents: field(state, "n_documents")?,
            max_id: field(state, "max_id")?,
        };
        let inner = py
            .detach(|| TokenStats::from_parts(&parts))
            .map_err(to_py)?;
        Ok(PyTokenStats { inner })
    }

    fn __repr__(&self) -> String {
        format!(
            "TokenStats(max_order={}, n_tokens={}, n_documents={})",
            self.inner.max_order(),
            self.inner.n_tokens(),
            self.inner.n_documents()
        )
    }
}

/// `state[key]`, or a ValueError naming the missing key.
fn field_any<'py>(state: &Bound<'py, PyDict>, key: &str) -> PyResult<Bound<'py, PyAny>> {
    state
        .get_item(key)?
        .ok_or_else(|| PyValueError::new_err(format!("state: missing {key:?}")))
}

fn field<T: for<'a, 'py> FromPyObject<'a, 'py>>(
    state: &Bound<'_, PyDict>,
    key: &str,
) -> PyResult<T> {
    field_any(state, key)?
        .extract()
        .map_err(|_| PyValueError::new_err(format!("state: {key:?} has the wrong type")))
}

/// A 1-D uint64 array of the state, copied.
fn u64_field(state: &Bound<'_, PyDict>, key: &str) -> PyResult<Vec<u64>> {
    let any = field_any(state, key)?;
    let arr: PyReadonlyArray1<'_, u64> = any
        .extract()
        .map_err(|_| PyValueError::new_err(format!("state: {key:?} must be a 1-D uint64 array")))?;
    Ok(arr.as_array().to_vec())
}

/// Total `(bytes, chars, words)` of a batch of texts: `len(t.encode())`, `len(t)` and
/// `len(t.split())` summed, in one pass over each text's UTF-8 (no Python per word). The
/// scan runs without the GIL, so other Python threads run meanwhile.
#[pyfunction]
pub fn text_sizes_batch(
    py: Python<'_>,
    texts: Vec<Bound<'_, PyString>>,
) -> PyResult<(u64, u64, u64)> {
    let mut total = (0u64, 0u64, 0u64);
    let mut utf8: Vec<&str> = Vec::with_capacity(texts.len());
    for t in &texts {
        match t.to_str() {
            Ok(s) => utf8.push(s),
            // Lone surrogates have no UTF-8 form: count them as Python does.
            Err(_) => {
                let raw = t.call_method1("encode", ("utf-8", "surrogatepass"))?;
                let words = t.call_method0("split")?;
                total.0 += raw.len()? as u64;
                total.1 += t.len()? as u64;
                total.2 += words.len()? as u64;
            }
        }
    }
    let (b, c, w) = py.detach(|| total_text_sizes(&utf8));
    Ok((total.0 + b, total.1 + c, total.2 + w))
}

/// The bytes of every token id (`None` for ids that name no token), to check round trips
/// of tokenizers whose decoding concatenates their tokens' bytes.
#[pyclass(name = "TokenBytes", module = "entrostat._core", frozen)]
pub struct PyTokenBytes {
    inner: TokenBytes,
}

#[pymethods]
impl PyTokenBytes {
    #[new]
    fn new(pieces: &Bound<'_, PyAny>) -> PyResult<Self> {
        let pieces: Vec<Option<Bound<'_, PyBytes>>> = items_of(pieces, "pieces", "bytes or None")?;
        let bytes = pieces.iter().map(|p| p.as_ref().map(|b| b.as_bytes()));
        Ok(PyTokenBytes {
            inner: TokenBytes::new(bytes).map_err(to_py)?,
        })
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// Per document, whether its ids spell the text's UTF-8 bytes exactly (False for a
    /// text with lone surrogates, which has no UTF-8 form). Runs without the GIL.
    fn spell_batch<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
        ids: &Bound<'py, PyAny>,
        offsets: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<bool>>> {
        let texts: Vec<Bound<'py, PyString>> = items_of(texts, "texts", "str")?;
        let ids = labels_1d(ids, "ids")?;
        let view = ids.view();
        let offsets = labels_1d(offsets, "offsets")?;
        let offsets = offsets.view();
        let domain = offsets.domain();
        let offsets = with_labels!(&offsets, v => v
            .iter()
            .map(|&p| usize::try_from(domain.value(p.key())).ok())
            .collect::<Option<Vec<usize>>>())
        .ok_or_else(|| PyValueError::new_err("offsets: expected non-negative offsets"))?;
        let utf8: Vec<Option<&[u8]>> = texts
            .iter()
            .map(|t| t.to_str().ok().map(str::as_bytes))
            .collect();
        let inner = &self.inner;
        let spelled = py
            .detach(|| inner.spell_batch(&view, &offsets, &utf8))
            .map_err(to_py)?;
        Ok(PyArray1::from_vec(py, spelled))
    }

    fn __repr__(&self) -> String {
        format!("TokenBytes(n_ids={})", self.inner.len())
    }
}

/// The items of a Python iterable, each extracted as `T`; a `TypeError` naming `arg`,
/// the item's position and what was `expected` otherwise.
fn items_of<'py, T: for<'a> FromPyObject<'a, 'py>>(
    obj: &Bound<'py, PyAny>,
    arg: &str,
    expected: &str,
) -> PyResult<Vec<T>> {
    if obj.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(format!(
            "{arg}: expected a sequence of {expected}, not a single str"
        )));
    }
    let not_iterable = |_| {
        PyTypeError::new_err(format!(
            "{arg}: expected a sequence of {expected}, got {}",
            describe(obj)
        ))
    };
    obj.try_iter()
        .map_err(not_iterable)?
        .enumerate()
        .map(|(i, item)| {
            let item = item?;
            item.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "{arg}: expected {expected} at index {i}, got {}",
                    describe(&item)
                ))
            })
        })
        .collect()
}
