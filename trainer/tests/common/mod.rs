//! Helpers shared by the trainer's integration tests. Each test binary uses a part of them.
#![allow(dead_code)]

#[path = "../../../tests/support/harness.rs"]
mod harness;
pub mod tiny;

use std::path::PathBuf;

#[allow(unused_imports)] // each test binary uses a part
pub use harness::{python, reference, repo};

/// all-MiniLM-L6-v2 (`make model`), or the directory named by `WIKIREL_MINILM_DIR`.
pub fn minilm() -> PathBuf {
    let dir = std::env::var_os("WIKIREL_MINILM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("artifacts/models/all-MiniLM-L6-v2"));
    assert!(dir.join("model.safetensors").exists(), "{} missing: run `make model`", dir.display());
    dir
}

/// A directory with MiniLM's tokenizer files (the uncased bert-base vocabulary): MiniLM's own, or
/// `WIKIREL_TOKENIZER_DIR` (on a GPU machine, where the 91 MB of MiniLM weights do not travel).
pub fn tokenizer_dir() -> PathBuf {
    match std::env::var_os("WIKIREL_TOKENIZER_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => minilm(),
    }
}

/// A nested JSON array of numbers as an f64 tensor of the same shape.
pub fn tensor(v: &serde_json::Value) -> tch::Tensor {
    fn flat(v: &serde_json::Value, out: &mut Vec<f64>, shape: &mut Vec<i64>, depth: usize) {
        match v {
            serde_json::Value::Array(a) => {
                if shape.len() == depth {
                    shape.push(a.len() as i64);
                }
                a.iter().for_each(|x| flat(x, out, shape, depth + 1));
            }
            x => out.push(x.as_f64().unwrap()),
        }
    }
    let (mut out, mut shape) = (Vec::new(), Vec::new());
    flat(v, &mut out, &mut shape, 0);
    tch::Tensor::from_slice(&out).view(shape.as_slice())
}

/// The sentences, word-piece ids and transformers' embeddings of
/// tests/reference/embed_reference.json (tests/reference/embed_reference.py).
pub struct EmbedReference {
    pub sentences: Vec<String>,
    pub input_ids: Vec<Vec<i64>>,
    pub embeddings: Vec<Vec<f64>>,
}

pub fn embed_reference() -> EmbedReference {
    let v = reference("embed_reference.json");
    let get = |k: &str| v[k].clone();
    EmbedReference {
        sentences: serde_json::from_value(get("sentences")).unwrap(),
        input_ids: serde_json::from_value(get("input_ids")).unwrap(),
        embeddings: serde_json::from_value(get("embeddings")).unwrap(),
    }
}

/// The Python named by `WIKIREL_REF_PYTHON`, or `None` with a skip notice.
/// `WIKIREL_REQUIRE_REF=1` turns a missing one into a failure (`make test-ref` sets both).
pub fn ref_python() -> Option<std::ffi::OsString> {
    let python = std::env::var_os("WIKIREL_REF_PYTHON");
    if python.is_none() {
        assert!(
            std::env::var("WIKIREL_REQUIRE_REF").as_deref() != Ok("1"),
            "WIKIREL_REQUIRE_REF=1 but WIKIREL_REF_PYTHON is not set"
        );
        eprintln!("skipped: set WIKIREL_REF_PYTHON to a Python with torch + transformers");
    }
    python
}
