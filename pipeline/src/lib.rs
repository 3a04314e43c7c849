//! wikirel's dataset pipeline: stages that read dumps and each other's Parquet tables (see
//! `schemas`) and write their own. ARCHITECTURE.md at the repository root maps the stages.
pub mod columns;
pub mod dataset;
pub mod error;
pub mod export_cp;
pub mod gz_members;
pub mod import;
pub mod input;
pub mod link;
pub mod progress;
pub mod records;
pub mod run;
pub mod scope;
pub mod settings;
pub mod shard;
pub mod stats;
pub mod wikidata;
pub mod wikipedia;

pub use error::StageError;
