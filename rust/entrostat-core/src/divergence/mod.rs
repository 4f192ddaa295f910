//! Divergences: between discrete distributions given as rows of probabilities or counts
//! (`rows`), from samples of labels (`labels`), Gaussian-kernel (Parzen window)
//! estimators of the Cauchy-Schwarz divergence and quadratic mutual information from
//! continuous samples (`kernel`), and the fast logarithm the row kernels use (`fastlog`).

pub mod fastlog;
pub mod kernel;
pub mod labels;
pub mod rows;
