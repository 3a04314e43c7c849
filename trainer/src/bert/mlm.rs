//! BERT's masked-language-model head (`cls.predictions` in Hugging Face checkpoints):
//! dense -> activation -> LayerNorm -> decoder tied to the word embeddings, plus a bias.
//! Loaded from the checkpoint when it has one; otherwise freshly initialised (MiniLM ships
//! without it), as the issue and the original code do.
use std::collections::BTreeMap;

use tch::{nn, Kind, Tensor};

use super::config::BertConfig;
use super::model::{activation, linear_in, norm_fp32};
use crate::error::TrainerError;

/// Prefix of the head's variables, in the VarStore and in saved checkpoints.
pub const PREFIX: &str = "cls.predictions";

#[derive(Debug)]
pub struct MlmHead {
    dense: nn::Linear,
    norm: nn::LayerNorm,
    bias: Tensor,
    act: String,
}

impl MlmHead {
    /// Creates the head's variables under `cls.predictions` of `root`.
    pub fn new(root: &nn::Path, config: &BertConfig) -> Self {
        let p = root / "cls" / "predictions";
        let h = config.hidden_size;
        let init = nn::Init::Randn { mean: 0.0, stdev: config.initializer_range };
        let dense = nn::linear(
            &p / "transform" / "dense",
            h,
            h,
            nn::LinearConfig { ws_init: init, bs_init: Some(nn::Init::Const(0.0)), bias: true },
        );
        let norm = nn::layer_norm(
            &p / "transform" / "LayerNorm",
            vec![h],
            nn::LayerNormConfig { eps: config.layer_norm_eps, ..Default::default() },
        );
        let bias = p.var("bias", &[config.vocab_size], nn::Init::Const(0.0));
        MlmHead { dense, norm, bias, act: config.hidden_act.clone() }
    }

    /// Copies `cls.predictions.*` tensors of a checkpoint (the `extra` of
    /// [`load`](super::load)) into the head. Returns whether the checkpoint had a head.
    pub fn load_from(
        &self,
        vs: &nn::VarStore,
        extra: &BTreeMap<String, Tensor>,
    ) -> Result<bool, TrainerError> {
        let mut found = false;
        tch::no_grad(|| -> Result<(), TrainerError> {
            for (name, var) in vs.variables().iter_mut().filter(|(n, _)| n.starts_with(PREFIX)) {
                let file_name = name.replace(".LayerNorm.gamma", ".LayerNorm.weight");
                if let Some(t) =
                    extra.get(&file_name).or_else(|| extra.get(&format!("bert.{file_name}")))
                {
                    var.f_copy_(&t.to_kind(Kind::Float))?;
                    found = true;
                }
            }
            Ok(())
        })?;
        Ok(found)
    }

    /// Vocabulary logits [batch, seq, vocab] from last-layer states, with the decoder tied to
    /// `word_embeddings` [vocab, hidden].
    pub fn forward(&self, hidden: &Tensor, word_embeddings: &Tensor) -> Tensor {
        self.forward_in(hidden, word_embeddings, None)
    }

    /// [`forward`](Self::forward) with matrix products in `autocast` precision; the logits
    /// come back in fp32.
    pub fn forward_in(
        &self,
        hidden: &Tensor,
        word_embeddings: &Tensor,
        autocast: Option<Kind>,
    ) -> Tensor {
        let x = activation(&self.act, &linear_in(hidden, &self.dense, autocast));
        let x = norm_fp32(&x, &self.norm);
        let logits = match autocast {
            None => x.matmul(&word_embeddings.transpose(0, 1)),
            Some(k) => x.to_kind(k).matmul(&word_embeddings.to_kind(k).transpose(0, 1)),
        };
        logits.to_kind(Kind::Float) + &self.bias
    }
}

/// Mean cross-entropy over positions whose label is not -100 (0 when there is none, where
/// PyTorch's mean would be NaN).
pub fn mlm_loss(logits: &Tensor, labels: &Tensor) -> Tensor {
    if labels.ne(-100).any().int64_value(&[]) == 0 {
        return logits.sum(Kind::Float) * 0.0;
    }
    let v = logits.size()[logits.dim() - 1];
    logits.view([-1, v]).cross_entropy_loss::<Tensor>(
        &labels.view([-1]),
        None,
        tch::Reduction::Mean,
        -100,
        0.0,
    )
}
