//! The pre-training loop: epoch samplers over the scope tables, micro-batches read from the
//! piece store, gradient accumulation up to the configured pairs per step, AdamW with
//! warm-up/decay and clipping, metrics, checkpoints, resume and interruption.
//!
//! Determinism: the data order is a function of (seed, epoch); blanking of (seed, row[,
//! epoch]); masking of (seed, step, micro-batch); dropout is reseeded at every step from
//! (seed, step). The state file therefore needs only the step and the sampler's position, and
//! a resumed run computes exactly what an uninterrupted one does.
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tch::{Device, Kind, Tensor};

use super::batch::{self, MicroBatch, Vocab};
use super::config::{Method, PretrainConfig};
use super::input::Markers;
use super::loss::{mtb_bce, nt_xent};
use super::sampler::{cp_epoch, mtb_epoch};
use super::scopes;
use super::store::PieceStore;
use crate::bert::mlm::MlmHead;
use crate::bert::{self, entity_start_states, BertModel};
use crate::error::{io, TrainerError};
use crate::optim::{clip_grad_norm, linear_schedule, named_params, zero_grad, AdamW, AdamWConfig};
use crate::run_dir;
use crate::tokenize::WordPieces;

/// Where the inputs are and where the run goes.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunPaths {
    /// Dataset directory (relation_instances.parquet, relations.parquet, pairs.parquet).
    pub data: PathBuf,
    /// The starting model (a Hugging Face BERT directory).
    pub model: PathBuf,
    pub out: PathBuf,
}

/// Options of one invocation that are not part of the configuration.
pub struct RunOptions {
    pub device: Device,
    pub resume: bool,
    /// Stop (with a checkpoint) once this step is reached, before `config.steps`.
    pub stop_at: Option<u64>,
    pub progress: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Finished { step: u64 },
    Stopped { step: u64 },
    Interrupted { step: u64 },
}

/// The resume point saved next to each checkpoint.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TrainState {
    pub step: u64,
    pub epoch: u64,
    pub index: usize,
    pub seed: u64,
    /// How the random streams are derived (nothing else needs saving).
    pub rng: String,
}

/// A sampler position over epochs of items built by a seeded function of the epoch.
struct Cursor<T> {
    epoch: u64,
    index: usize,
    items: Vec<T>,
    make: Box<dyn Fn(u64) -> Vec<T>>,
}

impl<T: Copy> Cursor<T> {
    fn new(epoch: u64, index: usize, make: Box<dyn Fn(u64) -> Vec<T>>) -> Self {
        let items = make(epoch);
        Cursor { epoch, index, items, make }
    }

    /// The next `n` items with the epoch each was drawn in.
    fn take(&mut self, n: usize) -> Result<Vec<(T, u64)>, String> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            if self.index >= self.items.len() {
                self.epoch += 1;
                self.index = 0;
                self.items = (self.make)(self.epoch);
                if self.items.is_empty() {
                    return Err("the dataset yields no training pairs".into());
                }
            }
            out.push((self.items[self.index], self.epoch));
            self.index += 1;
        }
        Ok(out)
    }
}

/// A training pair: two rows and the label (relation index for CP, 1/0 for MTB).
#[derive(Debug, Clone, Copy)]
struct Pair {
    a: i64,
    b: i64,
    label: i64,
}

/// Reads the configuration and paths a run directory was started with.
pub fn saved_run(out: &Path) -> Option<(PretrainConfig, RunPaths)> {
    let config = PretrainConfig::from_file(&out.join("config.toml")).ok()?;
    let paths = std::fs::read_to_string(out.join("run.json")).ok()?;
    Some((config, serde_json::from_str(&paths).ok()?))
}

fn progress_bar(len: u64, show: bool, what: &str) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    let style = indicatif::ProgressStyle::with_template(&format!(
        "{what} {{bar:30}} {{pos}}/{{len}} {{msg}} [{{elapsed_precise}} ETA {{eta_precise}}]"
    ))
    .expect("static template");
    bar.set_style(style);
    bar
}

