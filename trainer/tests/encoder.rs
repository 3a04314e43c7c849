//! The BERT encoder against PyTorch + transformers: embeddings of the sentences in
//! tests/reference/embed_reference.json (one padded batch, one sentence of 165 word pieces)
//! must agree to 1e-4 per dimension. The reference was computed by
//! tests/reference/embed_reference.py, independently of this code.
use std::path::{Path, PathBuf};
use std::process::Command;

use tch::Device;
use trainer::tokenize::WordPieces;
use trainer::{bert, embed};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn model_dir() -> PathBuf {
    let dir = repo().join("artifacts/models/all-MiniLM-L6-v2");
    assert!(dir.join("model.safetensors").exists(), "{} missing: run `make model`", dir.display());
    dir
}

struct Reference {
    sentences: Vec<String>,
    input_ids: Vec<Vec<i64>>,
    embeddings: Vec<Vec<f64>>,
}

fn reference() -> Reference {
    let path = repo().join("tests/reference/embed_reference.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    fn get<T: serde::de::DeserializeOwned>(v: &serde_json::Value, k: &str) -> T {
        serde_json::from_value(v[k].clone()).unwrap()
    }
    Reference {
        sentences: get(&v, "sentences"),
        input_ids: get(&v, "input_ids"),
        embeddings: get(&v, "embeddings"),
    }
}

#[test]
fn embeddings_match_transformers_to_1e4() {
    let r = reference();
    assert!(r.sentences.len() >= 5);
    assert!(r.input_ids.iter().any(|ids| ids.len() > 128), "needs a sentence over 128 pieces");
    let loaded = bert::load(&model_dir(), Device::Cpu).unwrap();
    let tok = WordPieces::from_dir(&model_dir()).unwrap();
    let refs: Vec<&str> = r.sentences.iter().map(String::as_str).collect();
    let emb = embed::embed(&loaded.model, &tok, &refs, Device::Cpu).unwrap();
    assert_eq!(emb.size(), [r.sentences.len() as i64, 384]);
    let mut worst = 0f64;
    for (i, want) in r.embeddings.iter().enumerate() {
        let got: Vec<f32> = Vec::try_from(emb.get(i as i64)).unwrap();
        for (d, (g, w)) in got.iter().zip(want).enumerate() {
            let diff = (f64::from(*g) - w).abs();
            worst = worst.max(diff);
            assert!(diff <= 1e-4, "sentence {i} dim {d}: {g} vs {w}");
        }
    }
    eprintln!("max |diff| = {worst:.2e}");
}

#[test]
fn tokenizer_json_and_vocab_txt_give_the_reference_ids() {
    let r = reference();
    let from_json = WordPieces::from_dir(&model_dir()).unwrap();
    // A directory with only vocab.txt (+ tokenizer_config.json) builds the tokenizer itself.
    let tmp = tempfile::tempdir().unwrap();
    for f in ["vocab.txt", "tokenizer_config.json"] {
        std::fs::copy(model_dir().join(f), tmp.path().join(f)).unwrap();
    }
    let from_vocab = WordPieces::from_dir(tmp.path()).unwrap();
    for (s, ids) in r.sentences.iter().zip(&r.input_ids) {
        assert_eq!(&from_json.encode(s, 512).unwrap(), ids, "tokenizer.json: {s}");
        assert_eq!(&from_vocab.encode(s, 512).unwrap(), ids, "vocab.txt: {s}");
    }
}

#[test]
fn embed_command_prints_the_reference_cosine() {
    let out = Command::new(env!("CARGO_BIN_EXE_trainer"))
        .args(["embed", "--model"])
        .arg(model_dir())
        .args(["A man is playing a guitar.", "A person plays a musical instrument."])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let cos: f64 = stdout.split('\t').next().unwrap().trim().parse().unwrap();
    assert!((cos - 0.68).abs() <= 0.01, "cosine {cos}");
}

#[test]
fn save_then_load_round_trips_every_tensor() {
    let loaded = bert::load(&model_dir(), Device::Cpu).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    bert::save(&loaded.vs, &loaded.config, &[], tmp.path()).unwrap();
    // Saved names carry the `bert.` prefix; loading strips it again.
    let names: Vec<String> = tch::Tensor::read_safetensors(tmp.path().join("model.safetensors"))
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(names.iter().all(|n| n.starts_with("bert.")), "{names:?}");
    let again = bert::load(tmp.path(), Device::Cpu).unwrap();
    let a = loaded.vs.variables();
    let b = again.vs.variables();
    assert_eq!(a.len(), b.len());
    for (name, t) in &a {
        assert!(t.equal(&b[name]), "{name} differs after the round trip");
    }
}

#[test]
fn a_missing_tensor_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(model_dir().join("config.json"), tmp.path().join("config.json")).unwrap();
    let some = vec![(
        "embeddings.word_embeddings.weight",
        tch::Tensor::zeros([30522, 384], tch::kind::FLOAT_CPU),
    )];
    tch::Tensor::write_safetensors(&some, tmp.path().join("model.safetensors")).unwrap();
    let err = bert::load(tmp.path(), Device::Cpu).err().expect("must fail");
    let msg = err.to_string();
    assert!(msg.contains("model.safetensors") && msg.contains("is missing"), "{msg}");
}
