//! The BERT encoder (Devlin et al. 2019) on `tch::nn`, numerically the same as
//! `transformers.BertModel` (post-LayerNorm, exact-erf GELU, additive attention mask).
//!
//! Variables are named exactly like the Hugging Face state dict without the `bert.` prefix
//! (`embeddings.word_embeddings.weight`, `encoder.layer.0.attention.self.query.weight`, ...),
//! so loading and saving a checkpoint is a rename-free copy (see `checkpoint.rs`).
use tch::nn::{self, Module};
use tch::{Kind, Tensor};

use super::config::BertConfig;

fn init_normal(config: &BertConfig) -> nn::Init {
    nn::Init::Randn { mean: 0.0, stdev: config.initializer_range }
}

fn linear(p: nn::Path, input: i64, output: i64, config: &BertConfig) -> nn::Linear {
    let cfg = nn::LinearConfig {
        ws_init: init_normal(config),
        bs_init: Some(nn::Init::Const(0.0)),
        bias: true,
    };
    nn::linear(p, input, output, cfg)
}

fn layer_norm(p: nn::Path, config: &BertConfig) -> nn::LayerNorm {
    // HF names the LayerNorm parameters `weight`/`bias` (older checkpoints say gamma/beta:
    // `checkpoint.rs` renames those on load).
    let cfg = nn::LayerNormConfig { eps: config.layer_norm_eps, ..Default::default() };
    nn::layer_norm(p, vec![config.hidden_size], cfg)
}

/// A linear layer, computed in `autocast` precision when set (weights cast on the fly, so the
/// master weights and their gradients stay fp32, as torch.autocast does).
pub(crate) fn linear_in(x: &Tensor, l: &nn::Linear, autocast: Option<Kind>) -> Tensor {
    match autocast {
        None => x.apply(l),
        Some(k) => x.to_kind(k).linear(&l.ws.to_kind(k), l.bs.as_ref().map(|b| b.to_kind(k))),
    }
}

/// LayerNorm always in fp32 (autocast runs normalisations in full precision).
pub(crate) fn norm_fp32(x: &Tensor, n: &nn::LayerNorm) -> Tensor {
    x.to_kind(Kind::Float).apply(n)
}

pub(crate) fn activation(name: &str, x: &Tensor) -> Tensor {
    match name {
        "gelu" => x.gelu("none"),
        "gelu_new" | "gelu_pytorch_tanh" => x.gelu("tanh"),
        _ => x.relu(),
    }
}

#[derive(Debug)]
struct Embeddings {
    word: nn::Embedding,
    position: nn::Embedding,
    token_type: nn::Embedding,
    norm: nn::LayerNorm,
    dropout: f64,
}

impl Embeddings {
    fn new(p: nn::Path, c: &BertConfig) -> Self {
        let cfg = nn::EmbeddingConfig { ws_init: init_normal(c), ..Default::default() };
        Embeddings {
            word: nn::embedding(&p / "word_embeddings", c.vocab_size, c.hidden_size, cfg),
            position: nn::embedding(
                &p / "position_embeddings",
                c.max_position_embeddings,
                c.hidden_size,
                cfg,
            ),
            token_type: nn::embedding(
                &p / "token_type_embeddings",
                c.type_vocab_size,
                c.hidden_size,
                cfg,
            ),
            norm: layer_norm(&p / "LayerNorm", c),
            dropout: c.hidden_dropout_prob,
        }
    }

    fn forward(&self, input_ids: &Tensor, token_type_ids: &Tensor, train: bool) -> Tensor {
        let seq_len = input_ids.size()[1];
        let positions = Tensor::arange(seq_len, (Kind::Int64, input_ids.device())).unsqueeze(0);
        let x = input_ids.apply(&self.word)
            + positions.apply(&self.position)
            + token_type_ids.apply(&self.token_type);
        x.apply(&self.norm).dropout(self.dropout, train)
    }
}

