//! Episode evaluation. With a frozen encoder every instance is encoded once and the episodes
//! are computed from those cached representations; the toolkit's way re-encodes the support
//! and query sentences of every episode. Both give the same predictions (tested), the cached
//! one at a fraction of the cost (`trainer fewshot eval` times both).
use tch::{Device, Kind, Tensor};

use super::data::{FewRel, Instance};
use super::episode::Episode;
use super::proto::{logits, Distance};
use crate::bert::{encode_marked, BertModel};
use crate::error::TrainerError;
use crate::pretrain::input::{encode, Markers, Truncation};
use crate::tokenize::WordPieces;

/// The entity-marker encoder: concatenated head-start and tail-start states.
pub struct Encoder<'a> {
    pub model: &'a BertModel,
    pub tok: &'a WordPieces,
    pub markers: Markers,
    pub max_len: usize,
    pub device: Device,
}

impl Encoder<'_> {
    /// [n, 2 * hidden] representations, each sequence padded to `width` (the toolkit pads
    /// to max_len) or, with `None`, to the longest of the batch.
    pub fn encode(
        &self,
        items: &[&Instance],
        width: Option<usize>,
        train: bool,
    ) -> Result<Tensor, TrainerError> {
        let (seqs, pos) = self.ids(items)?;
        let (pad, width) = (self.tok.pad_id(), width.unwrap_or(0));
        Ok(encode_marked(self.model, &seqs, &pos, pad, width, self.device, train))
    }

    /// Marked word-piece ids and the start-marker positions of each instance.
    fn ids(&self, items: &[&Instance]) -> Result<(Vec<Vec<i64>>, Vec<i64>), TrainerError> {
        let mut seqs = Vec::with_capacity(items.len());
        let mut pos = Vec::with_capacity(items.len() * 2);
        for x in items {
            let m = encode(
                self.tok,
                &self.markers,
                &x.tokens,
                x.head,
                x.tail,
                false,
                false,
                self.max_len,
                Truncation::Window,
            )?;
            pos.extend([m.head_start.unwrap_or(0) as i64, m.tail_start.unwrap_or(0) as i64]);
            seqs.push(m.ids);
        }
        Ok((seqs, pos))
    }

    /// Every instance of `data`, per relation, without gradients: sorted by length and
    /// encoded `batch` at a time, each batch padded only to its longest sequence (the
    /// cheapest way to encode a file once).
    pub fn encode_all(&self, data: &FewRel, batch: usize) -> Result<Vec<Tensor>, TrainerError> {
        let all: Vec<(usize, usize)> = data
            .instances
            .iter()
            .enumerate()
            .flat_map(|(r, list)| (0..list.len()).map(move |i| (r, i)))
            .collect();
        let items: Vec<&Instance> = all.iter().map(|&(r, i)| &data.instances[r][i]).collect();
        let (seqs, _) = self.ids(&items)?;
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by_key(|&j| seqs[j].len());
        let mut reps: Vec<Option<Tensor>> = (0..items.len()).map(|_| None).collect();
        tch::no_grad(|| -> Result<(), TrainerError> {
            for chunk in order.chunks(batch.max(1)) {
                let part: Vec<&Instance> = chunk.iter().map(|&j| items[j]).collect();
                let out = self.encode(&part, None, false)?;
                for (row, &j) in chunk.iter().enumerate() {
                    reps[j] = Some(out.get(row as i64));
                }
            }
            Ok(())
        })?;
        let mut reps = reps.into_iter().map(|t| t.expect("every instance encoded"));
        Ok(data
            .instances
            .iter()
            .map(|list| {
                let rows: Vec<Tensor> = reps.by_ref().take(list.len()).collect();
                Tensor::stack(&rows, 0)
            })
            .collect())
    }
}

/// Accuracy over episodes with its 95% confidence interval (normal approximation over the
/// per-episode accuracies).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EvalResult {
    pub episodes: usize,
    pub accuracy: f64,
    pub ci95: f64,
    #[serde(skip)]
    pub per_episode: Vec<f64>,
}

impl EvalResult {
    pub fn from_episodes(per_episode: Vec<f64>) -> Self {
        let n = per_episode.len() as f64;
        let mean = per_episode.iter().sum::<f64>() / n.max(1.0);
        let var = per_episode.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        EvalResult {
            episodes: per_episode.len(),
            accuracy: mean,
            ci95: 1.96 * (var / n.max(1.0)).sqrt(),
            per_episode,
        }
    }
}

