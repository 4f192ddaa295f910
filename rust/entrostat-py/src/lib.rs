//! `entrostat._core`: the Python binding of entrostat-core. Parsing, GIL release and
//! error mapping only; every computation lives in the core.

mod arrays;
mod discrete;
mod divergence;
mod errors;
mod kernel;
mod knn;
mod logits;
mod run;
mod tokenizers;

use pyo3::prelude::*;

/// Number of threads of the shared pool (set by ENTROSTAT_NUM_THREADS before first use).
#[pyfunction]
fn num_threads() -> usize {
    entrostat_core::pool::num_threads()
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(discrete::entropy, m)?)?;
    m.add_function(wrap_pyfunction!(discrete::joint_entropies, m)?)?;
    m.add_function(wrap_pyfunction!(discrete::renyi_entropy, m)?)?;
    m.add_function(wrap_pyfunction!(discrete::tsallis_entropy, m)?)?;
    m.add_function(wrap_pyfunction!(discrete::entropy_from_counts, m)?)?;
    m.add_function(wrap_pyfunction!(discrete::entropy_from_sparse_rows, m)?)?;
    m.add_function(wrap_pyfunction!(
        discrete::generalized_entropy_from_counts,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(discrete::ngram_entropy_pair, m)?)?;
    m.add_function(wrap_pyfunction!(divergence::divergence_of_rows, m)?)?;
    m.add_function(wrap_pyfunction!(divergence::kl_zhang_grabchak, m)?)?;
    m.add_class::<discrete::PyCounts>()?;
    m.add_class::<discrete::PyNgramCounts>()?;
    m.add_class::<tokenizers::PyTokenStats>()?;
    m.add_class::<tokenizers::PyTokenBytes>()?;
    m.add_function(wrap_pyfunction!(tokenizers::text_sizes_batch, m)?)?;
    m.add_function(wrap_pyfunction!(kernel::cs_divergence_samples, m)?)?;
    m.add_function(wrap_pyfunction!(kernel::cs_mutual_info, m)?)?;
    m.add_function(wrap_pyfunction!(knn::knn_entropy, m)?)?;
    m.add_function(wrap_pyfunction!(knn::ksg_mutual_info, m)?)?;
    m.add_function(wrap_pyfunction!(knn::ksg_conditional_mutual_info, m)?)?;
    m.add_function(wrap_pyfunction!(knn::mixed_mutual_info, m)?)?;
    m.add_function(wrap_pyfunction!(knn::ross_mutual_info, m)?)?;
    m.add_function(wrap_pyfunction!(knn::kl_divergence_knn, m)?)?;
    m.add_function(wrap_pyfunction!(knn::feature_mi, m)?)?;
    m.add_function(wrap_pyfunction!(logits::logit_stats, m)?)?;
    m.add_function(wrap_pyfunction!(logits::soft_cross_entropy, m)?)?;
    m.add_function(wrap_pyfunction!(logits::prob_row_entropy, m)?)?;
    m.add_function(wrap_pyfunction!(logits::linear_cross_entropy, m)?)?;
    m.add_function(wrap_pyfunction!(logits::float_field_entropy, m)?)?;
    Ok(())
}