/// Runs (or resumes) pre-training. `stop` is polled after every optimizer step (Ctrl-C).
pub fn run(
    config: &PretrainConfig,
    paths: &RunPaths,
    opts: &RunOptions,
    stop: &AtomicBool,
) -> Result<Outcome, TrainerError> {
    let out = &paths.out;
    let origin = out.join("config.toml");
    config.validate(&origin)?;
    let existing = run_dir::checkpoints(out);
    if !opts.resume && !existing.is_empty() {
        return Err(TrainerError::Config {
            path: out.clone(),
            msg: "this run directory already has checkpoints: pass --resume to continue it, \
                  or choose another --out"
                .into(),
        });
    }
    std::fs::create_dir_all(out).map_err(io(out))?;
    run_dir::write_atomic(&origin, &config.to_toml())?;
    run_dir::write_atomic(&out.join("run.json"), &serde_json::to_string_pretty(paths).unwrap())?;
    run_dir::record_invocation(out, opts.device)?;

    let resume_from = if opts.resume { existing.last().cloned() } else { None };
    let model_dir = resume_from.as_ref().map_or(paths.model.clone(), |(_, p)| p.clone());
    let tok = WordPieces::from_dir(&model_dir)?;
    let markers = Markers::from_vocab(&tok)?;
    let vocab = Vocab {
        markers,
        cls: tok.cls_id(),
        sep: tok.sep_id(),
        pad: tok.pad_id(),
        mask: tok.token_id("[MASK]").ok_or_else(|| TrainerError::Tokenizer {
            path: model_dir.clone(),
            msg: "vocabulary has no [MASK]".into(),
        })?,
        size: tok.vocab_size() as i64,
    };

    let sentences = schemas::tables::RELATION_INSTANCES.path_in(&paths.data);
    let bar = progress_bar(0, opts.progress, "encoding sentences");
    let store = PieceStore::open_or_build(
        &out.join("pieces"),
        &sentences,
        &model_dir,
        &tok,
        &markers,
        |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
    )?;
    bar.finish_and_clear();

    let state: Option<TrainState> = match &resume_from {
        Some((_, dir)) => {
            let p = dir.join("state.json");
            let text = std::fs::read_to_string(&p).map_err(io(&p))?;
            Some(
                serde_json::from_str(&text)
                    .map_err(|source| TrainerError::Json { path: p, source })?,
            )
        }
        None => None,
    };
    let (epoch, index) = state.as_ref().map_or((0, 0), |s| (s.epoch, s.index));
    let seed = config.seed;
    let mut cursor: Cursor<Pair> = match config.method {
        Method::Cp => {
            let rels = scopes::relations(&paths.data)?;
            let scopes: Vec<_> = rels.iter().map(|r| r.scope).collect();
            Cursor::new(
                epoch,
                index,
                Box::new(move |e| {
                    cp_epoch(&scopes, seed, e)
                        .into_iter()
                        .map(|p| Pair { a: p.a, b: p.b, label: p.relation as i64 })
                        .collect()
                }),
            )
        }
        Method::Mtb => {
            let bags = scopes::bags(&paths.data)?;
            let cap = config.mtb_max_per_pair;
            Cursor::new(
                epoch,
                index,
                Box::new(move |e| {
                    mtb_epoch(&bags, cap, seed, e)
                        .into_iter()
                        .map(|p| Pair { a: p.a, b: p.b, label: i64::from(p.positive) })
                        .collect()
                }),
            )
        }
    };
    if cursor.items.is_empty() {
        let why = match config.method {
            Method::Cp => "CP needs relations with at least 2 sentences",
            Method::Mtb => {
                "MTB needs entity pairs mentioned in at least 2 sentences (pairs.parquet bags \
                 with row_end - row_start >= 2), and this dataset has none"
            }
        };
        return Err(TrainerError::Data {
            path: paths.data.clone(),
            msg: format!("no {:?} training pairs: {why}", config.method),
        });
    }

    let device = opts.device;
    tch::manual_seed(batch::mix(seed, 0x6865_6164, 0) as i64); // the fresh MLM head
    let mut loaded = bert::load(&model_dir, device)?;
    let head = MlmHead::new(&loaded.vs.root(), &loaded.config);
    head.load_from(&loaded.vs, &loaded.extra)?;
    loaded.model.set_autocast(config.precision.autocast(device));
    let params = named_params(&loaded.vs);
    let adamw =
        AdamWConfig { lr: config.lr, weight_decay: config.weight_decay, ..Default::default() };
    let mut opt = match &resume_from {
        Some((_, dir)) => AdamW::load(adamw, dir, device)?,
        None => AdamW::new(adamw),
    };

    let mut step = state.as_ref().map_or(0, |s| s.step);
    let end = opts.stop_at.map_or(config.steps, |s| s.min(config.steps));
    let pairs_per_step = config.pairs_per_step();
    let bar = progress_bar(config.steps, opts.progress, "steps");
    bar.set_position(step);
    let started = Instant::now();
    let save = |step: u64, cursor: &Cursor<Pair>, opt: &AdamW| -> Result<(), TrainerError> {
        let st = TrainState {
            step,
            epoch: cursor.epoch,
            index: cursor.index,
            seed,
            rng: "derived from (seed, epoch/step/row); dropout reseeded each step".into(),
        };
        save_checkpoint(out, &model_dir, &loaded, opt, &st, config.keep_checkpoints)
    };
    let mut outcome = Outcome::Finished { step };
    while step < end {
        let t0 = Instant::now();
        let pairs = cursor
            .take(pairs_per_step)
            .map_err(|msg| TrainerError::Data { path: paths.data.clone(), msg })?;
        tch::manual_seed(batch::mix(seed, step, 0x6472_6f70) as i64);
        zero_grad(&params);
        let micro = config.micro_batch;
        let n_micro = pairs.len().div_ceil(micro);
        let (mut main_sum, mut mlm_sum, mut lost) = (0.0, 0.0, 0usize);
        for (m, chunk) in pairs.chunks(micro).enumerate() {
            let rows: Vec<(i64, u64)> =
                chunk.iter().flat_map(|(p, e)| [(p.a, *e), (p.b, *e)]).collect();
            let mut rng = batch::masking_rng(seed, step, m as u64);
            let mb = batch::build(&store, &rows, config, &vocab, &mut rng, device)?;
            let labels: Vec<i64> = chunk.iter().map(|(p, _)| p.label).collect();
            let (main, mlm) = losses(config, &loaded.model, &head, &mb, &labels, device);
            // Weight 0 leaves the objective out of the graph (0 * a non-finite loss is NaN).
            let loss = if config.objective_weight == 0.0 {
                &mlm / n_micro as f64
            } else {
                (&main * config.objective_weight + &mlm) / n_micro as f64
            };
            loss.backward();
            main_sum += main.double_value(&[]);
            mlm_sum += mlm.double_value(&[]);
            lost += mb.lost_markers;
        }
        let grad_norm = clip_grad_norm(&params, config.max_grad_norm);
        let lr = config.lr
            * linear_schedule(step as i64, config.warmup_steps as i64, config.steps as i64);
        opt.step(&params, lr);
        step += 1;
        let secs = t0.elapsed().as_secs_f64();
        let (main_loss, mlm_loss) = (main_sum / n_micro as f64, mlm_sum / n_micro as f64);
        let total = config.objective_weight * main_loss + mlm_loss;
        let main_key = match config.method {
            Method::Cp => "cp_loss",
            Method::Mtb => "mtb_loss",
        };
        let mut line = serde_json::json!({
            "step": step,
            "epoch": cursor.epoch,
            "loss": total,
            "mlm_loss": mlm_loss,
            "lr": lr,
            "grad_norm": grad_norm,
            "seqs_per_s": (2 * pairs.len()) as f64 / secs,
            "lost_markers": lost,
            "elapsed_s": started.elapsed().as_secs_f64(),
        });
        line[main_key] = main_loss.into();
        run_dir::append_metrics(out, &line)?;
        bar.set_position(step);
        bar.set_message(format!("loss {total:.4} ({main_key} {main_loss:.4})"));
        let interrupted = stop.load(Ordering::SeqCst);
        if step.is_multiple_of(config.checkpoint_every.max(1)) || step == end || interrupted {
            save(step, &cursor, &opt)?;
        }
        if interrupted {
            outcome = Outcome::Interrupted { step };
            break;
        }
        outcome = if step == config.steps {
            Outcome::Finished { step }
        } else {
            Outcome::Stopped { step }
        };
    }
    bar.finish_and_clear();
    if run_dir::checkpoints(out).last().map(|(s, _)| *s) != Some(step) {
        save(step, &cursor, &opt)?;
    }
    Ok(outcome)
}

