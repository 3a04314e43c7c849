//! The fine-tuning model of the paper: the BERT encoder with entity markers, the
//! concatenated head-start and tail-start states, one linear layer to the labels.
//!
//! A saved model is a Hugging Face BERT directory whose `model.safetensors` also holds
//! `classifier.weight`/`classifier.bias`, plus `finetune-head.json` (labels, mode, max length,
//! type ids): everything `trainer predict` needs.
use std::path::Path;

use tch::{nn, nn::Module, Device, Kind, Tensor};

use super::data::Record;
use super::modes::{encode, Mode, TypeIds};
use crate::bert::{self, encode_marked, LoadedBert};
use crate::error::{io, TrainerError};
use crate::pretrain::input::Markers;
use crate::run_dir;
use crate::tokenize::WordPieces;

/// What a saved fine-tuned model needs besides the weights.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct HeadInfo {
    pub task: super::splits::Task,
    pub labels: Vec<String>,
    pub mode: Mode,
    pub max_len: usize,
    pub types: TypeIds,
}

pub const HEAD_FILE: &str = "finetune-head.json";

/// Encoded instances of one split.
#[derive(Debug, Clone, Default)]
pub struct Encoded {
    pub ids: Vec<Vec<i64>>,
    /// Head-start and tail-start positions, two per instance.
    pub starts: Vec<i64>,
    pub labels: Vec<usize>,
    /// Instances whose marker was cut away by truncation (position 0, `[CLS]`, used instead,
    /// as the original code does).
    pub cut: usize,
}

impl Encoded {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Encodes records in `info.mode`; a record's label must be in `info.labels` unless
/// `labelled` is false.
pub fn encode_records(
    tok: &WordPieces,
    markers: &Markers,
    info: &HeadInfo,
    records: &[Record],
    labelled: bool,
) -> Result<Encoded, TrainerError> {
    let mut out = Encoded::default();
    for r in records {
        let m = encode(tok, markers, r, info.mode, &info.types, info.max_len)?;
        if m.head_start.is_none() || m.tail_start.is_none() {
            out.cut += 1;
        }
        out.starts.extend([m.head_start.unwrap_or(0) as i64, m.tail_start.unwrap_or(0) as i64]);
        out.ids.push(m.ids);
        if labelled {
            let l = info.labels.iter().position(|l| *l == r.label).ok_or_else(|| {
                TrainerError::Encode(format!("line {}: unknown label {:?}", r.line, r.label))
            })?;
            out.labels.push(l);
        }
    }
    Ok(out)
}

/// Encoder plus linear classifier.
pub struct Classifier {
    pub bert: LoadedBert,
    pub head: nn::Linear,
    pub pad_id: i64,
    pub device: Device,
}

impl Classifier {
    /// A fresh classifier on a pre-trained encoder (the layer initialised as torch's
    /// `nn.Linear`, from the current torch seed).
    pub fn new(
        model_dir: &Path,
        n_labels: usize,
        pad_id: i64,
        device: Device,
    ) -> Result<Self, TrainerError> {
        // Built on CPU and moved: the seed then gives the same head on every device (CUDA
        // has its own generator, and the encoder's throw-away initial draws use the CPU one).
        let mut bert = bert::load(model_dir, Device::Cpu)?;
        let h = bert.config.hidden_size;
        let head = nn::linear(bert.vs.root() / "classifier", 2 * h, n_labels as i64, linear_cfg(h));
        if device != Device::Cpu {
            bert.vs.set_device(device);
        }
        Ok(Classifier { bert, head, pad_id, device })
    }

