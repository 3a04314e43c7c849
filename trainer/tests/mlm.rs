//! The MLM head against transformers' BertForMaskedLM (tests/reference/mlm_reference.py) on
//! MiniLM with a seeded random head, and its round trip through a saved checkpoint.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tch::{Device, Tensor};
use trainer::bert::{self, mlm::MlmHead};
use trainer::tokenize::WordPieces;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn head_tensors() -> BTreeMap<String, Tensor> {
    Tensor::read_safetensors(repo().join("tests/reference/mlm_head.safetensors"))
        .unwrap()
        .into_iter()
        .collect()
}

#[test]
fn logits_equal_bert_for_masked_lm() {
    let r: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/reference/mlm_reference.json")).unwrap(),
    )
    .unwrap();
    let dir = repo().join("artifacts/models/all-MiniLM-L6-v2");
    let loaded = bert::load(&dir, Device::Cpu).unwrap();
    assert!(loaded.extra.keys().all(|k| !k.starts_with("cls.")), "MiniLM ships no MLM head");
    let head = MlmHead::new(&loaded.vs.root(), &loaded.config);
    assert!(!head.load_from(&loaded.vs, &loaded.extra).unwrap(), "fresh head");
    assert!(head.load_from(&loaded.vs, &head_tensors()).unwrap());
    let tok = WordPieces::from_dir(&dir).unwrap();
    let ids: Vec<i64> = serde_json::from_value(r["input_ids"].clone()).unwrap();
    assert_eq!(tok.encode(r["text"].as_str().unwrap(), 64).unwrap(), ids);
    let batch = tok.pad(&[ids], Device::Cpu);
    let logits = tch::no_grad(|| {
        head.forward(&loaded.model.forward(&batch, false), loaded.model.word_embeddings())
    })
    .get(0);
    let argmax: Vec<i64> = Vec::try_from(logits.argmax(-1, false)).unwrap();
    let want: Vec<i64> = serde_json::from_value(r["argmax_per_position"].clone()).unwrap();
    assert_eq!(argmax, want);
    let pos = r["mask_position"].as_i64().unwrap();
    let got: Vec<f32> = Vec::try_from(logits.get(pos).narrow(0, 0, 200)).unwrap();
    let want: Vec<f64> = serde_json::from_value(r["logits_mask_first_200"].clone()).unwrap();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!((f64::from(*g) - w).abs() < 1e-3, "vocab {i}: {g} vs {w}");
    }
}

#[test]
fn saved_checkpoint_keeps_the_head_under_its_own_name() {
    let dir = repo().join("artifacts/models/all-MiniLM-L6-v2");
    let loaded = bert::load(&dir, Device::Cpu).unwrap();
    let head = MlmHead::new(&loaded.vs.root(), &loaded.config);
    head.load_from(&loaded.vs, &head_tensors()).unwrap();
    let out = tempfile::tempdir().unwrap();
    bert::save(&loaded.vs, &loaded.config, &[], out.path()).unwrap();
    let again = bert::load(out.path(), Device::Cpu).unwrap();
    let want = head_tensors();
    assert_eq!(again.extra.len(), want.len(), "{:?}", again.extra.keys().collect::<Vec<_>>());
    for (k, t) in &want {
        assert!(again.extra[k].equal(t), "{k}");
    }
}
