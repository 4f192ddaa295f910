//! Token-stream metrics: tokenizers judged as compressors. The tokenizer itself lives in
//! Python; here are the counts of its output and the entropies made from them.

pub mod alphabet;
pub mod spelling;
pub mod stats;
pub mod text;