/// The method's loss and the MLM loss of one micro-batch (both scalar fp32 tensors).
/// `labels`: one per pair (relation index for CP, 1/0 for MTB); the micro-batch holds the
/// pairs' two sentences in turn.
pub fn losses(
    config: &PretrainConfig,
    model: &BertModel,
    head: &MlmHead,
    mb: &MicroBatch,
    labels: &[i64],
    device: Device,
) -> (Tensor, Tensor) {
    let hidden = model.forward(&mb.batch, true);
    let reps = entity_start_states(&hidden, &mb.positions);
    let n = reps.size()[0];
    let main = match config.method {
        Method::Cp => {
            // Both sentences of a pair carry the pair's relation.
            let per_sentence: Vec<i64> = labels.iter().flat_map(|&l| [l, l]).collect();
            nt_xent(&reps, &Tensor::from_slice(&per_sentence).to_device(device), config.temperature)
        }
        Method::Mtb => {
            let left = reps.slice(0, 0, n, 2);
            let right = reps.slice(0, 1, n, 2);
            mtb_bce(&left, &right, &Tensor::from_slice(labels).to_device(device))
        }
    };
    // Vocabulary logits only where a token was chosen: the same loss as projecting every
    // position, at a fraction of the cost.
    let h = hidden.size()[2];
    let chosen = mb.mlm_labels.ne(super::masking::IGNORE).view([-1]);
    let states = hidden.view([-1, h]).index_select(0, &chosen.nonzero().view([-1]));
    let targets = mb.mlm_labels.view([-1]).masked_select(&chosen);
    let mlm = if targets.size()[0] == 0 {
        hidden.sum(Kind::Float) * 0.0
    } else {
        let logits = head.forward_in(&states, model.word_embeddings(), model.autocast());
        logits.cross_entropy_for_logits(&targets)
    };
    (main, mlm)
}

fn save_checkpoint(
    out: &Path,
    model_dir: &Path,
    loaded: &bert::LoadedBert,
    opt: &AdamW,
    state: &TrainState,
    keep: usize,
) -> Result<(), TrainerError> {
    let root = out.join(run_dir::CHECKPOINTS);
    let dir = root.join(format!("step-{:06}", state.step));
    let tmp = root.join(format!("step-{:06}.partial", state.step));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    bert::save(&loaded.vs, &loaded.config, &[], &tmp)?;
    run_dir::copy_tokenizer(model_dir, &tmp)?;
    opt.save(&tmp)?;
    run_dir::write_atomic(&tmp.join("state.json"), &serde_json::to_string_pretty(state).unwrap())?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&tmp, &dir).map_err(io(&dir))?;
    if keep > 0 {
        let all = run_dir::checkpoints(out);
        for (_, old) in all.iter().take(all.len().saturating_sub(keep)) {
            let _ = std::fs::remove_dir_all(old);
        }
    }
    Ok(())
}