#[derive(Debug)]
struct Layer {
    query: nn::Linear,
    key: nn::Linear,
    value: nn::Linear,
    attn_out: nn::Linear,
    attn_norm: nn::LayerNorm,
    intermediate: nn::Linear,
    output: nn::Linear,
    out_norm: nn::LayerNorm,
    heads: i64,
    head_dim: i64,
    act: String,
    hidden_dropout: f64,
    attn_dropout: f64,
}

impl Layer {
    fn new(p: nn::Path, c: &BertConfig) -> Self {
        let att = &p / "attention";
        let h = c.hidden_size;
        Layer {
            query: linear(&att / "self" / "query", h, h, c),
            key: linear(&att / "self" / "key", h, h, c),
            value: linear(&att / "self" / "value", h, h, c),
            attn_out: linear(&att / "output" / "dense", h, h, c),
            attn_norm: layer_norm(&att / "output" / "LayerNorm", c),
            intermediate: linear(&p / "intermediate" / "dense", h, c.intermediate_size, c),
            output: linear(&p / "output" / "dense", c.intermediate_size, h, c),
            out_norm: layer_norm(&p / "output" / "LayerNorm", c),
            heads: c.num_attention_heads,
            head_dim: c.head_dim(),
            act: c.hidden_act.clone(),
            hidden_dropout: c.hidden_dropout_prob,
            attn_dropout: c.attention_probs_dropout_prob,
        }
    }

    /// `x`: [batch, seq, hidden]; `bias`: additive attention bias [batch, 1, 1, seq].
    fn forward(&self, x: &Tensor, bias: &Tensor, train: bool, ac: Option<Kind>) -> Tensor {
        let (b, s, h) = x.size3().expect("hidden states are [batch, seq, hidden]");
        let split = |t: Tensor| t.view([b, s, self.heads, self.head_dim]).transpose(1, 2);
        let q = split(linear_in(x, &self.query, ac));
        let k = split(linear_in(x, &self.key, ac));
        let v = split(linear_in(x, &self.value, ac));
        let dropout = if train { self.attn_dropout } else { 0.0 };
        let ctx = Tensor::scaled_dot_product_attention(
            &q,
            &k,
            &v,
            Some(bias.to_kind(q.kind())),
            dropout,
            false,
            None::<f64>,
            false,
        );
        let ctx = ctx.transpose(1, 2).contiguous().view([b, s, h]);
        let attn = norm_fp32(
            &(linear_in(&ctx, &self.attn_out, ac).dropout(self.hidden_dropout, train) + x),
            &self.attn_norm,
        );
        let inter = activation(&self.act, &linear_in(&attn, &self.intermediate, ac));
        norm_fp32(
            &(linear_in(&inter, &self.output, ac).dropout(self.hidden_dropout, train) + attn),
            &self.out_norm,
        )
    }
}

/// BERT without task heads. The pooler is built only when the checkpoint has one, because
/// relation encoders read marker states, not `[CLS]`.
#[derive(Debug)]
pub struct BertModel {
    embeddings: Embeddings,
    layers: Vec<Layer>,
    pooler: Option<nn::Linear>,
    config: BertConfig,
    /// Reduced precision for matrix products (bf16 on CUDA); `None`: fp32 throughout.
    autocast: Option<Kind>,
}

/// One padded batch of word-piece ids on the model's device.
#[derive(Debug)]
pub struct Batch {
    /// [batch, seq] i64 word-piece ids, padded with the pad id.
    pub input_ids: Tensor,
    /// [batch, seq] i64, 1 for real tokens and 0 for padding.
    pub attention_mask: Tensor,
    /// [batch, seq] i64 segment ids (all 0 for single sentences).
    pub token_type_ids: Tensor,
}

impl Batch {
    pub fn to_device(&self, device: tch::Device) -> Batch {
        Batch {
            input_ids: self.input_ids.to_device(device),
            attention_mask: self.attention_mask.to_device(device),
            token_type_ids: self.token_type_ids.to_device(device),
        }
    }
}

