//! Supervised relation classification (issue 8): dataset readers, the paper's input modes,
//! low-resource subsets, the fine-tuning loop with dev-selected test scores over seeds,
//! prediction with a saved model, and the results report.
pub mod data;
pub mod model;
pub mod modes;
pub mod plot;
pub mod predict;
pub mod report;
pub mod score;
pub mod splits;
pub mod train;
