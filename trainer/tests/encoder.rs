//! The BERT encoder's loading, saving, tokenizer and `embed` command. Its embeddings against
//! transformers' (tests/reference/embed_reference.json) are checked in device.rs, on every device.
mod common;

use std::path::PathBuf;
use std::process::Command;

use tch::Device;
use trainer::bert;
use trainer::tokenize::WordPieces;

fn model_dir() -> PathBuf {
    common::minilm()
}

#[test]
fn tokenizer_json_and_vocab_txt_give_the_reference_ids() {
    let r = common::embed_reference();
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

/// `embed --json` prints whole vectors (what scripts/gpu-check.sh compares with transformers):
/// fp32 equals the transformers reference to 1e-4, `--precision bf16` differs from it, within
/// the bf16 tolerance of device.rs.
#[test]
fn embed_json_prints_the_reference_vectors_in_fp32_and_bf16() {
    let r = common::embed_reference();
    for (precision, lo, hi) in [("fp32", 0.0, 1e-4), ("bf16", 1e-5, 2e-2)] {
        let out = Command::new(env!("CARGO_BIN_EXE_trainer"))
            .args(["embed", "--json", "--precision", precision, "--model"])
            .arg(model_dir())
            .args(&r.sentences[..2])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<serde_json::Value> =
            stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2, "{stdout}");
        let mut worst = 0f64;
        for (line, (sentence, want)) in lines.iter().zip(r.sentences.iter().zip(&r.embeddings)) {
            assert_eq!(line["sentence"], sentence.as_str());
            let got: Vec<f64> = serde_json::from_value(line["embedding"].clone()).unwrap();
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(want) {
                worst = worst.max((g - w).abs());
            }
        }
        assert!(worst >= lo && worst <= hi, "{precision}: max |diff| {worst:.2e}");
    }
}

/// `init-model` writes a random BERT of the config's shape that loads, with the tokenizer, and
/// refuses a vocabulary that does not match the tokenizer's or a non-empty directory.
#[test]
fn init_model_writes_a_loadable_random_bert_of_the_configs_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let config = common::repo().join("configs/models/bert-tiny.json");
    let out = tmp.path().join("tiny");
    let tok = model_dir();
    let init = |out: &std::path::Path, config: &std::path::Path, seed: &str| {
        Command::new(env!("CARGO_BIN_EXE_trainer"))
            .arg("init-model")
            .arg("--config")
            .arg(config)
            .arg("--tokenizer")
            .arg(&tok)
            .arg("--out")
            .arg(out)
            .args(["--seed", seed])
            .output()
            .unwrap()
    };
    assert!(init(&out, &config, "1").status.success());
    let loaded = bert::load(&out, Device::Cpu).unwrap();
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    assert_eq!(loaded.config.hidden_size, want["hidden_size"].as_i64().unwrap());
    assert_eq!(loaded.config.num_hidden_layers, want["num_hidden_layers"].as_i64().unwrap());
    assert!(out.join("tokenizer.json").exists() && out.join("vocab.txt").exists());
    // Same seed, same weights; another seed, others.
    let again = tmp.path().join("again");
    let other = tmp.path().join("other");
    assert!(init(&again, &config, "1").status.success());
    assert!(init(&other, &config, "2").status.success());
    let read = |d: &std::path::Path| std::fs::read(d.join("model.safetensors")).unwrap();
    assert_eq!(read(&out), read(&again));
    assert_ne!(read(&out), read(&other));
    // Refusals name the problem.
    let refused = init(&out, &config, "1");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not empty"));
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, std::fs::read_to_string(&config).unwrap().replace("30522", "100"))
        .unwrap();
    let refused = init(&tmp.path().join("x"), &bad, "1");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("vocab_size 100"), "{refused:?}");
}