    /// A saved fine-tuned model.
    pub fn load(dir: &Path, pad_id: i64, device: Device) -> Result<(Self, HeadInfo), TrainerError> {
        let path = dir.join(HEAD_FILE);
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        let info: HeadInfo =
            serde_json::from_str(&text).map_err(|source| TrainerError::Json { path, source })?;
        let c = Self::new(dir, info.labels.len(), pad_id, device)?;
        tch::no_grad(|| -> Result<(), TrainerError> {
            for (name, dst) in [
                ("classifier.weight", &c.head.ws),
                ("classifier.bias", c.head.bs.as_ref().expect("bias")),
            ] {
                let src = c.bert.extra.get(name).ok_or_else(|| TrainerError::Checkpoint {
                    path: dir.to_path_buf(),
                    msg: format!("no {name}: not a fine-tuned model"),
                })?;
                if src.size() != dst.size() {
                    return Err(TrainerError::Checkpoint {
                        path: dir.to_path_buf(),
                        msg: format!(
                            "{name} has shape {:?}, expected {:?}",
                            src.size(),
                            dst.size()
                        ),
                    });
                }
                dst.shallow_clone().copy_(&src.to_device(device).to_kind(Kind::Float));
            }
            Ok(())
        })?;
        Ok((c, info))
    }

    /// Logits `[n, labels]` of instances `rows` of `data`, padded to their longest.
    pub fn logits(&self, data: &Encoded, rows: &[usize], train: bool) -> Tensor {
        let seqs: Vec<Vec<i64>> = rows.iter().map(|&i| data.ids[i].clone()).collect();
        let starts: Vec<i64> =
            rows.iter().flat_map(|&i| [data.starts[2 * i], data.starts[2 * i + 1]]).collect();
        let reps =
            encode_marked(&self.bert.model, &seqs, &starts, self.pad_id, 0, self.device, train);
        self.head.forward(&reps)
    }

    /// Predicted label and its softmax probability for every instance, without gradients:
    /// sorted by length and run `batch` at a time.
    pub fn predict(&self, data: &Encoded, batch: usize) -> (Vec<usize>, Vec<f64>) {
        let mut order: Vec<usize> = (0..data.len()).collect();
        order.sort_by_key(|&i| data.ids[i].len());
        let (mut pred, mut prob) = (vec![0; data.len()], vec![0.0; data.len()]);
        tch::no_grad(|| {
            for rows in order.chunks(batch.max(1)) {
                let p = self.logits(data, rows, false).softmax(-1, Kind::Float);
                let (best, arg) = p.max_dim(1, false);
                let best = Vec::<f64>::try_from(best.to_kind(Kind::Double)).expect("probs");
                let arg = Vec::<i64>::try_from(arg).expect("ids");
                for (k, &i) in rows.iter().enumerate() {
                    pred[i] = arg[k] as usize;
                    prob[i] = best[k];
                }
            }
        });
        (pred, prob)
    }

    /// Saves the encoder, the classifier, the tokenizer and `info` into `dir` (atomically:
    /// written under `dir.partial` and renamed).
    pub fn save(
        &self,
        info: &HeadInfo,
        tokenizer_from: &Path,
        dir: &Path,
    ) -> Result<(), TrainerError> {
        let tmp = dir.with_extension("partial");
        let _ = std::fs::remove_dir_all(&tmp);
        let heads = vec![
            ("classifier.weight".to_string(), self.head.ws.shallow_clone()),
            ("classifier.bias".to_string(), self.head.bs.as_ref().expect("bias").shallow_clone()),
        ];
        bert::save(&self.bert.vs, &self.bert.config, &heads, &tmp)?;
        run_dir::copy_tokenizer(tokenizer_from, &tmp)?;
        run_dir::write_atomic(&tmp.join(HEAD_FILE), &serde_json::to_string_pretty(info).unwrap())?;
        let _ = std::fs::remove_dir_all(dir);
        std::fs::rename(&tmp, dir).map_err(io(dir))
    }
}

/// torch's `nn.Linear` initialisation: weights and bias uniform in ±1/sqrt(fan_in).
fn linear_cfg(hidden: i64) -> nn::LinearConfig {
    let bound = 1.0 / ((2 * hidden) as f64).sqrt();
    nn::LinearConfig {
        ws_init: nn::Init::Uniform { lo: -bound, up: bound },
        bs_init: Some(nn::Init::Uniform { lo: -bound, up: bound }),
        bias: true,
    }
}
