//! entrostat-core: information-theoretic statistics on slices and ndarray views.
//! No Python here: inputs are views, outputs are `Result`s.

pub mod cancel;
pub mod discrete;
pub mod divergence;
pub mod error;
pub mod knn;
pub mod labels;
pub mod logits;
pub mod pool;
pub mod special;
pub mod tokenizers;

pub use cancel::Cancel;
pub use error::{Error, Result};
pub use labels::Labels;
