//! Building blocks of CP/MTB pre-training (Peng et al. 2020), each tested on its own:
//! the entity-marker input layout, MLM masking, and the two contrastive losses. The training
//! loop that streams relation bags from Parquet builds on these.
pub mod batch;
pub mod bench;
pub mod config;
pub mod input;
pub mod loss;
pub mod masking;
pub mod sampler;
pub mod scopes;
pub mod store;
pub mod train;
