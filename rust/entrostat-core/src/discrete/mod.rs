//! Discrete data: counting labels (dense or hashed), joint symbols, n-grams, and the
//! entropy estimators that turn counts into numbers.

pub mod accumulator;
pub mod counting;
pub mod entropy;
pub mod estimators;
pub mod fingerprint;
pub mod histogram;
pub mod joint;
pub mod ngrams;
pub mod partition;
pub mod radix;
pub mod table;
pub mod tower;
pub mod zeroed;
