//! `trainer extract`: plain text in, Wikidata triples out.
//!
//! Per document (one input line): sentences and tokens as the pipeline makes them (`wikitext`),
//! mentions as `link` finds unanchored ones (`linker`: names of the KB's items, the NER-style
//! detector, disambiguation by the page's own item and the anchor prior), then every ordered
//! pair of mentions in a sentence is classified by a fine-tuned model; the document's pairs go
//! through the model together, in length-sorted batches. A detector span that no name links
//! still becomes a mention (`qid: null`), and its pairs are classified too.
//!
//! The classifier has no "no relation" class (Wiki80 has none), so a fact is reported when
//! its softmax score reaches a threshold calibrated on pairs that hold no claim
//! (`scripts/extract_eval.py`, README "Relation extraction from text").
pub mod kb;

use schemas::Qid;
use serde::Serialize;

use crate::error::TrainerError;
use crate::finetune::data::Record;
use crate::finetune::model::{encode_records, Classifier, Encoded, HeadInfo};
use crate::pretrain::input::Markers;
use crate::tokenize::WordPieces;
pub use kb::{Kb, KbPaths, Relation};

/// One document of the input.
#[derive(Debug, Clone)]
pub struct Document {
    /// 1-based input line.
    pub line: usize,
    pub text: String,
    /// A Wikipedia title: its item disambiguates names (as a page's own entity does).
    pub title: Option<String>,
}

/// A mention in a sentence: linked (`qid`) or only detected.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MentionOut {
    pub qid: Option<String>,
    pub surface: String,
    /// Char span `[start, end)` (code points) in the sentence text.
    pub start: u32,
    pub end: u32,
    /// `unique`, `page_entity`, `page_anchors`, `prior` (how the name was resolved) or
    /// `detector` (no item carries the name).
    pub source: &'static str,
    /// The share of the surface's Wikipedia anchors that link to this item (the anchor prior);
    /// null when the surface was never an anchor or the mention is not linked.
    pub confidence: Option<f64>,
    #[serde(rename = "type")]
    pub entity_type: String,
    #[serde(skip)]
    token_start: u32,
    #[serde(skip)]
    token_end: u32,
}

/// One extracted fact.
#[derive(Debug, Clone, Serialize)]
pub struct Fact {
    pub line: usize,
    pub sentence_index: usize,
    pub sentence: String,
    pub head: MentionOut,
    pub tail: MentionOut,
    pub relation: RelationOut,
    pub score: f64,
    /// `known` when Wikidata holds the claim, `new` when both ends are linked and it does not,
    /// `unlinked` when an end has no item.
    pub wikidata: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct RelationOut {
    pub pid: Option<String>,
    pub label: String,
}

/// Switches of `extract`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Report a pair when its best label's softmax score is at least this.
    pub threshold: f64,
    /// At most this many ordered pairs per sentence (in mention order).
    pub max_pairs: usize,
    /// Model batch size.
    pub batch: usize,
}

/// The model, its tokenizer and the KB.
pub struct Extractor {
    pub kb: Kb,
    pub model: Classifier,
    pub info: HeadInfo,
    tok: WordPieces,
    markers: Markers,
    pub opts: Options,
}

/// The sentences of a document with their tokens and mentions.
pub struct Analysed {
    pub sentences: Vec<(String, Vec<wikitext::Token>, Vec<MentionOut>)>,
}

impl Extractor {
    pub fn new(
        kb: Kb,
        model: Classifier,
        info: HeadInfo,
        tok: WordPieces,
        opts: Options,
    ) -> Result<Self, TrainerError> {
        let markers = Markers::from_vocab(&tok)?;
        Ok(Extractor { kb, model, info, tok, markers, opts })
    }

    /// Sentences, tokens and mentions of one document.
    pub fn analyse(&self, doc: &Document) -> Analysed {
        // Whitespace collapsed as in the pipeline's sentences, so offsets match the output text.
        let clean = doc.text.split_whitespace().collect::<Vec<_>>().join(" ");
        let page_entity = doc.title.as_deref().and_then(|t| self.kb.item_of_title(t));
        let ctx = linker::PageContext { page_entity, anchored_entities: Default::default() };
        let mut out = Vec::new();
        for s in wikitext::split_sentences(&clean) {
            let toks = wikitext::tokenize(&s);
            let mentions = self.mentions(&s, &toks, &ctx);
            out.push((s, toks, mentions));
        }
        Analysed { sentences: out }
    }

    fn mentions(
        &self,
        text: &str,
        toks: &[wikitext::Token],
        ctx: &linker::PageContext,
    ) -> Vec<MentionOut> {
        let texts: Vec<String> = toks.iter().map(|t| t.text.clone()).collect();
        let starts: Vec<u32> = toks.iter().map(|t| t.char_start).collect();
        let ends: Vec<u32> = toks.iter().map(|t| t.char_end).collect();
        let input = linker::SentenceInput {
            text,
            tokens: &texts,
            token_starts: &starts,
            token_ends: &ends,
            anchor_spans: &[],
        };
        let mut out: Vec<MentionOut> = Vec::new();
        for m in self.kb.linker.link_sentence(&input, ctx) {
            // The type rule of `link`: the KB's coarse type, else the detector's.
            let entity_type = match (self.kb.type_of(m.qid), m.detector_type) {
                (Some(t), _) if t != "UNK" => t.to_string(),
                (_, Some(d)) => d.as_str().to_string(),
                _ => "UNK".to_string(),
            };
            out.push(MentionOut {
                qid: Some(m.qid.to_string()),
                confidence: self.kb.prior_share(&m.surface, m.qid),
                surface: m.surface,
                start: m.char_start,
                end: m.char_end,
                source: m.how.as_str(),
                entity_type,
                token_start: m.token_start,
                token_end: m.token_end,
            });
        }
        let words: Vec<&str> = texts.iter().map(String::as_str).collect();
        for span in linker::detect(&words) {
            let (a, b) = (span.token_start as u32, span.token_end as u32);
            if a >= b || out.iter().any(|m| m.token_start < b && a < m.token_end) {
                continue;
            }
            let (cs, ce) = (starts[a as usize], ends[b as usize - 1]);
            out.push(MentionOut {
                qid: None,
                surface: text.chars().skip(cs as usize).take((ce - cs) as usize).collect(),
                start: cs,
                end: ce,
                source: "detector",
                confidence: None,
                entity_type: span.label.as_str().to_string(),
                token_start: a,
                token_end: b,
            });
        }
        out.sort_by_key(|m| (m.start, m.end));
        out
    }

