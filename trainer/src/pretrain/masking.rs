//! MLM masking as in BERT and the original CP code: each eligible token is chosen with
//! probability `prob` (15%); a chosen token becomes `[MASK]` 80% of the time, a random
//! vocabulary token 10%, and stays 10%. `[CLS]`, `[SEP]`, padding and the two start markers
//! are never chosen. Labels are the original ids at chosen positions and -100 elsewhere
//! (PyTorch's ignore index).
use rand::Rng;

pub const IGNORE: i64 = -100;

pub struct MaskSpec {
    pub prob: f64,
    pub mask_id: i64,
    pub vocab_size: i64,
    /// Ids never chosen ([CLS], [SEP], [PAD]).
    pub special: Vec<i64>,
}

/// Masks `ids` in place; `protected` are positions never chosen (the start markers).
/// Returns the labels.
pub fn mask(ids: &mut [i64], protected: &[usize], spec: &MaskSpec, rng: &mut impl Rng) -> Vec<i64> {
    let mut labels = vec![IGNORE; ids.len()];
    for (i, id) in ids.iter_mut().enumerate() {
        if spec.special.contains(id) || protected.contains(&i) {
            continue;
        }
        if rng.random::<f64>() >= spec.prob {
            continue;
        }
        labels[i] = *id;
        let r: f64 = rng.random();
        if r < 0.8 {
            *id = spec.mask_id;
        } else if r < 0.9 {
            *id = rng.random_range(0..spec.vocab_size);
        }
    }
    labels
}
