//! Few-shot training of the encoder on episodes of a training file (the paper: lr 2e-5,
//! 4 episodes per batch, max length 128, 10,000 iterations), validating with a frozen,
//! cached evaluation every `val_every` iterations and keeping the best checkpoint in
//! `RUN_DIR/best/` (a Hugging Face BERT directory).
use std::path::{Path, PathBuf};

use tch::{Device, Tensor};

use super::data::{FewRel, Instance};
use super::episode::episodes;
use super::eval::{eval_cached, Encoder};
use super::proto::{logits, Distance};
use crate::bert;
use crate::error::{io, TrainerError};
use crate::optim::{clip_grad_norm, linear_schedule, named_params, zero_grad, AdamW, AdamWConfig};
use crate::pretrain::input::Markers;
use crate::run_dir;
use crate::tokenize::WordPieces;

#[derive(Debug, Clone, serde::Serialize)]
pub struct FewshotTrain {
    pub n: usize,
    pub k: usize,
    pub q: usize,
    pub iterations: usize,
    pub episodes_per_batch: usize,
    pub lr: f64,
    pub max_len: usize,
    pub val_every: usize,
    pub val_episodes: usize,
    pub seed: u64,
    pub distance: Distance,
}

/// Best validation accuracy and where its checkpoint is.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrainSummary {
    pub best_val_accuracy: f64,
    pub best_iteration: usize,
    pub best: PathBuf,
}

pub fn train(
    model_dir: &Path,
    train: &FewRel,
    val: &FewRel,
    cfg: &FewshotTrain,
    out: &Path,
    device: Device,
    progress: bool,
) -> Result<TrainSummary, TrainerError> {
    std::fs::create_dir_all(out).map_err(io(out))?;
    run_dir::record_invocation(out, device)?;
    run_dir::write_atomic(
        &out.join("fewshot-train.json"),
        &serde_json::to_string_pretty(cfg).unwrap(),
    )?;
    let tok = WordPieces::from_dir(model_dir)?;
    let markers = Markers::from_vocab(&tok)?;
    tch::manual_seed(cfg.seed as i64);
    let loaded = bert::load(model_dir, device)?;
    let params = named_params(&loaded.vs);
    let mut opt = AdamW::new(AdamWConfig { lr: cfg.lr, weight_decay: 0.01, ..Default::default() });
    let enc = Encoder { model: &loaded.model, tok: &tok, markers, max_len: cfg.max_len, device };
    let fail = |what: &str| {
        let path = PathBuf::from(what);
        move |msg: String| TrainerError::Data { path, msg }
    };
    let eps = episodes(
        &train.sizes(),
        cfg.n,
        cfg.k,
        cfg.q,
        cfg.iterations * cfg.episodes_per_batch,
        cfg.seed,
    )
    .map_err(fail("training file"))?;
    let val_eps =
        episodes(&val.sizes(), cfg.n, cfg.k, cfg.q, cfg.val_episodes, cfg.seed ^ 0x0076_616c)
            .map_err(fail("validation file"))?;
    let best = out.join("best");
    let mut summary =
        TrainSummary { best_val_accuracy: -1.0, best_iteration: 0, best: best.clone() };
    let bar = if progress {
        indicatif::ProgressBar::new(cfg.iterations as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    for (it, batch) in eps.chunks(cfg.episodes_per_batch).enumerate() {
        zero_grad(&params);
        let mut total = 0.0;
        for ep in batch {
            let items: Vec<&Instance> = ep
                .support
                .iter()
                .copied()
                .chain(ep.query.iter().map(|&(r, _)| r))
                .map(|(r, i)| &train.instances[r][i])
                .collect();
            let reps = enc.encode(&items, None, true)?;
            let ns = ep.support.len() as i64;
            let (s, q) = (reps.narrow(0, 0, ns), reps.narrow(0, ns, reps.size()[0] - ns));
            let lg = logits(&s, &q, cfg.n as i64, cfg.k as i64, cfg.distance);
            let gold: Vec<i64> = ep.query.iter().map(|&(_, c)| c as i64).collect();
            let loss = lg.cross_entropy_for_logits(&Tensor::from_slice(&gold).to_device(device))
                / batch.len() as f64;
            loss.backward();
            total += loss.double_value(&[]);
        }
        clip_grad_norm(&params, 1.0);
        let lr = cfg.lr * linear_schedule(it as i64, 0, cfg.iterations as i64);
        opt.step(&params, lr);
        bar.inc(1);
        bar.set_message(format!("loss {total:.4}"));
        let mut line = serde_json::json!({"iteration": it + 1, "loss": total, "lr": lr});
        if (it + 1) % cfg.val_every.max(1) == 0 || it + 1 == cfg.iterations {
            let reps = enc.encode_all(val, 64)?;
            let acc = eval_cached(&reps, &val_eps, cfg.k, cfg.distance).accuracy;
            line["val_accuracy"] = acc.into();
            if acc > summary.best_val_accuracy {
                summary.best_val_accuracy = acc;
                summary.best_iteration = it + 1;
                let tmp = out.join("best.partial");
                let _ = std::fs::remove_dir_all(&tmp);
                bert::save(&loaded.vs, &loaded.config, &[], &tmp)?;
                run_dir::copy_tokenizer(model_dir, &tmp)?;
                let _ = std::fs::remove_dir_all(&best);
                std::fs::rename(&tmp, &best).map_err(io(&best))?;
            }
        }
        run_dir::append_metrics(out, &line)?;
    }
    bar.finish_and_clear();
    Ok(summary)
}
