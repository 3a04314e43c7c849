//! A run directory: what a user needs to know what produced a model and to continue it.
//!
//! ```text
//! RUN_DIR/
//!   config.toml        resolved configuration (every key, defaults filled in)
//!   command.txt        the command line
//!   versions.json      trainer version, git commit, libtorch, device, threads
//!   metrics.jsonl      one JSON object per optimizer step
//!   checkpoints/step-000500/   model.safetensors + config.json + tokenizer files (a Hugging
//!                      Face BERT directory), optimizer.safetensors/.json, state.json
//! ```
//! Checkpoints are written into `step-N.partial` and renamed when complete, so the latest
//! complete checkpoint is always a valid resume point.
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{io, TrainerError};

pub const CHECKPOINTS: &str = "checkpoints";

/// Writes `text` to `path` through a temporary file and a rename.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), TrainerError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// The commit of the working directory's repository, when there is one.
pub fn git_commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Records the command line and versions of this invocation (appending to command.txt so that
/// resumed runs keep their history).
pub fn record_invocation(dir: &Path, device: tch::Device) -> Result<(), TrainerError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let cmd: Vec<String> = std::env::args().collect();
    let path = dir.join("command.txt");
    let mut f =
        std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(io(&path))?;
    writeln!(f, "{}", cmd.join(" ")).map_err(io(&path))?;
    let versions = serde_json::json!({
        "trainer": env!("CARGO_PKG_VERSION"),
        "git_commit": git_commit(),
        "libtorch": crate::LIBTORCH_VERSION,
        "device": crate::device::describe(device),
        "cuda_devices": tch::Cuda::device_count(),
    });
    write_atomic(&dir.join("versions.json"), &serde_json::to_string_pretty(&versions).unwrap())
}

/// Appends one JSON line to metrics.jsonl.
pub fn append_metrics(dir: &Path, line: &serde_json::Value) -> Result<(), TrainerError> {
    let path = dir.join("metrics.jsonl");
    let mut f =
        std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(io(&path))?;
    writeln!(f, "{line}").map_err(io(&path))
}

/// Complete checkpoints of a run, oldest first: `(step, dir)`.
pub fn checkpoints(dir: &Path) -> Vec<(u64, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir.join(CHECKPOINTS)) else { return vec![] };
    let mut out: Vec<(u64, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let step = name.strip_prefix("step-")?.parse::<u64>().ok()?;
            e.path().join("state.json").exists().then(|| (step, e.path()))
        })
        .collect();
    out.sort();
    out
}

/// The model directory a `--model` argument names: a Hugging Face directory as is, a run
/// directory's `best/`, or its latest checkpoint.
pub fn resolve_model(path: &Path) -> Result<PathBuf, TrainerError> {
    if path.join("config.json").exists() {
        return Ok(path.to_path_buf());
    }
    if path.join("best/config.json").exists() {
        return Ok(path.join("best")); // a few-shot or fine-tuning run's best checkpoint
    }
    checkpoints(path).pop().map(|(_, p)| p).ok_or_else(|| TrainerError::Checkpoint {
        path: path.to_path_buf(),
        msg: "neither a model directory (config.json) nor a run directory with checkpoints".into(),
    })
}

/// Copies the tokenizer files of `model` into `dst` so that a checkpoint is a complete model
/// directory.
pub fn copy_tokenizer(model: &Path, dst: &Path) -> Result<(), TrainerError> {
    for f in ["tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"] {
        let src = model.join(f);
        if src.exists() {
            std::fs::copy(&src, dst.join(f)).map_err(io(&src))?;
        }
    }
    Ok(())
}
