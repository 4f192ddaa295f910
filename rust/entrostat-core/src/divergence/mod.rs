//! Divergences: between discrete distributions given as rows of probabilities or counts
//! (`rows`), and the fast logarithm their kernels use (`fastlog`).

pub mod fastlog;
pub mod rows;
