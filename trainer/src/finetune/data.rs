//! The supervised datasets' records, as `formats::supervised` reads them (one reader for the
//! trainer and the pipeline); here only the error type is the trainer's.
use std::path::Path;

pub use formats::supervised::{
    split_marked, Format, Loaded, MarkerPair, Named, Record, CHEMPROT_MARKERS, SEMEVAL_MARKERS,
};

use crate::error::TrainerError;

fn data_error(e: formats::supervised::Error) -> TrainerError {
    TrainerError::Data { path: e.path, msg: e.msg }
}

/// Reads a dataset file of any supported format.
pub fn read(path: &Path, skip_bad: bool) -> Result<Loaded, TrainerError> {
    formats::supervised::read(path, skip_bad).map_err(data_error)
}
