//! Stats files: JSON, written under a temporary name and renamed.
use std::path::Path;

use serde::Serialize;

use crate::error::StageError;

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), StageError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| StageError::Invalid { path: path.to_path_buf(), msg: e.to_string() })?;
    let tmp = path.with_extension("json.partial");
    std::fs::write(&tmp, text + "\n").map_err(|e| StageError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| StageError::io(path, e))
}
