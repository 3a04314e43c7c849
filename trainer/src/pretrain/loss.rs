//! The two pre-training objectives besides MLM.
use tch::{Kind, Tensor};

/// CP's contrastive loss (NT-Xent with cosine similarity and temperature `tau`).
///
/// `reps`: [n, d] relation representations; `labels`: [n] relation ids. Every ordered pair
/// (i, j), i != j, with the same label is a positive; its denominator holds that pair plus the
/// anchor i's different-label examples only. The loss is the mean over ordered positive pairs;
/// a batch without positives, or whose anchors have no negatives, contributes 0.
pub fn nt_xent(reps: &Tensor, labels: &Tensor, tau: f64) -> Tensor {
    let n = reps.size()[0];
    let z = reps / reps.norm_scalaropt_dim(2.0, [1], true).clamp_min(1e-12);
    let sim = z.matmul(&z.transpose(0, 1)) / tau;
    let same = labels.unsqueeze(1).eq_tensor(&labels.unsqueeze(0));
    let eye = Tensor::eye(n, (Kind::Bool, reps.device()));
    let positive = same.logical_and(&eye.logical_not());
    let negative = same.logical_not();
    // log sum over each anchor's negatives (-inf where there is none).
    let neg_lse = sim.masked_fill(&negative.logical_not(), f64::NEG_INFINITY).logsumexp([1], true);
    // -log(e^s / (e^s + sum_neg e^s')) = logaddexp(s, neg_lse) - s
    let per_pair = sim.logaddexp(&neg_lse.expand_as(&sim)) - &sim;
    let count = positive.sum(sim.kind());
    let total = per_pair.masked_select(&positive).sum(sim.kind());
    // A batch without positive pairs: 0 (count clamped to avoid 0/0).
    total / count.clamp_min(1.0)
}

/// MTB's loss: binary cross-entropy on the dot product of the two representations of each
/// pair (`labels`: 1 for a same-entity-pair positive, 0 for a negative).
pub fn mtb_bce(left: &Tensor, right: &Tensor, labels: &Tensor) -> Tensor {
    let logits = (left * right).sum_dim_intlist([1].as_slice(), false, left.kind());
    logits.binary_cross_entropy_with_logits::<Tensor>(
        &labels.to_kind(left.kind()),
        None,
        None,
        tch::Reduction::Mean,
    )
}
