//! BERT on libtorch: configuration, model, checkpoint I/O.
pub mod checkpoint;
pub mod config;
pub mod mlm;
pub mod model;

pub use checkpoint::{load, save, LoadedBert};
pub use config::BertConfig;
pub use model::{encode_marked, entity_start_states, mean_pool, Batch, BertModel};

#[cfg(test)]
mod tests;
