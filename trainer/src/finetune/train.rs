//! Supervised fine-tuning with the original protocol (thunlp/RE-Context-or-Names
//! `finetune/supervisedRE`): shuffled batches of 64, cross-entropy, AdamW (lr 3e-5, weight
//! decay 1e-5 except biases and LayerNorm), gradient clipping at 1.0, a linear schedule with
//! warm-up, 6 epochs; dev is scored after every epoch and the reported test score is the one
//! at the best dev epoch (its weights are kept in memory and test is scored once at the end). Several seeds give one result each
//! and their median.
//!
//! Run directory: `finetune.json` (configuration and data provenance), `labels.json`,
//! `inputs/{train,dev,test}.jsonl` (the encoded instances: what a reference implementation
//! can consume to train on identical inputs), one `seed-N/` per seed (`metrics.jsonl`,
//! `result.json`, `per_relation.tsv`, `confusion.tsv`, test predictions, `best/` model), and
//! `results.json` with every seed and the median. A finished seed is not run again: an
//! interrupted run continues with `--resume` at the first unfinished seed.
use std::path::{Path, PathBuf};
use std::time::Instant;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use tch::{Device, Tensor};

use super::model::{encode_records, Classifier, Encoded, HeadInfo};
use super::modes::Mode;
use super::score::{confusion, confusion_tsv, median, per_relation, per_relation_tsv, primary};
use super::splits::{Splits, Task};
use crate::error::{io, TrainerError};
use crate::optim::{clip_grad_norm, linear_schedule, named_params, zero_grad, AdamW, AdamWConfig};
use crate::pretrain::input::Markers;
use crate::run_dir::{self, write_atomic};
use crate::tokenize::WordPieces;

/// Warm-up of the linear schedule.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Warmup {
    /// A fixed number of steps (the original: 500, even when a run is shorter).
    Steps(u64),
    /// A share of all steps.
    Ratio(f64),
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FinetuneConfig {
    pub task: Task,
    pub mode: Mode,
    pub train_ratio: f64,
    pub seeds: Vec<u64>,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub weight_decay: f64,
    pub max_len: usize,
    pub warmup: Warmup,
    pub max_grad_norm: f64,
    pub eval_batch: usize,
    /// Keep each seed's best model in `seed-N/best/`.
    pub save_model: bool,
    /// Dropout during training (off only for lock-step comparisons with a reference).
    #[serde(default = "yes")]
    pub dropout: bool,
    /// Record the first this-many steps (classifier initialisation, batch rows, losses) in
    /// `seed-N/trace.json`, for `tests/reference/finetune_ref.py --lockstep`.
    #[serde(default)]
    pub trace_steps: usize,
}

fn yes() -> bool {
    true
}

impl FinetuneConfig {
    /// The paper's hyper-parameters for `task` in `mode`.
    pub fn paper(task: Task, mode: Mode) -> Self {
        FinetuneConfig {
            task,
            mode,
            train_ratio: 1.0,
            seeds: vec![42, 43, 44, 45, 46],
            epochs: 6,
            batch_size: 64,
            lr: 3e-5,
            weight_decay: 1e-5,
            max_len: 100,
            warmup: Warmup::Ratio(0.1),
            max_grad_norm: 1.0,
            eval_batch: 128,
            save_model: true,
            dropout: true,
            trace_steps: 0,
        }
    }

    fn warmup_steps(&self, total: u64) -> u64 {
        match self.warmup {
            Warmup::Steps(s) => s,
            Warmup::Ratio(r) => (r * total as f64).round() as u64,
        }
    }
}

/// One seed's outcome.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SeedResult {
    pub seed: u64,
    pub best_epoch: usize,
    pub dev: f64,
    pub test: f64,
    pub train_sequences: usize,
    pub train_seconds: f64,
    /// Training throughput (forward + backward + update), evaluation excluded.
    pub train_sequences_per_second: f64,
    pub eval_seconds: f64,
}

/// All seeds and the medians.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    pub task: Task,
    pub mode: Mode,
    pub train_ratio: f64,
    pub metric: String,
    pub model: String,
    pub seeds: Vec<SeedResult>,
    pub median_dev: f64,
    pub median_test: f64,
    pub median_train_sequences_per_second: f64,
}