/// Share of an episode's queries predicted right from support/query representations.
pub fn episode_accuracy(
    support: &Tensor,
    query: &Tensor,
    ep: &Episode,
    k: usize,
    distance: Distance,
) -> f64 {
    let n = ep.relations.len() as i64;
    let pred = logits(support, query, n, k as i64, distance).argmax(1, false);
    let gold: Vec<i64> = ep.query.iter().map(|&(_, c)| c as i64).collect();
    let gold = Tensor::from_slice(&gold).to_device(pred.device());
    pred.eq_tensor(&gold).to_kind(Kind::Double).mean(Kind::Double).double_value(&[])
}

/// Evaluation from cached representations (`reps[relation]`: [size, d]).
pub fn eval_cached(
    reps: &[Tensor],
    episodes: &[Episode],
    k: usize,
    distance: Distance,
) -> EvalResult {
    let pick = |refs: &mut dyn Iterator<Item = (usize, usize)>| {
        let rows: Vec<Tensor> = refs.map(|(r, i)| reps[r].get(i as i64)).collect();
        Tensor::stack(&rows, 0)
    };
    let per = episodes
        .iter()
        .map(|ep| {
            let s = pick(&mut ep.support.iter().copied());
            let q = pick(&mut ep.query.iter().map(|&(r, _)| r));
            episode_accuracy(&s, &q, ep, k, distance)
        })
        .collect();
    EvalResult::from_episodes(per)
}

/// Evaluation that encodes each episode's sentences anew, padded to max_len (the FewRel
/// toolkit's way).
pub fn eval_reencode(
    enc: &Encoder,
    data: &FewRel,
    episodes: &[Episode],
    k: usize,
    distance: Distance,
) -> Result<EvalResult, TrainerError> {
    let mut per = Vec::with_capacity(episodes.len());
    for ep in episodes {
        let s: Vec<&Instance> = ep.support.iter().map(|&(r, i)| &data.instances[r][i]).collect();
        let q: Vec<&Instance> = ep.query.iter().map(|&((r, i), _)| &data.instances[r][i]).collect();
        let (s, q) = tch::no_grad(|| -> Result<_, TrainerError> {
            let w = Some(enc.max_len);
            Ok((enc.encode(&s, w, false)?, enc.encode(&q, w, false)?))
        })?;
        per.push(episode_accuracy(&s, &q, ep, k, distance));
    }
    Ok(EvalResult::from_episodes(per))
}

/// The frozen-encoder evaluation of `episodes` from cached representations `reps` (which
/// took `encode_s` seconds to compute), plus the toolkit's re-encoding on the first
/// `reencode` episodes: their predictions must agree, and the time per episode of each gives
/// the speed-up (the cached time includes encoding the whole file once). Also returns the
/// cached evaluation's per-episode accuracies, so that two models evaluated on the same
/// episodes can be compared pair by pair.
#[allow(clippy::too_many_arguments)]
pub fn frozen_report(
    enc: &Encoder,
    data: &FewRel,
    reps: &[Tensor],
    encode_s: f64,
    episodes: &[Episode],
    k: usize,
    distance: Distance,
    reencode: usize,
) -> Result<(serde_json::Value, Vec<f64>), TrainerError> {
    let t = std::time::Instant::now();
    let cached = eval_cached(reps, episodes, k, distance);
    let cached_s = encode_s + t.elapsed().as_secs_f64();
    let sub = &episodes[..reencode.min(episodes.len())];
    let mut out = serde_json::json!({
        "episodes": cached.episodes,
        "accuracy": cached.accuracy,
        "ci95": cached.ci95,
        "cached_seconds": cached_s,
        "cached_encode_seconds": encode_s,
        "instances_encoded_once": data.instances.iter().map(Vec::len).sum::<usize>(),
        "multi_span_mentions": data.multi_span_mentions,
    });
    if !sub.is_empty() {
        let t = std::time::Instant::now();
        let re = eval_reencode(enc, data, sub, k, distance)?;
        let per_episode = t.elapsed().as_secs_f64() / sub.len() as f64;
        let estimated = per_episode * episodes.len() as f64;
        out["reencode_checked_episodes"] = sub.len().into();
        out["reencode_same_accuracies"] =
            (re.per_episode == cached.per_episode[..sub.len()]).into();
        out["reencode_seconds_per_episode"] = per_episode.into();
        out["reencode_estimated_seconds"] = estimated.into();
        out["speedup_cached_vs_reencode"] = (estimated / cached_s).into();
    }
    Ok((out, cached.per_episode))
}
