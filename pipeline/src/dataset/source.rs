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
use schemas::open_table_columns;
use schemas::tables::PAGES;

const MENTION_COLUMNS: [&str; 8] = [
    "qid",
    "surface",
    "source",
    "entity_type",
    "char_start",
    "char_end",
    "token_start",
    "token_end",
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
    let path = dir.join("pages.parquet");
    for b in open_table_columns(&path, PAGES, 64 * 1024, &["page_id", "revision_id"])? {
        let b = b?;
        let (ids, revs) = (i64_col(&b, "page_id"), i64_col(&b, "revision_id"));
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
        let cols: &[&str] = if used { &["text", "tokens"] } else { &[] };
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
                    qid: s("qid"),
                    surface: s("surface"),
                    source: s("source"),
                    entity_type: s("entity_type"),
                    char_start: u("char_start"),
                    char_end: u("char_end"),
                    token_start: u("token_start"),
                    token_end: u("token_end"),
                });
            })?;
            let toks = b.column_by_name("tokens").expect("read").as_list::<i32>().value(i);
            let toks = toks.as_string::<i32>();
            let sentence = SentenceRecord {
                page_id: page,
                sentence_index: sidx,
                text: str_col(b, "text").value(i).to_string(),
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