pub struct Encodings {
    pub train: Encoded,
    pub dev: Encoded,
    pub test: Encoded,
}

fn write_inputs(dir: &Path, name: &str, e: &Encoded) -> Result<(), TrainerError> {
    let mut s = String::new();
    for i in 0..e.len() {
        let line = serde_json::json!({"ids": e.ids[i], "h": e.starts[2 * i],
            "t": e.starts[2 * i + 1], "label": e.labels[i]});
        s.push_str(&line.to_string());
        s.push('\n');
    }
    write_atomic(&dir.join(format!("{name}.jsonl")), &s)
}

/// Fine-tunes `model_dir` on `splits` for every seed of `cfg` into `out`.
pub fn run(
    cfg: &FinetuneConfig,
    splits: &Splits,
    model_dir: &Path,
    out: &Path,
    device: Device,
    progress: bool,
) -> Result<Summary, TrainerError> {
    std::fs::create_dir_all(out).map_err(io(out))?;
    run_dir::record_invocation(out, device)?;
    let config = serde_json::json!({"config": cfg, "model": model_dir.display().to_string(),
        "data": splits.provenance});
    write_atomic(&out.join("finetune.json"), &serde_json::to_string_pretty(&config).unwrap())?;
    write_atomic(&out.join("labels.json"), &serde_json::to_string_pretty(&splits.labels).unwrap())?;
    let tok = WordPieces::from_dir(model_dir)?;
    let markers = Markers::from_vocab(&tok)?;
    let info = HeadInfo {
        task: cfg.task,
        labels: splits.labels.clone(),
        mode: cfg.mode,
        max_len: cfg.max_len,
        types: splits.types.clone(),
    };
    let enc = |recs| encode_records(&tok, &markers, &info, recs, true);
    let data =
        Encodings { train: enc(&splits.train)?, dev: enc(&splits.dev)?, test: enc(&splits.test)? };
    let inputs = out.join("inputs");
    std::fs::create_dir_all(&inputs).map_err(io(&inputs))?;
    for (name, e) in [("train", &data.train), ("dev", &data.dev), ("test", &data.test)] {
        write_inputs(&inputs, name, e)?;
        if e.cut > 0 {
            eprintln!(
                "{name}: {} instance(s) lost a marker to truncation at {}",
                e.cut, cfg.max_len
            );
        }
    }
    let mut seeds = Vec::new();
    for &seed in &cfg.seeds {
        let dir = out.join(format!("seed-{seed}"));
        let done = dir.join("result.json");
        let result = match std::fs::read_to_string(&done) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|source| TrainerError::Json { path: done.clone(), source })?,
            Err(_) => {
                let _ = std::fs::remove_dir_all(&dir); // an unfinished seed starts over
                one_seed(cfg, &info, &data, &tok, model_dir, seed, &dir, device, progress)?
            }
        };
        if progress {
            eprintln!(
                "seed {seed}: best epoch {}, dev {:.4}, test {:.4} ({:.1} train seq/s)",
                result.best_epoch, result.dev, result.test, result.train_sequences_per_second
            );
        }
        seeds.push(result);
    }
    let col = |f: fn(&SeedResult) -> f64| median(&seeds.iter().map(f).collect::<Vec<_>>());
    let summary = Summary {
        task: cfg.task,
        mode: cfg.mode,
        train_ratio: cfg.train_ratio,
        metric: cfg.task.metric().into(),
        model: model_dir.display().to_string(),
        median_dev: col(|s| s.dev),
        median_test: col(|s| s.test),
        median_train_sequences_per_second: col(|s| s.train_sequences_per_second),
        seeds,
    };
    write_atomic(&out.join("results.json"), &serde_json::to_string_pretty(&summary).unwrap())?;
    Ok(summary)
}

