//! wikirel's trainer: a BERT relation encoder on libtorch (tch), CP/MTB pre-training,
//! fine-tuning and evaluation. See ARCHITECTURE.md at the repository root.
pub mod bert;
pub mod device;
pub mod embed;
pub mod error;
pub mod extract;
pub mod fewshot;
pub mod finetune;
pub mod metrics;
pub mod optim;
pub mod pretrain;
pub mod run_dir;
pub mod tokenize;

pub use error::TrainerError;

/// libtorch's version as compiled against, for run directories.
pub const LIBTORCH_VERSION: &str = "2.11.0";
