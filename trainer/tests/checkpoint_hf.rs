//! Checkpoints we write are what `transformers` loads.
//!
//! Always: the names and shapes of a saved checkpoint (MiniLM encoder + MLM head) against
//! `tests/reference/checkpoint_keys.json`, recorded from `transformers.BertForPreTraining`
//! by `tests/reference/checkpoint_load.py record`.
//! With `WIKIREL_REF_PYTHON` (a Python with torch + transformers): the checkpoint is loaded by
//! `BertModel.from_pretrained` and `BertForMaskedLM.from_pretrained` with nothing missing, and
//! transformers' hidden states equal ours. `WIKIREL_REQUIRE_REF=1` turns a missing Python into
//! a failure instead of a skip notice.
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tch::{Device, Kind, Tensor};
use trainer::bert::{self, mlm::MlmHead, Batch};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// MiniLM with every weight perturbed (so that reading the original back would be caught)
/// and a fresh MLM head, saved into `dir`.
fn saved_checkpoint(dir: &Path) -> bert::LoadedBert {
    let minilm = repo().join("artifacts/models/all-MiniLM-L6-v2");
    assert!(minilm.exists(), "run `make model`");
    tch::manual_seed(3);
    let loaded = bert::load(&minilm, Device::Cpu).unwrap();
    let _head = MlmHead::new(&loaded.vs.root(), &loaded.config);
    tch::no_grad(|| {
        for (_, mut v) in loaded.vs.variables() {
            let noise = v.randn_like() * 0.01;
            let _ = v.g_add_(&noise);
        }
    });
    bert::save(&loaded.vs, &loaded.config, &[], dir).unwrap();
    trainer::run_dir::copy_tokenizer(&minilm, dir).unwrap();
    loaded
}

#[test]
fn saved_names_and_shapes_are_what_bert_for_pretraining_expects() {
    let tmp = tempfile::tempdir().unwrap();
    saved_checkpoint(tmp.path());
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/reference/checkpoint_keys.json")).unwrap(),
    )
    .unwrap();
    let shapes = |k: &str| -> BTreeMap<String, Vec<i64>> {
        serde_json::from_value(reference[k].clone()).unwrap()
    };
    let (encoder, heads) = (shapes("encoder"), shapes("heads"));
    let saved: BTreeMap<String, Vec<i64>> =
        Tensor::read_safetensors(tmp.path().join("model.safetensors"))
            .unwrap()
            .into_iter()
            .map(|(n, t)| (n, t.size()))
            .collect();
    for (name, shape) in &encoder {
        assert_eq!(saved.get(name), Some(shape), "encoder tensor {name}");
    }
    for (name, shape) in &saved {
        let known = encoder.get(name).or_else(|| heads.get(name));
        assert_eq!(known, Some(shape), "{name} is not a BertForPreTraining tensor of this shape");
    }
    for name in ["cls.predictions.bias", "cls.predictions.transform.dense.weight"] {
        assert!(saved.contains_key(name), "MLM head tensor {name} saved");
    }
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("config.json")).unwrap())
            .unwrap();
    assert_eq!(config["model_type"], "bert");
    assert_eq!(config["hidden_size"], 384);
}

#[test]
fn transformers_loads_the_checkpoint_and_computes_the_same_states() {
    let Some(python) = common::ref_python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let loaded = saved_checkpoint(tmp.path());
    let ids: Vec<Vec<i64>> = vec![vec![101, 1, 2023, 2, 3, 2003, 4, 1037, 3231, 102]];
    let out = std::process::Command::new(python)
        .arg(repo().join("tests/reference/checkpoint_load.py"))
        .arg("check")
        .arg(tmp.path())
        .arg(serde_json::to_string(&ids).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for model in ["bert_model", "masked_lm"] {
        assert_eq!(v[model]["missing_keys"], serde_json::json!([]), "{model}: {}", v[model]);
        assert_eq!(v[model]["mismatched_keys"], serde_json::json!([]), "{model}");
    }
    let theirs: Vec<Vec<Vec<f64>>> = serde_json::from_value(v["hidden"].clone()).unwrap();
    let theirs = Tensor::from_slice(&theirs.concat().concat()).view([1, ids[0].len() as i64, 384]);
    let input_ids = Tensor::from_slice(&ids[0]).view([1, -1]);
    let batch = Batch {
        attention_mask: input_ids.ones_like(),
        token_type_ids: input_ids.zeros_like(),
        input_ids,
    };
    let ours = tch::no_grad(|| loaded.model.forward(&batch, false)).to_kind(Kind::Double);
    let diff = (ours - theirs).abs().max().double_value(&[]);
    assert!(diff < 1e-4, "max |ours - transformers| = {diff}");
}
