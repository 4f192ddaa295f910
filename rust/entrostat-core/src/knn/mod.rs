//! k-nearest-neighbour statistics: one kd-tree module (`tree`) serves the entropy, mutual
//! information and divergence estimators (`estimators`) and the per-column helper
//! (`features`).

pub mod estimators;
pub mod features;
pub mod grid;
pub mod space;
pub mod tree;

pub use estimators::{
    kl_entropy, ksg_conditional_mutual_info, ksg_mutual_info, mixed_mutual_info, ross_mutual_info,
    wkv_kl_divergence, Ksg, Sample,
};
pub use features::feature_mutual_info;
pub use tree::{KdTree, Metric};
