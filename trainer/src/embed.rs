//! Sentence embeddings (mean pooling + L2 normalisation, as sentence-transformers does) and
//! their cosine matrix: the `trainer embed` command and the encoder's numerical check.
use tch::{Device, Tensor};

use crate::bert::{mean_pool, BertModel};
use crate::error::TrainerError;
use crate::tokenize::WordPieces;

/// Embeds sentences in one padded batch, cut at the model's maximum length.
/// Returns [n, hidden] fp32 embeddings, L2-normalised, on the CPU.
pub fn embed(
    model: &BertModel,
    tok: &WordPieces,
    sentences: &[&str],
    device: Device,
) -> Result<Tensor, TrainerError> {
    let max_len = model.config().max_position_embeddings as usize;
    let seqs = sentences.iter().map(|s| tok.encode(s, max_len)).collect::<Result<Vec<_>, _>>()?;
    let batch = tok.pad(&seqs, device);
    let pooled = tch::no_grad(|| mean_pool(&model.forward(&batch, false), &batch.attention_mask));
    let norm = pooled.norm_scalaropt_dim(2.0, [1], true).clamp_min(1e-12);
    Ok((pooled / norm).to_device(Device::Cpu))
}

/// Pairwise cosine similarities of L2-normalised embeddings: [n, n].
pub fn cosine_matrix(normalised: &Tensor) -> Tensor {
    normalised.matmul(&normalised.transpose(0, 1))
}
