//! The paper's input modes (Peng et al. 2020, section 3), laid out as the original code does
//! (thunlp/RE-Context-or-Names `finetune/supervisedRE`):
//!
//! | mode | input |
//! |---|---|
//! | `cm` context + mention | `[CLS] ... [unused0] head [unused1] ... [unused2] tail [unused3] ... [SEP]` |
//! | `ct` context + type | as `cm` with each mention replaced by its type token |
//! | `oc` only context | as `cm` with the mentions replaced by `[unused4]` / `[unused5]` |
//! | `om` only mention | `[CLS] [unused0] head [unused1] [unused2] tail [unused3] [SEP]`, in sentence order |
//! | `ot` only type | as `om` with type tokens |
//!
//! A type token is `[unused{10 + type2id["subj_" + T]}]` for the head and
//! `[unused{10 + type2id["obj_" + T]}]` for the tail, with CP's `type2id.json`.
use std::collections::BTreeMap;

use super::data::Record;
use crate::error::TrainerError;
use crate::pretrain::input::{finish, Body, Marked, Markers, Truncation};
use crate::tokenize::WordPieces;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Cm,
    Ct,
    Oc,
    Om,
    Ot,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Cm => "cm",
            Mode::Ct => "ct",
            Mode::Oc => "oc",
            Mode::Om => "om",
            Mode::Ot => "ot",
        }
    }

    pub fn uses_types(self) -> bool {
        matches!(self, Mode::Ct | Mode::Ot)
    }
}

/// Entity type name (`subj_PERSON`, `obj_GPE`, ...) to its index: the type token is
/// `[unused{10 + index}]`.
pub type TypeIds = BTreeMap<String, usize>;

/// A type vocabulary from the types seen: `UNK`, `subj_UNK`, `obj_UNK`, then `subj_T`,
/// `obj_T` for each type in sorted order (the order of CP's `type2id.json`, whose entries come
/// first when it is given).
pub fn type_ids<'a>(records: impl Iterator<Item = &'a Record>) -> TypeIds {
    let mut types: Vec<&str> = Vec::new();
    for r in records {
        types.extend(r.head_type.as_deref());
        types.extend(r.tail_type.as_deref());
    }
    types.sort_unstable();
    types.dedup();
    let mut out = TypeIds::new();
    for name in ["UNK", "subj_UNK", "obj_UNK"] {
        let n = out.len();
        out.insert(name.to_string(), n);
    }
    for t in types.into_iter().filter(|&t| t != "UNK") {
        for side in ["subj", "obj"] {
            let n = out.len();
            out.entry(format!("{side}_{t}")).or_insert(n);
        }
    }
    out
}

/// Marked word pieces of `rec` in `mode` (at most `max_len`, `[CLS]`/`[SEP]` included), with
/// the head-start and tail-start positions.
pub fn encode(
    tok: &WordPieces,
    markers: &Markers,
    rec: &Record,
    mode: Mode,
    types: &TypeIds,
    max_len: usize,
) -> Result<Marked, TrainerError> {
    let type_token = |side: &str, t: &Option<String>| -> Result<Vec<i64>, TrainerError> {
        let t = t.as_deref().ok_or_else(|| {
            TrainerError::Encode(format!("mode needs entity types; record {} has none", rec.id))
        })?;
        let idx = types
            .get(&format!("{side}_{t}"))
            .or_else(|| types.get(&format!("{side}_UNK")))
            .ok_or_else(|| TrainerError::Encode(format!("no type id for {side}_{t}")))?;
        let name = format!("[unused{}]", 10 + idx);
        let id = tok
            .token_id(&name)
            .ok_or_else(|| TrainerError::Encode(format!("vocabulary lacks {name}")))?;
        Ok(vec![id])
    };
    let mention = |span: (usize, usize)| -> Result<Vec<i64>, TrainerError> {
        let mut ids = Vec::new();
        for w in &rec.tokens[span.0..span.1] {
            ids.extend(tok.pieces(w)?);
        }
        Ok(ids)
    };
    let (h, t) = if mode.uses_types() {
        (type_token("subj", &rec.head_type)?, type_token("obj", &rec.tail_type)?)
    } else {
        (mention(rec.head)?, mention(rec.tail)?)
    };
    let context = matches!(mode, Mode::Cm | Mode::Ct | Mode::Oc);
    let body = marked_body(tok, markers, rec, &h, &t, context)?;
    let blank = mode == Mode::Oc;
    Ok(finish(tok, markers, &body, blank, blank, max_len, Truncation::Window))
}

/// `[unused0] h [unused1]` and `[unused2] t [unused3]` in sentence order, with the context's
/// word pieces around them when `context`.
fn marked_body(
    tok: &WordPieces,
    markers: &Markers,
    rec: &Record,
    h: &[i64],
    t: &[i64],
    context: bool,
) -> Result<Body, TrainerError> {
    let m = markers.ids;
    let mut ids = Vec::with_capacity(rec.tokens.len() * 2);
    let (mut hs, mut ts) = ((0, 0), (0, 0));
    let mut put = |ids: &mut Vec<i64>, is_head: bool| {
        let start = ids.len();
        let (open, inner, close) = if is_head { (m[0], h, m[1]) } else { (m[2], t, m[3]) };
        ids.push(open);
        ids.extend_from_slice(inner);
        ids.push(close);
        if is_head {
            hs = (start, ids.len());
        } else {
            ts = (start, ids.len());
        }
    };
    let head_first = rec.head.0 < rec.tail.0;
    if !context {
        put(&mut ids, head_first);
        put(&mut ids, !head_first);
    } else {
        let mut i = 0;
        while i < rec.tokens.len() {
            if i == rec.head.0 || i == rec.tail.0 {
                let is_head = i == rec.head.0;
                put(&mut ids, is_head);
                i = if is_head { rec.head.1 } else { rec.tail.1 };
                continue;
            }
            ids.extend(tok.pieces(&rec.tokens[i])?);
            i += 1;
        }
    }
    Ok(Body { ids, head: hs, tail: ts })
}
