//! Word-piece tokenisation with the `tokenizers` crate, from `tokenizer.json` or `vocab.txt`.
//!
//! A checkpoint's `tokenizer.json` may switch on fixed padding and truncation (MiniLM's pads
//! every input to 128); both are switched off here: batches are padded only to their longest
//! sequence, and the caller decides how to cut.
use std::path::{Path, PathBuf};

use tch::{Device, Tensor};
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::normalizers::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::processors::bert::BertProcessing;
use tokenizers::Tokenizer;

use crate::bert::Batch;
use crate::error::TrainerError;

pub struct WordPieces {
    inner: Tokenizer,
    pad_id: i64,
    cls_id: i64,
    sep_id: i64,
}

fn lowercase_from_config(dir: &Path) -> bool {
    // do_lower_case defaults to true: every checkpoint this project targets is uncased.
    std::fs::read_to_string(dir.join("tokenizer_config.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v.get("do_lower_case").and_then(|b| b.as_bool()))
        .unwrap_or(true)
}

impl WordPieces {
    /// Loads `dir/tokenizer.json`, else builds a BERT WordPiece tokenizer from `dir/vocab.txt`.
    pub fn from_dir(dir: &Path) -> Result<Self, TrainerError> {
        let json = dir.join("tokenizer.json");
        let vocab = dir.join("vocab.txt");
        let err = |path: &PathBuf, e: &dyn std::fmt::Display| TrainerError::Tokenizer {
            path: path.clone(),
            msg: e.to_string(),
        };
        let mut inner = if json.exists() {
            Tokenizer::from_file(&json).map_err(|e| err(&json, &e))?
        } else if vocab.exists() {
            let wp = WordPiece::from_file(&vocab.to_string_lossy())
                .unk_token("[UNK]".into())
                .build()
                .map_err(|e| err(&vocab, &e))?;
            let mut t = Tokenizer::new(wp);
            t.with_normalizer(Some(BertNormalizer::new(
                true,
                true,
                None,
                lowercase_from_config(dir),
            )));
            t.with_pre_tokenizer(Some(BertPreTokenizer));
            t
        } else {
            return Err(err(&json, &"neither tokenizer.json nor vocab.txt found"));
        };
        inner.with_padding(None);
        inner.with_truncation(None).map_err(|e| err(&json, &e))?;
        let id = |tok: &str| {
            inner
                .token_to_id(tok)
                .map(i64::from)
                .ok_or_else(|| err(&vocab, &format!("vocabulary has no {tok}")))
        };
        let (pad_id, cls_id, sep_id) = (id("[PAD]")?, id("[CLS]")?, id("[SEP]")?);
        if !json.exists() {
            inner.with_post_processor(Some(BertProcessing::new(
                ("[SEP]".into(), sep_id as u32),
                ("[CLS]".into(), cls_id as u32),
            )));
        }
        Ok(WordPieces { inner, pad_id, cls_id, sep_id })
    }

    pub fn pad_id(&self) -> i64 {
        self.pad_id
    }
    pub fn cls_id(&self) -> i64 {
        self.cls_id
    }
    pub fn sep_id(&self) -> i64 {
        self.sep_id
    }

    /// Vocabulary size including added tokens.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// Id of a vocabulary token such as `[unused0]`.
    pub fn token_id(&self, token: &str) -> Option<i64> {
        self.inner.token_to_id(token).map(i64::from)
    }

    /// Word-piece ids of a text without `[CLS]`/`[SEP]`.
    pub fn pieces(&self, text: &str) -> Result<Vec<i64>, TrainerError> {
        let enc =
            self.inner.encode(text, false).map_err(|e| TrainerError::Encode(e.to_string()))?;
        Ok(enc.get_ids().iter().map(|&i| i64::from(i)).collect())
    }

    /// `[CLS] text [SEP]` ids, cut to `max_len` (keeping the final `[SEP]`).
    pub fn encode(&self, text: &str, max_len: usize) -> Result<Vec<i64>, TrainerError> {
        let mut ids = Vec::with_capacity(max_len.min(512));
        ids.push(self.cls_id);
        ids.extend(self.pieces(text)?);
        ids.truncate(max_len.max(2) - 1);
        ids.push(self.sep_id);
        Ok(ids)
    }

    /// Pads id sequences to the longest one: a batch on `device`.
    pub fn pad(&self, seqs: &[Vec<i64>], device: Device) -> Batch {
        pad_batch(seqs, self.pad_id, device)
    }
}

/// Pads id sequences to the longest one (padding id `pad_id`, attention mask 0 there).
pub fn pad_batch(seqs: &[Vec<i64>], pad_id: i64, device: Device) -> Batch {
    let width = seqs.iter().map(Vec::len).max().unwrap_or(0);
    pad_batch_to(seqs, pad_id, width, device)
}

/// Pads id sequences to `width` (at least the longest one).
pub fn pad_batch_to(seqs: &[Vec<i64>], pad_id: i64, width: usize, device: Device) -> Batch {
    let width = width.max(seqs.iter().map(Vec::len).max().unwrap_or(0));
    let mut ids = Vec::with_capacity(seqs.len() * width);
    let mut mask = Vec::with_capacity(seqs.len() * width);
    for s in seqs {
        ids.extend_from_slice(s);
        ids.extend(std::iter::repeat_n(pad_id, width - s.len()));
        mask.extend(std::iter::repeat_n(1i64, s.len()));
        mask.extend(std::iter::repeat_n(0i64, width - s.len()));
    }
    let shape = [seqs.len() as i64, width as i64];
    let input_ids = Tensor::from_slice(&ids).view(shape).to_device(device);
    let attention_mask = Tensor::from_slice(&mask).view(shape).to_device(device);
    let token_type_ids = input_ids.zeros_like();
    Batch { input_ids, attention_mask, token_type_ids }
}
