//! Typed errors of the trainer library; the binary adds context with anyhow.
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TrainerError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: invalid JSON: {source}", path.display())]
    Json { path: PathBuf, source: serde_json::Error },
    #[error("{}: {msg}", path.display())]
    Config { path: PathBuf, msg: String },
    #[error("{}: {msg}", path.display())]
    Checkpoint { path: PathBuf, msg: String },
    #[error("{}: tokenizer: {msg}", path.display())]
    Tokenizer { path: PathBuf, msg: String },
    #[error("tokenizing failed: {0}")]
    Encode(String),
    #[error("device {0:?}: {1}")]
    Device(String, String),
    #[error("{}: {msg}", path.display())]
    Data { path: PathBuf, msg: String },
    #[error(transparent)]
    Schema(#[from] schemas::SchemaError),
    #[error(transparent)]
    Torch(#[from] tch::TchError),
}

/// `map_err` adapter naming the file an I/O error happened on.
pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> TrainerError + '_ {
    move |source| TrainerError::Io { path: path.to_path_buf(), source }
}
