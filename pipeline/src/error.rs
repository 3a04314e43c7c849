//! Typed errors of the pipeline stages. Each names the file and, where it applies, the
//! position in it.
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "{}: truncated or corrupt compressed data at compressed byte offset {offset}: {source}",
        path.display()
    )]
    Decompress { path: PathBuf, offset: u64, source: std::io::Error },
    #[error("{}: too many malformed records ({count} > --max-errors {max}); last at line {line}", path.display())]
    TooManyErrors { path: PathBuf, count: u64, max: u64, line: u64 },
    #[error("{}: {msg}", path.display())]
    Invalid { path: PathBuf, msg: String },
    #[error(transparent)]
    Schema(#[from] schemas::SchemaError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
}

impl StageError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        StageError::Io { path: path.to_path_buf(), source }
    }
}
