//! Divergences: between discrete distributions given as rows of probabilities or counts
//! (`rows`), from samples of labels (`labels`), and the fast logarithm the row kernels
//! use (`fastlog`).

pub mod fastlog;
pub mod labels;
pub mod rows;
