//! Shared test harness: fixture paths, the Python that runs DuckDB, reading tables.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::Command;

use arrow::record_batch::RecordBatch;
use schemas::{read_all, Table};

/// The repository root: `WIKIREL_REPO` when set (a test binary carried to another machine,
/// where the checkout is not where it was built), else the one this binary was built from.
pub fn repo() -> PathBuf {
    match std::env::var_os("WIKIREL_REPO") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .canonicalize()
            .expect("repository root"),
    }
}

pub fn fixture(rel: &str) -> PathBuf {
    let p = repo().join("tests/fixtures").join(rel);
    assert!(p.exists(), "fixture {} missing", p.display());
    p
}

pub fn reference(name: &str) -> serde_json::Value {
    let p = repo().join("tests/reference").join(name);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("WIKIREL_PYTHON") {
        return p.into();
    }
    let venv = repo().join(".venv/bin/python");
    assert!(venv.exists(), "{} missing: run `make venv` (make test does)", venv.display());
    venv
}

/// Runs a Python snippet (DuckDB available) with `args`; parses its stdout as JSON.
pub fn py_json(script: &str, args: &[&Path]) -> serde_json::Value {
    let out = Command::new(python()).arg("-c").arg(script).args(args).output().unwrap();
    assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

pub fn table(dir: &Path, t: Table) -> Vec<RecordBatch> {
    read_all(&dir.join(t.file_name()), t).unwrap()
}

/// Row-for-row equality of two tables' contents (metadata such as provenance may differ).
pub fn same_rows(a: &[RecordBatch], b: &[RecordBatch]) -> bool {
    let concat = |v: &[RecordBatch]| {
        if v.is_empty() {
            return None;
        }
        Some(arrow::compute::concat_batches(&v[0].schema(), v).unwrap())
    };
    concat(a) == concat(b)
}
