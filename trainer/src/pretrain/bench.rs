//! `trainer bench-step`: times one CP training step on fixed inputs (bench/cp_step_inputs.py)
//! so that `make bench-train` can compare it with the same step in PyTorch
//! (bench/cp_step_torch.py) in the same run.
use std::path::Path;
use std::time::Instant;

use tch::{Device, Tensor};

use super::config::{Method, Precision, PretrainConfig};
use super::masking::IGNORE;
use super::train::losses;
use crate::bert::{self, mlm::MlmHead};
use crate::error::TrainerError;
use crate::optim::{clip_grad_norm, named_params, zero_grad, AdamW, AdamWConfig};
use crate::tokenize::{pad_batch_to, WordPieces};

#[derive(serde::Deserialize)]
struct Inputs {
    seqs: Vec<Vec<i64>>,
    positions: Vec<[i64; 2]>,
    labels: Vec<i64>,
    mlm_labels: Vec<Vec<i64>>,
}

/// Sequences per second over `steps` timed steps (after two untimed ones). `width`: pad every
/// sequence to this length (`None`: to the longest in the batch).
pub fn cp_step(
    model: &Path,
    inputs: &Path,
    steps: usize,
    width: Option<usize>,
    device: Device,
    precision: Precision,
) -> Result<f64, TrainerError> {
    let text = std::fs::read_to_string(inputs)
        .map_err(|source| TrainerError::Io { path: inputs.to_path_buf(), source })?;
    let d: Inputs = serde_json::from_str(&text)
        .map_err(|source| TrainerError::Json { path: inputs.to_path_buf(), source })?;
    let tok = WordPieces::from_dir(model)?;
    tch::manual_seed(0);
    let mut loaded = bert::load(model, device)?;
    let head = MlmHead::new(&loaded.vs.root(), &loaded.config);
    head.load_from(&loaded.vs, &loaded.extra)?;
    loaded.model.set_autocast(precision.autocast(device));
    let w = width.unwrap_or(0);
    let batch = pad_batch_to(&d.seqs, tok.pad_id(), w, device);
    let width = batch.input_ids.size()[1] as usize;
    let labels: Vec<i64> = d
        .mlm_labels
        .iter()
        .flat_map(|l| l.iter().copied().chain(std::iter::repeat_n(IGNORE, width - l.len())))
        .collect();
    let n = d.seqs.len() as i64;
    let mb = super::batch::MicroBatch {
        batch,
        positions: Tensor::from_slice(&d.positions.concat()).view([n, 2]).to_device(device),
        mlm_labels: Tensor::from_slice(&labels).view([n, width as i64]).to_device(device),
        lost_markers: 0,
    };
    let config = PretrainConfig { method: Method::Cp, ..PretrainConfig::default() };
    let params = named_params(&loaded.vs);
    let mut opt = AdamW::new(AdamWConfig::default());
    let mut step = || {
        zero_grad(&params);
        let (cp, mlm) = losses(&config, &loaded.model, &head, &mb, &d.labels, device);
        (cp + mlm).backward();
        clip_grad_norm(&params, 1.0);
        opt.step(&params, 3e-5);
    };
    let sync = || {
        if let Device::Cuda(i) = device {
            tch::Cuda::synchronize(i as i64);
        }
    };
    step();
    step();
    sync();
    let t = Instant::now();
    for _ in 0..steps {
        step();
    }
    sync();
    Ok(n as f64 * steps as f64 / t.elapsed().as_secs_f64())
}
