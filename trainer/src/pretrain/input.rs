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

/// A sentence's word pieces with both entities inside their markers, before blanking and
/// truncation: what the piece cache stores, so that blanking (drawn per epoch or per
/// sentence) and truncation need no second tokenisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub ids: Vec<i64>,
    /// `[start, end)` of `[unused0] head [unused1]` in `ids`.
    pub head: (usize, usize),
    /// `[start, end)` of `[unused2] tail [unused3]` in `ids`.
    pub tail: (usize, usize),
}

/// Word pieces of `tokens` with markers around `head` and `tail` (spans must not overlap).
pub fn body(
    tok: &WordPieces,
    markers: &Markers,
    tokens: &[String],
    head: TokenSpan,
    tail: TokenSpan,
) -> Result<Body, TrainerError> {
    if head.0 >= head.1 || tail.0 >= tail.1 || head.1 > tokens.len() || tail.1 > tokens.len() {
        return Err(TrainerError::Encode(format!("bad spans {head:?} {tail:?}")));
    }
    if head.0 < tail.1 && tail.0 < head.1 {
        return Err(TrainerError::Encode(format!("overlapping spans {head:?} {tail:?}")));
    }
    let m = markers.ids;
    let mut ids: Vec<i64> = Vec::with_capacity(tokens.len() * 2);
    let (mut h, mut t) = ((0, 0), (0, 0));
    let mut i = 0;
    while i < tokens.len() {
        if i == head.0 || i == tail.0 {
            let is_head = i == head.0;
            let (span, open, close) = if is_head { (head, m[0], m[1]) } else { (tail, m[2], m[3]) };
            let start = ids.len();
            ids.push(open);
            for w in &tokens[span.0..span.1] {
                ids.extend(tok.pieces(w)?);
            }
            ids.push(close);
            if is_head {
                h = (start, ids.len());
            } else {
                t = (start, ids.len());
            }
            i = span.1;
            continue;
        }
        ids.extend(tok.pieces(&tokens[i])?);
        i += 1;
    }
    Ok(Body { ids, head: h, tail: t })
}

/// Blanks the chosen mentions (`[unused4]` / `[unused5]` inside the markers), truncates to
/// `max_len` and adds `[CLS]` / `[SEP]`.
pub fn finish(
    tok: &WordPieces,
    markers: &Markers,
    body: &Body,
    blank_head: bool,
    blank_tail: bool,
    max_len: usize,
    truncation: Truncation,
) -> Marked {
    finish_ids(
        tok.cls_id(),
        tok.sep_id(),
        markers,
        body,
        blank_head,
        blank_tail,
        max_len,
        truncation,
    )
}

/// [`finish`] with explicit `[CLS]`/`[SEP]` ids.
#[allow(clippy::too_many_arguments)]
pub fn finish_ids(
    cls: i64,
    sep: i64,
    markers: &Markers,
    body: &Body,
    blank_head: bool,
    blank_tail: bool,
    max_len: usize,
    truncation: Truncation,
) -> Marked {
    let m = markers.ids;
    // Rebuild the body with blanked mentions, tracking the marker spans.
    let mut ids = Vec::with_capacity(body.ids.len());
    let (mut hs, mut ts, mut he, mut te) = (0, 0, 0, 0);
    let mut i = 0;
    while i < body.ids.len() {
        let span = if i == body.head.0 {
            Some((body.head, blank_head, m[4], true))
        } else if i == body.tail.0 {
            Some((body.tail, blank_tail, m[5], false))
        } else {
            None
        };
        let Some((span, blanked, blank, is_head)) = span else {
            ids.push(body.ids[i]);
            i += 1;
            continue;
        };
        let start = ids.len();
        if blanked {
            ids.extend_from_slice(&[body.ids[span.0], blank, body.ids[span.1 - 1]]);
        } else {
            ids.extend_from_slice(&body.ids[span.0..span.1]);
        }
        if is_head {
            (hs, he) = (start, ids.len());
        } else {
            (ts, te) = (start, ids.len());
        }
        i = span.1;
    }
    let room = max_len.max(4) - 2;
    let (from, to) = if ids.len() <= room {
        (0, ids.len())
    } else {
        match truncation {
            Truncation::Prefix => (0, room),
            Truncation::Window => {
                let (lo, hi) = (hs.min(ts), he.max(te));
                if hi - lo >= room {
                    (lo, lo + room) // entities too far apart: keep the first one whole
                } else {
                    let slack = room - (hi - lo);
                    let from = lo.saturating_sub(slack / 2).min(ids.len() - room);
                    (from, from + room)
                }
            }
        }
    };
    let mut out = Vec::with_capacity(to - from + 2);
    out.push(cls);
    out.extend_from_slice(&ids[from..to]);
    out.push(sep);
    let pos = |p: usize| (from..to).contains(&p).then(|| p - from + 1);
    Marked { ids: out, head_start: pos(hs), tail_start: pos(ts) }
}

/// Encodes `tokens` with markers around `head` and `tail` (spans must not overlap):
/// [`body`] then [`finish`].
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
    let b = body(tok, markers, tokens, head, tail)?;
    Ok(finish(tok, markers, &b, blank_head, blank_tail, max_len, truncation))
}
