//! The entity-marker input of the original implementation (thunlp/RE-Context-or-Names):
//! lower-cased word pieces, `[unused0] head [unused1]` and `[unused2] tail [unused3]` around
//! the two mentions in sentence order, a blanked mention replaced by `[unused4]` (head) or
//! `[unused5]` (tail) inside its markers, `[CLS] ... [SEP]`, at most `max_len` pieces.
//!
//! Truncation: the original keeps the first `max_len` pieces (`Prefix`), which can cut a
//! marker away; the default `Window` keeps a window that holds both entities whenever their
//! span fits, centred on them.
use crate::error::TrainerError;
use crate::tokenize::WordPieces;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Truncation {
    Window,
    Prefix,
}

/// One encoded instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    pub ids: Vec<i64>,
    /// Positions of the head-start (`[unused0]`) and tail-start (`[unused2]`) markers; `None`
    /// when truncation cut a marker away (prefix truncation, or a window too short for two
    /// entities that far apart).
    pub head_start: Option<usize>,
    pub tail_start: Option<usize>,
}

/// Ids of the six marker tokens `[unused0]`..`[unused5]`.
#[derive(Debug, Clone, Copy)]
pub struct Markers {
    pub ids: [i64; 6],
}

impl Markers {
    pub fn from_vocab(tok: &WordPieces) -> Result<Self, TrainerError> {
        let mut ids = [0i64; 6];
        for (i, id) in ids.iter_mut().enumerate() {
            *id = tok
                .token_id(&format!("[unused{i}]"))
                .ok_or_else(|| TrainerError::Encode(format!("vocabulary lacks [unused{i}]")))?;
        }
        Ok(Markers { ids })
    }
}

/// Token span `[start, end)` of an entity in the sentence's word tokens.
pub type TokenSpan = (usize, usize);

/// Encodes `tokens` with markers around `head` and `tail` (spans must not overlap).
#[allow(clippy::too_many_arguments)]
pub fn encode(
    tok: &WordPieces,
    markers: &Markers,
    tokens: &[String],
    head: TokenSpan,
    tail: TokenSpan,
    blank_head: bool,
    blank_tail: bool,
    max_len: usize,
    truncation: Truncation,
) -> Result<Marked, TrainerError> {
    if head.0 >= head.1 || tail.0 >= tail.1 || head.1 > tokens.len() || tail.1 > tokens.len() {
        return Err(TrainerError::Encode(format!("bad spans {head:?} {tail:?}")));
    }
    if head.0 < tail.1 && tail.0 < head.1 {
        return Err(TrainerError::Encode(format!("overlapping spans {head:?} {tail:?}")));
    }
    let m = markers.ids;
    let mut body: Vec<i64> = Vec::with_capacity(tokens.len() * 2);
    let (mut hs, mut ts, mut he, mut te) = (0, 0, 0, 0);
    let mut i = 0;
    while i < tokens.len() {
        if i == head.0 || i == tail.0 {
            let is_head = i == head.0;
            let (span, open, close, blank, blanked) = if is_head {
                (head, m[0], m[1], m[4], blank_head)
            } else {
                (tail, m[2], m[3], m[5], blank_tail)
            };
            let start = body.len();
            body.push(open);
            if blanked {
                body.push(blank);
            } else {
                for t in &tokens[span.0..span.1] {
                    body.extend(tok.pieces(t)?);
                }
            }
            body.push(close);
            if is_head {
                (hs, he) = (start, body.len());
            } else {
                (ts, te) = (start, body.len());
            }
            i = span.1;
            continue;
        }
        body.extend(tok.pieces(&tokens[i])?);
        i += 1;
    }
    let room = max_len.max(4) - 2;
    let (from, to) = if body.len() <= room {
        (0, body.len())
    } else {
        match truncation {
            Truncation::Prefix => (0, room),
            Truncation::Window => {
                let (lo, hi) = (hs.min(ts), he.max(te));
                if hi - lo >= room {
                    (lo, lo + room) // entities too far apart: keep the first one whole
                } else {
                    let slack = room - (hi - lo);
                    let from = lo.saturating_sub(slack / 2).min(body.len() - room);
                    (from, from + room)
                }
            }
        }
    };
    let mut ids = Vec::with_capacity(to - from + 2);
    ids.push(tok.cls_id());
    ids.extend_from_slice(&body[from..to]);
    ids.push(tok.sep_id());
    let pos = |p: usize| (from..to).contains(&p).then(|| p - from + 1);
    Ok(Marked { ids, head_start: pos(hs), tail_start: pos(ts) })
}
