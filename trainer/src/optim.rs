//! AdamW with PyTorch's update rule, written here so that its state (moments, step) can be
//! saved in a checkpoint and restored: tch's optimizer cannot save state, and `--resume` must
//! continue exactly where a run stopped. Also the linear warm-up/decay schedule of
//! `transformers.get_linear_schedule_with_warmup` and global-norm gradient clipping as
//! `torch.nn.utils.clip_grad_norm_`.
use std::collections::BTreeMap;
use std::path::Path;

use tch::{Kind, Tensor};

use crate::error::TrainerError;

#[derive(Debug, Clone, Copy)]
pub struct AdamWConfig {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig { lr: 3e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 1e-5 }
    }
}

/// Whether a parameter is decayed: not biases, not LayerNorm weights (as the original code).
pub fn decays(name: &str) -> bool {
    !(name.ends_with("bias") || name.contains("LayerNorm") || name.contains("layer_norm"))
}

/// Optimizer state: first and second moments per parameter name, and the step count.
pub struct AdamW {
    pub config: AdamWConfig,
    pub step: i64,
    m: BTreeMap<String, Tensor>,
    v: BTreeMap<String, Tensor>,
}

impl AdamW {
    pub fn new(config: AdamWConfig) -> Self {
        AdamW { config, step: 0, m: BTreeMap::new(), v: BTreeMap::new() }
    }

    /// One update of every parameter that has a gradient, at learning rate `lr`.
    pub fn step(&mut self, params: &[(String, Tensor)], lr: f64) {
        self.step += 1;
        let c = self.config;
        let bc1 = 1.0 - c.beta1.powi(self.step as i32);
        let bc2 = 1.0 - c.beta2.powi(self.step as i32);
        tch::no_grad(|| {
            for (name, p) in params {
                let g = p.grad();
                if !g.defined() {
                    continue;
                }
                // The in-place sequence of torch.optim.AdamW (single-tensor path): few
                // temporaries, the same arithmetic.
                let mut p = p.shallow_clone();
                if c.weight_decay != 0.0 && decays(name) {
                    let _ = p.g_mul_scalar_(1.0 - lr * c.weight_decay);
                }
                let m = self.m.entry(name.clone()).or_insert_with(|| g.zeros_like());
                let _ = m.lerp_(&g, 1.0 - c.beta1);
                let v = self.v.entry(name.clone()).or_insert_with(|| g.zeros_like());
                let _ = v.g_mul_scalar_(c.beta2);
                let _ = v.addcmul_(&g, &(&g * (1.0 - c.beta2)));
                let mut denom = v.sqrt();
                let _ = denom.g_div_scalar_(bc2.sqrt());
                let _ = denom.g_add_scalar_(c.eps);
                let _ = p.addcdiv_(&(&*m * (-lr / bc1)), &denom);
            }
        });
    }

    /// Saves the moments (safetensors) and the step (JSON) into `dir`.
    pub fn save(&self, dir: &Path) -> Result<(), TrainerError> {
        let mut named: Vec<(String, Tensor)> = Vec::new();
        for (k, t) in &self.m {
            named.push((format!("m.{k}"), t.to_device(tch::Device::Cpu)));
        }
        for (k, t) in &self.v {
            named.push((format!("v.{k}"), t.to_device(tch::Device::Cpu)));
        }
        Tensor::write_safetensors(&named, dir.join("optimizer.safetensors"))?;
        let state = serde_json::json!({"step": self.step});
        std::fs::write(dir.join("optimizer.json"), state.to_string())
            .map_err(|source| TrainerError::Io { path: dir.join("optimizer.json"), source })
    }

    /// Restores moments and step saved by [`save`](Self::save) onto `device`.
    pub fn load(
        config: AdamWConfig,
        dir: &Path,
        device: tch::Device,
    ) -> Result<Self, TrainerError> {
        let path = dir.join("optimizer.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|source| TrainerError::Io { path: path.clone(), source })?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| TrainerError::Json { path, source })?;
        let mut opt = AdamW::new(config);
        opt.step = v["step"].as_i64().unwrap_or(0);
        for (name, t) in Tensor::read_safetensors(dir.join("optimizer.safetensors"))? {
            let t = t.to_device(device);
            if let Some(k) = name.strip_prefix("m.") {
                opt.m.insert(k.to_string(), t);
            } else if let Some(k) = name.strip_prefix("v.") {
                opt.v.insert(k.to_string(), t);
            }
        }
        Ok(opt)
    }
}

/// A VarStore's trainable tensors sorted by name: a fixed order, so that gradient clipping
/// sums in the same order on every run (and after a resume).
pub fn named_params(vs: &tch::nn::VarStore) -> Vec<(String, Tensor)> {
    let mut params: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    params.sort_by(|a, b| a.0.cmp(&b.0));
    params
}

/// Zeroes the gradients that exist.
pub fn zero_grad(params: &[(String, Tensor)]) {
    for (_, p) in params {
        let mut g = p.grad();
        if g.defined() {
            let _ = g.zero_();
        }
    }
}

/// Learning-rate multiplier: linear warm-up over `warmup` steps, then linear decay to 0 at
/// `total` (`step` counts from 0 like transformers' LambdaLR).
pub fn linear_schedule(step: i64, warmup: i64, total: i64) -> f64 {
    if step < warmup {
        step as f64 / warmup.max(1) as f64
    } else {
        ((total - step) as f64 / (total - warmup).max(1) as f64).max(0.0)
    }
}

/// Scales all gradients so that their global L2 norm is at most `max_norm`; returns the norm
/// before clipping.
pub fn clip_grad_norm(params: &[(String, Tensor)], max_norm: f64) -> f64 {
    let grads: Vec<Tensor> = params.iter().map(|(_, p)| p.grad()).filter(|g| g.defined()).collect();
    if grads.is_empty() {
        return 0.0;
    }
    let total = tch::no_grad(|| {
        // As torch: the norm of the per-tensor norms.
        let norms: Vec<Tensor> = grads.iter().map(|g| g.norm().to_kind(Kind::Double)).collect();
        Tensor::stack(&norms, 0).norm().double_value(&[])
    });
    let coef = max_norm / (total + 1e-6);
    if coef < 1.0 {
        tch::no_grad(|| {
            for g in &grads {
                let mut g = g.shallow_clone();
                let _ = g.g_mul_scalar_(coef);
            }
        });
    }
    total
}
