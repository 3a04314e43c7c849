//! The second walk over sentences and mentions: the sentences the plan uses, with their
//! mentions and page revision, handed to the [`Gather`] in input order.
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{Array, AsArray};

use super::cursor::{each_sentence, i64_col, str_col, u32_col, MentionCursor};
use super::plan::Plan;
use super::write::Gather;
use crate::error::StageError;
use crate::records::{MentionRecord, SentenceRecord};
use schemas::col;
use schemas::open_table_columns;
use schemas::tables::PAGES;

const MENTION_COLUMNS: [&str; 8] = [
    col::QID,
    col::SURFACE,
    col::SOURCE,
    col::ENTITY_TYPE,
    col::CHAR_START,
    col::CHAR_END,
    col::TOKEN_START,
    col::TOKEN_END,
];

/// Revision ids of the pages of `dir` that the plan's rows in `seqs` come from.
fn revisions(
    dir: &std::path::Path,
    plan: &Plan,
    seqs: std::ops::Range<u64>,
) -> Result<HashMap<i64, i64>, StageError> {
    let needed: HashSet<i64> = plan
        .seq
        .iter()
        .zip(&plan.page)
        .filter(|(s, _)| seqs.contains(s))
        .map(|(_, &p)| p)
        .collect();
    let mut out = HashMap::with_capacity(needed.len());
    let path = dir.join(schemas::tables::PAGES.file_name());
    for b in open_table_columns(&path, PAGES, 64 * 1024, &[col::PAGE_ID, col::REVISION_ID])? {
        let b = b?;
        let (ids, revs) = (i64_col(&b, col::PAGE_ID), i64_col(&b, col::REVISION_ID));
        for i in 0..b.num_rows() {
            if needed.contains(&ids.value(i)) {
                out.insert(ids.value(i), revs.value(i));
            }
        }
    }
    Ok(out)
}

/// Walks `sentences` (directories, in order; `starts[k]` is the sequence number of the first
/// sentence of directory k) and `mentions` again and adds each sentence `g` wants.
pub fn feed(
    g: &mut Gather,
    plan: &Plan,
    sentences: &[PathBuf],
    mentions: &[PathBuf],
    starts: &[u64],
) -> Result<(), StageError> {
    let mut cursor = MentionCursor::open(mentions, &MENTION_COLUMNS)?;
    let mut seq = 0u64;
    for (k, dir) in sentences.iter().enumerate() {
        let Some(next) = g.wants() else { break };
        let end = starts.get(k + 1).copied().unwrap_or(u64::MAX);
        let used = next < end;
        // A directory the plan does not use is only stepped through (keys, no text).
        let cols: &[&str] = if used { &[col::TEXT, col::TOKENS] } else { &[] };
        let revs = if used { revisions(dir, plan, starts[k]..end)? } else { HashMap::new() };
        let dump = dir.display().to_string();
        each_sentence(dir, cols, |b, i, page, sidx| {
            let this = seq;
            seq += 1;
            if g.wants() != Some(this) {
                return cursor.take(page, sidx, |_| {});
            }
            let mut ms = Vec::new();
            cursor.take(page, sidx, |(mb, j)| {
                let s = |c: &str| str_col(mb, c).value(j).to_string();
                let u = |c: &str| u32_col(mb, c).value(j);
                ms.push(MentionRecord {
                    page_id: page,
                    sentence_index: sidx,
                    qid: s(col::QID),
                    surface: s(col::SURFACE),
                    source: s(col::SOURCE),
                    entity_type: s(col::ENTITY_TYPE),
                    char_start: u(col::CHAR_START),
                    char_end: u(col::CHAR_END),
                    token_start: u(col::TOKEN_START),
                    token_end: u(col::TOKEN_END),
                });
            })?;
            let toks = b.column_by_name(col::TOKENS).expect("read").as_list::<i32>().value(i);
            let toks = toks.as_string::<i32>();
            let sentence = SentenceRecord {
                page_id: page,
                sentence_index: sidx,
                text: str_col(b, col::TEXT).value(i).to_string(),
                tokens: (0..toks.len()).map(|j| toks.value(j).to_string()).collect(),
                token_starts: Vec::new(),
                token_ends: Vec::new(),
                anchors: Vec::new(),
            };
            let rev = revs.get(&page).copied().unwrap_or(-1);
            g.add(this, Arc::new(sentence), Arc::new(ms), rev, &dump)
        })?;
    }
    Ok(())
}