#[allow(clippy::too_many_arguments)]
fn one_seed(
    cfg: &FinetuneConfig,
    info: &HeadInfo,
    data: &Encodings,
    tok: &WordPieces,
    model_dir: &Path,
    seed: u64,
    dir: &Path,
    device: Device,
    progress: bool,
) -> Result<SeedResult, TrainerError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    tch::manual_seed(seed as i64);
    let model = Classifier::new(model_dir, info.labels.len(), tok.pad_id(), device)?;
    let params = named_params(&model.bert.vs);
    let mut opt = AdamW::new(AdamWConfig {
        lr: cfg.lr,
        weight_decay: cfg.weight_decay,
        ..Default::default()
    });
    let n = data.train.len();
    let per_epoch = n.div_ceil(cfg.batch_size) as u64;
    let total = per_epoch * cfg.epochs as u64;
    let warmup = cfg.warmup_steps(total);
    let bar = if progress {
        indicatif::ProgressBar::new(total).with_style(
            indicatif::ProgressStyle::with_template(
                "seed {prefix} [{bar:30}] {pos}/{len} steps {msg} ({eta})",
            )
            .unwrap(),
        )
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_prefix(seed.to_string());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let (mut step, mut train_s, mut eval_s) = (0u64, 0.0, 0.0);
    let mut best = SeedResult {
        seed,
        best_epoch: 0,
        dev: -1.0,
        test: -1.0,
        train_sequences: 0,
        train_seconds: 0.0,
        train_sequences_per_second: 0.0,
        eval_seconds: 0.0,
    };
    let score = |e: &Encoded, pred: &[usize]| primary(cfg.task, &info.labels, &e.labels, pred);
    let mut snapshot: Option<Vec<Tensor>> = None;
    let mut trace = (cfg.trace_steps > 0).then(|| {
        let w = Vec::<Vec<f32>>::try_from(model.head.ws.to_device(Device::Cpu)).expect("weights");
        let b = model.head.bs.as_ref().expect("bias").to_device(Device::Cpu);
        serde_json::json!({"head_weight": w, "head_bias": Vec::<f32>::try_from(b).expect("bias"),
            "batches": [], "losses": []})
    });
    for epoch in 1..=cfg.epochs {
        let t = Instant::now();
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut rng);
        let mut loss_sum = 0.0;
        for rows in order.chunks(cfg.batch_size) {
            zero_grad(&params);
            let logits = model.logits(&data.train, rows, cfg.dropout);
            let gold: Vec<i64> = rows.iter().map(|&i| data.train.labels[i] as i64).collect();
            let loss =
                logits.cross_entropy_for_logits(&Tensor::from_slice(&gold).to_device(device));
            loss.backward();
            clip_grad_norm(&params, cfg.max_grad_norm);
            let lr = cfg.lr * linear_schedule(step as i64, warmup as i64, total as i64);
            opt.step(&params, lr);
            step += 1;
            let l = loss.double_value(&[]);
            loss_sum += l * rows.len() as f64;
            if let Some(t) = trace.as_mut().filter(|_| step as usize <= cfg.trace_steps) {
                t["batches"].as_array_mut().expect("list").push(rows.into());
                t["losses"].as_array_mut().expect("list").push(l.into());
            }
            bar.inc(1);
            bar.set_message(format!("epoch {epoch} loss {l:.4}"));
        }
        train_s += t.elapsed().as_secs_f64();
        best.train_sequences += n;
        let t = Instant::now();
        let (dev_pred, _) = model.predict(&data.dev, cfg.eval_batch);
        let dev = score(&data.dev, &dev_pred);
        if dev > best.dev {
            (best.dev, best.best_epoch) = (dev, epoch);
            // The best epoch's weights, kept in memory: test is scored once, at the end, on
            // exactly these (the original scores test at every dev improvement: same number).
            snapshot = Some(tch::no_grad(|| params.iter().map(|(_, p)| p.copy()).collect()));
        }
        eval_s += t.elapsed().as_secs_f64();
        let line = serde_json::json!({"epoch": epoch, "step": step,
            "train_loss": loss_sum / n.max(1) as f64, "dev": dev});
        run_dir::append_metrics(dir, &line)?;
    }
    bar.finish_and_clear();
    if let Some(t) = trace {
        write_atomic(&dir.join("trace.json"), &t.to_string())?;
    }
    let t = Instant::now();
    if let Some(saved) = snapshot {
        tch::no_grad(|| {
            for ((_, p), s) in params.iter().zip(&saved) {
                p.shallow_clone().copy_(s);
            }
        });
    }
    let (pred, prob) = model.predict(&data.test, cfg.eval_batch);
    best.test = score(&data.test, &pred);
    write_test_outputs(dir, info, &data.test, &pred, &prob)?;
    if cfg.save_model {
        model.save(info, model_dir, &dir.join("best"))?;
    }
    eval_s += t.elapsed().as_secs_f64();
    let line =
        serde_json::json!({"best_epoch": best.best_epoch, "dev": best.dev, "test": best.test});
    run_dir::append_metrics(dir, &line)?;
    best.train_seconds = train_s;
    best.train_sequences_per_second = best.train_sequences as f64 / train_s.max(1e-9);
    best.eval_seconds = eval_s;
    write_atomic(&dir.join("result.json"), &serde_json::to_string_pretty(&best).unwrap())?;
    Ok(best)
}

