//! Pre-training runs on a tiny random BERT (MiniLM's vocabulary, 2 layers of 32) over the
//! vendored Wiki80 slice imported with `pipeline import`.
use std::path::{Path, PathBuf};

use tch::{nn, Device, Tensor};
use trainer::bert::{self, BertConfig, BertModel};
use trainer::pretrain::config::{Method, PretrainConfig};
use trainer::pretrain::train::RunOptions;
use trainer::run_dir;

/// libtorch's dropout RNG is process-global: runs in parallel test threads would draw from
/// each other's streams, so every test that trains holds this lock.
pub static TORCH_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn lock() -> std::sync::MutexGuard<'static, ()> {
    TORCH_RNG.lock().unwrap_or_else(|e| e.into_inner())
}

/// The imported Wiki80 slice (280 sentences x 2, 80 relations) and a tiny random BERT.
pub fn setup(tmp: &Path) -> (PathBuf, PathBuf) {
    let data = tmp.join("data");
    let fixture = super::repo().join("tests/fixtures/wiki80/cp_dev_every20th.txt");
    // Imported twice so that every entity pair has a bag of two sentences (MTB positives).
    pipeline::import::run(pipeline::import::Format::Opennre, &[fixture.clone(), fixture], &data, 1)
        .unwrap();
    let model = tmp.join("tiny");
    tch::manual_seed(7);
    let vs = nn::VarStore::new(Device::Cpu);
    let config = BertConfig::tiny(30522);
    let _m = BertModel::new(&vs.root(), &config, false);
    bert::save(&vs, &config, &[], &model).unwrap();
    run_dir::copy_tokenizer(&super::tokenizer_dir(), &model).unwrap();
    (data, model)
}

pub fn config(method: Method, steps: u64) -> PretrainConfig {
    PretrainConfig {
        method,
        steps,
        batch_pairs: 16,
        micro_batch: 8,
        warmup_steps: 2,
        lr: 1e-3,
        checkpoint_every: 100,
        keep_checkpoints: 0,
        ..PretrainConfig::default()
    }
}

pub fn opts_on(device: Device, resume: bool, stop_at: Option<u64>) -> RunOptions {
    RunOptions { device, resume, stop_at, progress: false }
}

pub fn opts(resume: bool, stop_at: Option<u64>) -> RunOptions {
    opts_on(Device::Cpu, resume, stop_at)
}

/// The latest checkpoint's weights, sorted by name.
pub fn weights(run: &Path) -> Vec<(String, Tensor)> {
    let (_, dir) = run_dir::checkpoints(run).pop().expect("a checkpoint");
    let mut w = Tensor::read_safetensors(dir.join("model.safetensors")).unwrap();
    w.sort_by(|a, b| a.0.cmp(&b.0));
    w
}

/// One metric of every step in `run/metrics.jsonl`.
pub fn losses(run: &Path, key: &str) -> Vec<f64> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()[key].as_f64().unwrap())
        .collect()
}
