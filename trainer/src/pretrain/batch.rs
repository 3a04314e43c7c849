//! Turning sampled rows into one micro-batch: blanking (seeded per sentence, or per sentence
//! and epoch), truncation, MLM masking, padding to the micro-batch's longest sequence.
//!
//! Every random draw is a pure function of (seed, row, epoch) or (seed, step, micro-batch),
//! so a resumed run sees exactly the inputs an uninterrupted run would.
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tch::{Device, Tensor};

use super::config::{BlankMode, PretrainConfig};
use super::input::{finish_ids, Markers};
use super::masking::{mask, MaskSpec, IGNORE};
use super::store::PieceStore;
use crate::bert::Batch;
use crate::error::TrainerError;
use crate::tokenize::pad_batch;

/// Token ids the batch builder needs.
#[derive(Debug, Clone)]
pub struct Vocab {
    pub markers: Markers,
    pub cls: i64,
    pub sep: i64,
    pub pad: i64,
    pub mask: i64,
    pub size: i64,
}

/// One micro-batch ready for the model.
pub struct MicroBatch {
    pub batch: Batch,
    /// [n, 2] positions of the head-start and tail-start markers.
    pub positions: Tensor,
    /// [n, seq] MLM labels (-100 where not chosen).
    pub mlm_labels: Tensor,
    /// Sentences whose truncation lost a start marker (its position falls back to [CLS]).
    pub lost_markers: usize,
}

pub(crate) fn mix(seed: u64, a: u64, b: u64) -> u64 {
    // SplitMix64 finalizer over the three inputs: distinct streams per (seed, a, b).
    let mut z =
        seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Whether the head and the tail of `row` are blanked in `epoch`.
pub fn blanking(config: &PretrainConfig, row: i64, epoch: u64) -> (bool, bool) {
    let epoch = match config.blank_mode {
        BlankMode::Static => u64::MAX,
        BlankMode::PerEpoch => epoch,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(mix(config.seed, row as u64, epoch));
    (rng.random::<f64>() < config.p_blank, rng.random::<f64>() < config.p_blank)
}

/// The RNG for MLM masking of micro-batch `micro` of optimizer step `step`.
pub fn masking_rng(seed: u64, step: u64, micro: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix(seed ^ 0x6D61_736B, step, micro))
}

/// Builds a micro-batch from `(row, epoch)` sentences, in order.
pub fn build(
    store: &PieceStore,
    rows: &[(i64, u64)],
    config: &PretrainConfig,
    vocab: &Vocab,
    rng: &mut impl Rng,
    device: Device,
) -> Result<MicroBatch, TrainerError> {
    let spec = MaskSpec {
        prob: config.mlm_prob,
        mask_id: vocab.mask,
        vocab_size: vocab.size,
        special: vec![vocab.cls, vocab.sep, vocab.pad],
    };
    let mut seqs = Vec::with_capacity(rows.len());
    let mut labels = Vec::with_capacity(rows.len());
    let mut positions = Vec::with_capacity(rows.len() * 2);
    let mut lost = 0;
    for &(row, epoch) in rows {
        let body = store.get(row)?;
        let (bh, bt) = blanking(config, row, epoch);
        let marked = if body.ids.is_empty() {
            // A row the store could not encode: [CLS] [SEP], counted as lost.
            super::input::Marked {
                ids: vec![vocab.cls, vocab.sep],
                head_start: None,
                tail_start: None,
            }
        } else {
            finish_ids(
                vocab.cls,
                vocab.sep,
                &vocab.markers,
                &body,
                bh,
                bt,
                config.max_len,
                config.truncation,
            )
        };
        if marked.head_start.is_none() || marked.tail_start.is_none() {
            lost += 1;
        }
        let (h, t) = (marked.head_start.unwrap_or(0), marked.tail_start.unwrap_or(0));
        let mut ids = marked.ids;
        let protected: Vec<usize> =
            [marked.head_start, marked.tail_start].into_iter().flatten().collect();
        labels.push(mask(&mut ids, &protected, &spec, rng));
        positions.extend([h as i64, t as i64]);
        seqs.push(ids);
    }
    let batch = pad_batch(&seqs, vocab.pad, device);
    let width = batch.input_ids.size()[1] as usize;
    let flat: Vec<i64> = labels
        .into_iter()
        .flat_map(|mut l| {
            l.resize(width, IGNORE);
            l
        })
        .collect();
    let mlm_labels =
        Tensor::from_slice(&flat).view([rows.len() as i64, width as i64]).to_device(device);
    let positions = Tensor::from_slice(&positions).view([rows.len() as i64, 2]).to_device(device);
    Ok(MicroBatch { batch, positions, mlm_labels, lost_markers: lost })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanking_rate_matches_p_blank_and_static_ignores_the_epoch() {
        let c = PretrainConfig::default();
        let n = 20_000;
        let blanked: usize = (0..n)
            .map(|r| {
                let (h, t) = blanking(&c, r, 0);
                h as usize + t as usize
            })
            .sum();
        let rate = blanked as f64 / (2 * n) as f64;
        assert!((rate - 0.7).abs() < 0.01, "{rate}");
        assert!((0..100).all(|r| blanking(&c, r, 0) == blanking(&c, r, 5)));
        let per = PretrainConfig { blank_mode: BlankMode::PerEpoch, ..c };
        assert!((0..100).any(|r| blanking(&per, r, 0) != blanking(&per, r, 5)));
    }
}