    /// The ordered mention pairs of each sentence to classify: (sentence, head, tail).
    fn pairs(&self, a: &Analysed) -> Vec<(usize, usize, usize)> {
        let mut pairs = Vec::new();
        for (si, (_, _, ms)) in a.sentences.iter().enumerate() {
            let mut n = 0;
            'sentence: for h in 0..ms.len() {
                for t in 0..ms.len() {
                    if h == t || (ms[h].qid.is_some() && ms[h].qid == ms[t].qid) {
                        continue;
                    }
                    if n == self.opts.max_pairs {
                        break 'sentence;
                    }
                    pairs.push((si, h, t));
                    n += 1;
                }
            }
        }
        pairs
    }

    /// The facts of several analysed documents at or above the threshold, one list per
    /// document in input order ([`Self::classify_many`] keeping the confident ones).
    pub fn extract_many(
        &self,
        docs: &[(&Document, &Analysed)],
    ) -> Result<Vec<Vec<Fact>>, TrainerError> {
        let mut all = self.classify_many(docs)?;
        for f in &mut all {
            f.retain(|f| f.score >= self.opts.threshold);
        }
        Ok(all)
    }

    /// The pairs of several analysed documents through the model together (length-sorted
    /// batches over all of them), so that short documents still fill the batches. One list of
    /// facts per document, in input order, whatever their score.
    fn classify_many(
        &self,
        docs: &[(&Document, &Analysed)],
    ) -> Result<Vec<Vec<Fact>>, TrainerError> {
        let pairs: Vec<Vec<(usize, usize, usize)>> =
            docs.iter().map(|(_, a)| self.pairs(a)).collect();
        let mut records: Vec<Record> = Vec::new();
        for ((doc, a), ps) in docs.iter().zip(&pairs) {
            for &(si, h, t) in ps {
                let (_, toks, ms) = &a.sentences[si];
                let (h, t) = (&ms[h], &ms[t]);
                records.push(Record {
                    id: doc.line.to_string(),
                    line: doc.line,
                    tokens: toks.iter().map(|t| t.text.clone()).collect(),
                    head: (h.token_start as usize, h.token_end as usize),
                    tail: (t.token_start as usize, t.token_end as usize),
                    head_type: Some(h.entity_type.clone()),
                    tail_type: Some(t.entity_type.clone()),
                    named: Default::default(),
                    label: String::new(),
                });
            }
        }
        let (pred, prob) = if records.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            let enc: Encoded =
                encode_records(&self.tok, &self.markers, &self.info, &records, false)?;
            self.model.predict(&enc, self.opts.batch)
        };
        let mut k = 0;
        let mut out = Vec::with_capacity(docs.len());
        for ((doc, a), ps) in docs.iter().zip(&pairs) {
            let mut facts = Vec::with_capacity(ps.len());
            for &(si, h, t) in ps {
                let (text, _, ms) = &a.sentences[si];
                let rel = &self.kb.relations[pred[k]];
                let qid = |m: &MentionOut| m.qid.as_deref().and_then(|q| q.parse::<Qid>().ok());
                let wikidata = match (qid(&ms[h]), qid(&ms[t])) {
                    (Some(x), Some(y)) if self.kb.holds(x, y, pred[k]) => "known",
                    (Some(_), Some(_)) => "new",
                    _ => "unlinked",
                };
                facts.push(Fact {
                    line: doc.line,
                    sentence_index: si,
                    sentence: text.clone(),
                    head: ms[h].clone(),
                    tail: ms[t].clone(),
                    relation: RelationOut { pid: rel.pid.clone(), label: rel.label.clone() },
                    score: prob[k],
                    wikidata,
                });
                k += 1;
            }
            out.push(facts);
        }
        Ok(out)
    }
}

/// Reads one input line (bytes, without its newline) as a document: a JSON object
/// `{"text": ..., "title": ...}` (title optional) or plain text. Errors name what is wrong.
pub fn parse_line(bytes: &[u8], line: usize) -> Result<Document, String> {
    let s = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 ({e})"))?;
    let s = s.trim();
    if s.is_empty() {
        return Err("empty line".into());
    }
    if !s.starts_with('{') {
        return Ok(Document { line, text: s.to_string(), title: None });
    }
    #[derive(serde::Deserialize)]
    struct J {
        text: String,
        title: Option<String>,
    }
    let j: J = serde_json::from_str(s).map_err(|e| format!("invalid JSON: {e}"))?;
    if j.text.trim().is_empty() {
        return Err("empty \"text\"".into());
    }
    Ok(Document { line, text: j.text, title: j.title })
}
