//! Pre-training configuration: every choice of the original implementation
//! (thunlp/RE-Context-or-Names) is a key with the original's default. A run directory keeps
//! the resolved configuration (`config.toml`), and `--resume` reads it back from there.
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::input::Truncation;
use crate::error::TrainerError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Entity-masked contrastive pre-training (Peng et al. 2020).
    Cp,
    /// Matching the blanks (Baldini Soares et al. 2019), as re-implemented in the paper.
    Mtb,
}

/// When the blanking of a sentence's mentions is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlankMode {
    /// Once per sentence for the whole run (the original draws it when the data is loaded).
    Static,
    /// Afresh in every epoch.
    PerEpoch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// bf16 matrix products on CUDA, fp32 on CPU.
    Auto,
    Fp32,
    Bf16,
}

impl Precision {
    /// The reduced precision for matrix products on `device`, if any.
    pub fn autocast(self, device: tch::Device) -> Option<tch::Kind> {
        match (self, device) {
            (Precision::Bf16, _) | (Precision::Auto, tch::Device::Cuda(_)) => {
                Some(tch::Kind::BFloat16)
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PretrainConfig {
    pub method: Method,
    /// Seeds the epoch shuffles, blanking, masking, dropout and the fresh MLM head.
    pub seed: u64,
    /// Optimizer steps (the paper's CP run: 3,500 steps of 2,048 pairs).
    pub steps: u64,
    /// Pairs per optimizer step (CP 2,048; MTB 256); 0 means the method's default.
    pub batch_pairs: usize,
    /// Pairs per forward pass; gradients are accumulated over batch_pairs / micro_batch
    /// passes. For CP the micro-batch is also the pool of negatives (the original: 32 per GPU).
    pub micro_batch: usize,
    pub max_len: usize,
    pub truncation: Truncation,
    /// Probability of replacing each mention by its blank token.
    pub p_blank: f64,
    pub blank_mode: BlankMode,
    /// NT-Xent temperature (CP).
    pub temperature: f64,
    /// Share of tokens chosen for MLM.
    pub mlm_prob: f64,
    /// Weight of the method's loss (CP's or MTB's) in the sum with MLM's (the original: 1).
    /// 0 trains MLM alone on the method's batches, markers and blanking included: the
    /// control that tells what the objective adds beyond MLM on marked sentences.
    pub objective_weight: f64,
    /// MTB: at most this many sentences of an entity-pair bag are used.
    pub mtb_max_per_pair: usize,
    pub lr: f64,
    pub weight_decay: f64,
    pub warmup_steps: u64,
    pub max_grad_norm: f64,
    /// Save a checkpoint every this many steps (and always at the end or on Ctrl-C).
    pub checkpoint_every: u64,
    /// Checkpoints kept (the oldest are deleted); 0 keeps all.
    pub keep_checkpoints: usize,
    pub precision: Precision,
}

impl Default for PretrainConfig {
    fn default() -> Self {
        PretrainConfig {
            method: Method::Cp,
            seed: 42,
            steps: 3500,
            batch_pairs: 0,
            micro_batch: 32,
            max_len: 64,
            truncation: Truncation::Window,
            p_blank: 0.7,
            blank_mode: BlankMode::Static,
            temperature: 0.05,
            mlm_prob: 0.15,
            objective_weight: 1.0,
            mtb_max_per_pair: 8,
            lr: 3e-5,
            weight_decay: 1e-5,
            warmup_steps: 500,
            max_grad_norm: 1.0,
            checkpoint_every: 500,
            keep_checkpoints: 3,
            precision: Precision::Auto,
        }
    }
}

impl PretrainConfig {
    /// Reads a TOML file (unknown keys are errors, missing keys take the defaults).
    pub fn from_file(path: &Path) -> Result<Self, TrainerError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| TrainerError::Io { path: path.to_path_buf(), source })?;
        toml::from_str(&text)
            .map_err(|e| TrainerError::Config { path: path.to_path_buf(), msg: e.to_string() })
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("plain config serialises")
    }

    /// Pairs per optimizer step, resolving 0 to the method's default.
    pub fn pairs_per_step(&self) -> usize {
        match (self.batch_pairs, self.method) {
            (0, Method::Cp) => 2048,
            (0, Method::Mtb) => 256,
            (n, _) => n,
        }
    }

    /// Checks ranges; `origin` names the file or flag for the error.
    pub fn validate(&self, origin: &Path) -> Result<(), TrainerError> {
        let bad = |msg: String| Err(TrainerError::Config { path: origin.to_path_buf(), msg });
        if !(0.0..=1.0).contains(&self.p_blank) || !(0.0..=1.0).contains(&self.mlm_prob) {
            return bad("p_blank and mlm_prob must lie in [0, 1]".into());
        }
        if self.micro_batch == 0 || self.steps == 0 {
            return bad("micro_batch and steps must be positive".into());
        }
        if self.max_len < 8 || self.max_len > 512 {
            return bad(format!("max_len {} outside 8..=512", self.max_len));
        }
        if self.temperature <= 0.0 {
            return bad("temperature must be positive".into());
        }
        if !(self.objective_weight >= 0.0 && self.objective_weight.is_finite()) {
            return bad(format!(
                "objective_weight {} must be finite and >= 0",
                self.objective_weight
            ));
        }
        if self.method == Method::Mtb && self.mtb_max_per_pair < 2 {
            return bad("mtb_max_per_pair must be at least 2".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_papers_and_round_trip_through_toml() {
        let c = PretrainConfig::default();
        assert_eq!((c.p_blank, c.temperature, c.lr, c.max_len), (0.7, 0.05, 3e-5, 64));
        assert_eq!(c.pairs_per_step(), 2048);
        let mtb = PretrainConfig { method: Method::Mtb, ..c.clone() };
        assert_eq!(mtb.pairs_per_step(), 256);
        let back: PretrainConfig = toml::from_str(&c.to_toml()).unwrap();
        assert_eq!(back, c);
        let partial: PretrainConfig =
            toml::from_str("method = \"mtb\"\nblank_mode = \"per-epoch\"").unwrap();
        assert_eq!((partial.method, partial.blank_mode), (Method::Mtb, BlankMode::PerEpoch));
        assert!(toml::from_str::<PretrainConfig>("p_blnk = 0.5").is_err(), "typos are errors");
    }
}