/// Test predictions at the best dev epoch: JSON lines with the score, gold/pred label files
/// that `trainer score` reads, per-relation P/R/F1 and the confusion matrix.
fn write_test_outputs(
    dir: &Path,
    info: &HeadInfo,
    test: &Encoded,
    pred: &[usize],
    prob: &[f64],
) -> Result<(), TrainerError> {
    let labels = &info.labels;
    let mut jsonl = String::new();
    for i in 0..pred.len() {
        let line = serde_json::json!({"index": i, "gold": labels[test.labels[i]],
            "label": labels[pred[i]], "score": prob[i]});
        jsonl.push_str(&line.to_string());
        jsonl.push('\n');
    }
    write_atomic(&dir.join("test_predictions.jsonl"), &jsonl)?;
    let (gold_file, pred_file): (String, String) = if info.task == Task::Semeval {
        let f = |v: &[usize]| {
            v.iter().enumerate().map(|(i, &l)| format!("{}\t{}\n", i + 1, labels[l])).collect()
        };
        (f(&test.labels), f(pred))
    } else {
        let f = |v: &[usize]| v.iter().map(|&l| format!("{}\n", labels[l])).collect();
        (f(&test.labels), f(pred))
    };
    write_atomic(&dir.join("test_gold.txt"), &gold_file)?;
    write_atomic(&dir.join("test_pred.txt"), &pred_file)?;
    let rows = per_relation(labels, &test.labels, pred);
    write_atomic(&dir.join("per_relation.tsv"), &per_relation_tsv(&rows))?;
    let m = confusion(labels.len(), &test.labels, pred);
    write_atomic(&dir.join("confusion.tsv"), &confusion_tsv(labels, &m))
}

/// The best seed's saved model in a fine-tuning run directory (highest dev score), or the
/// directory itself when it is a saved model.
pub fn resolve_finetuned(path: &Path) -> Result<PathBuf, TrainerError> {
    use super::model::HEAD_FILE;
    if path.join(HEAD_FILE).exists() {
        return Ok(path.to_path_buf());
    }
    if path.join("best").join(HEAD_FILE).exists() {
        return Ok(path.join("best"));
    }
    let results = path.join("results.json");
    let text = std::fs::read_to_string(&results).map_err(|_| TrainerError::Checkpoint {
        path: path.to_path_buf(),
        msg: "not a fine-tuned model, a seed directory or a finished fine-tuning run".into(),
    })?;
    let s: Summary = serde_json::from_str(&text)
        .map_err(|source| TrainerError::Json { path: results.clone(), source })?;
    let best = s
        .seeds
        .iter()
        .max_by(|a, b| a.dev.total_cmp(&b.dev))
        .ok_or_else(|| TrainerError::Checkpoint { path: results, msg: "no seeds".into() })?;
    let dir = path.join(format!("seed-{}", best.seed)).join("best");
    if dir.join(HEAD_FILE).exists() {
        Ok(dir)
    } else {
        Err(TrainerError::Checkpoint { path: dir, msg: "no saved model (--no-save?)".into() })
    }
}
