//! Token-level statistics of language models: softmax statistics of logit rows (entropy,
//! varentropy, log-sum-exp, target likelihood and rank, top-k mass) without a
//! probability matrix, entropies of attention rows, the fused linear cross-entropy of
//! `hidden @ weight.T`, and the entropy of the fields of floating-point numbers.

pub mod exp;
pub mod floats;
pub mod format;
pub mod lanes;
pub mod linear;
pub mod probs;
pub mod rows;

pub use format::{Bf16, Format, F16};