impl BertModel {
    /// Creates the variables under `p` (randomly initialised as HF does: N(0, 0.02) weights,
    /// zero biases, unit LayerNorm); `checkpoint::load` then copies the real weights in.
    pub fn new(p: &nn::Path, config: &BertConfig, with_pooler: bool) -> Self {
        let embeddings = Embeddings::new(p / "embeddings", config);
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::new(p / "encoder" / "layer" / i, config))
            .collect();
        let pooler = with_pooler.then(|| {
            linear(p / "pooler" / "dense", config.hidden_size, config.hidden_size, config)
        });
        BertModel { embeddings, layers, pooler, config: config.clone(), autocast: None }
    }

    /// Runs matrix products in `kind` (e.g. `Kind::BFloat16`) with fp32 master weights,
    /// LayerNorms and outputs; `None` switches back to fp32.
    pub fn set_autocast(&mut self, kind: Option<Kind>) {
        self.autocast = kind;
    }

    pub fn autocast(&self) -> Option<Kind> {
        self.autocast
    }

    pub fn config(&self) -> &BertConfig {
        &self.config
    }

    /// The word-embedding matrix [vocab, hidden], shared with a tied MLM decoder.
    pub fn word_embeddings(&self) -> &Tensor {
        &self.embeddings.word.ws
    }

    /// Last-layer hidden states [batch, seq, hidden]. `train` switches dropout on.
    pub fn forward(&self, batch: &Batch, train: bool) -> Tensor {
        // Additive mask as in HF: 0 where attended, the dtype's lowest value on padding.
        let mask = batch.attention_mask.to_kind(Kind::Float).unsqueeze(1).unsqueeze(1);
        let bias = (1.0 - mask) * f64::from(f32::MIN);
        let mut x = self.embeddings.forward(&batch.input_ids, &batch.token_type_ids, train);
        for layer in &self.layers {
            x = layer.forward(&x, &bias, train, self.autocast);
        }
        x
    }

    /// `tanh(W h_[CLS] + b)` when the checkpoint has a pooler.
    pub fn pooled(&self, hidden: &Tensor) -> Option<Tensor> {
        self.pooler.as_ref().map(|p| hidden.select(1, 0).apply(p).tanh())
    }
}

/// Mean of the hidden states over real (unpadded) tokens: sentence-transformers' pooling.
pub fn mean_pool(hidden: &Tensor, attention_mask: &Tensor) -> Tensor {
    let mask = attention_mask.to_kind(hidden.kind()).unsqueeze(-1);
    let summed = (hidden * &mask).sum_dim_intlist(1, false, hidden.kind());
    let counts = mask.sum_dim_intlist(1, false, hidden.kind()).clamp_min(1e-9);
    summed / counts
}

/// The relation representation of the paper: the last-layer states at the head-start and
/// tail-start marker positions, concatenated. `positions`: [batch, 2] i64.
pub fn entity_start_states(hidden: &Tensor, positions: &Tensor) -> Tensor {
    let (b, _, h) = hidden.size3().expect("hidden states are [batch, seq, hidden]");
    let index = positions.unsqueeze(-1).expand([b, 2, h], false);
    hidden.gather(1, &index, false).reshape([b, 2 * h])
}

/// Entity-marker relation representations of marked id sequences: padded to `width` (or the
/// longest), encoded, and the states at each sequence's `[head_start, tail_start]` taken
/// (`starts` holds two positions per sequence). Shared by few-shot and fine-tuning.
pub fn encode_marked(
    model: &BertModel,
    seqs: &[Vec<i64>],
    starts: &[i64],
    pad_id: i64,
    width: usize,
    device: tch::Device,
    train: bool,
) -> Tensor {
    let batch = crate::tokenize::pad_batch_to(seqs, pad_id, width, device);
    let hidden = model.forward(&batch, train);
    let positions = Tensor::from_slice(starts).view([seqs.len() as i64, 2]).to_device(device);
    entity_start_states(&hidden, &positions)
}

impl Module for BertModel {
    fn forward(&self, input_ids: &Tensor) -> Tensor {
        let batch = Batch {
            attention_mask: input_ids.ones_like(),
            token_type_ids: input_ids.zeros_like(),
            input_ids: input_ids.shallow_clone(),
        };
        BertModel::forward(self, &batch, false)
    }
}
