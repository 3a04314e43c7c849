//! Typed rows read back from contract tables (small helpers over arrow downcasts), so stages
//! that consume another stage's Parquet do not each repeat the column plumbing.
use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Int64Type, UInt32Type};

use crate::error::StageError;
use schemas::col;
use schemas::open_table;
use schemas::tables::{PAGES, REDIRECTS, SENTENCES};

const BATCH: usize = 8192;

fn col<'a>(b: &'a RecordBatch, name: &str) -> &'a dyn Array {
    b.column_by_name(name).unwrap_or_else(|| panic!("column {name}")).as_ref()
}

fn strs(b: &RecordBatch, name: &str) -> Vec<String> {
    let a = col(b, name).as_string::<i32>();
    (0..a.len()).map(|i| a.value(i).to_string()).collect()
}

fn opt_strs(b: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let a = col(b, name).as_string::<i32>();
    (0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i).to_string())).collect()
}

fn str_lists(b: &RecordBatch, name: &str) -> Vec<Vec<String>> {
    let a = col(b, name).as_list::<i32>();
    (0..a.len())
        .map(|i| {
            let v = a.value(i);
            let v = v.as_string::<i32>();
            (0..v.len()).map(|j| v.value(j).to_string()).collect()
        })
        .collect()
}

fn u32_lists(b: &RecordBatch, name: &str) -> Vec<Vec<u32>> {
    let a = col(b, name).as_list::<i32>();
    (0..a.len()).map(|i| a.value(i).as_primitive::<UInt32Type>().values().to_vec()).collect()
}

fn i64s(b: &RecordBatch, name: &str) -> Vec<i64> {
    col(b, name).as_primitive::<Int64Type>().values().to_vec()
}

fn u32s(b: &RecordBatch, name: &str) -> Vec<u32> {
    col(b, name).as_primitive::<UInt32Type>().values().to_vec()
}

/// A row of `sentences`.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceRecord {
    pub page_id: i64,
    pub sentence_index: u32,
    pub text: String,
    pub tokens: Vec<String>,
    pub token_starts: Vec<u32>,
    pub token_ends: Vec<u32>,
    pub anchors: Vec<AnchorRecord>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AnchorRecord {
    pub target: String,
    pub char_start: u32,
    pub char_end: u32,
    pub token_start: u32,
    pub token_end: u32,
}

/// Streams `sentences.parquet` batch by batch.
pub fn sentences(
    path: &Path,
) -> Result<impl Iterator<Item = Result<Vec<SentenceRecord>, StageError>>, StageError> {
    Ok(open_table(path, SENTENCES, BATCH)?.map(|b| {
        let b = b?;
        let (ids, idx, text) =
            (i64s(&b, col::PAGE_ID), u32s(&b, col::SENTENCE_INDEX), strs(&b, col::TEXT));
        let (tokens, starts, ends) = (
            str_lists(&b, col::TOKENS),
            u32_lists(&b, col::TOKEN_STARTS),
            u32_lists(&b, col::TOKEN_ENDS),
        );
        let anchors = col(&b, col::ANCHORS).as_list::<i32>();
        let mut out = Vec::with_capacity(b.num_rows());
        for (i, (((((page_id, sentence_index), text), tokens), token_starts), token_ends)) in
            ids.into_iter().zip(idx).zip(text).zip(tokens).zip(starts).zip(ends).enumerate()
        {
            let a = anchors.value(i);
            let a = a.as_struct();
            let target = a.column(0).as_string::<i32>();
            let num = |k: usize| a.column(k).as_primitive::<UInt32Type>().values().to_vec();
            let (cs, ce, ts, te) = (num(1), num(2), num(3), num(4));
            let anchors = (0..a.len())
                .map(|j| AnchorRecord {
                    target: target.value(j).to_string(),
                    char_start: cs[j],
                    char_end: ce[j],
                    token_start: ts[j],
                    token_end: te[j],
                })
                .collect();
            out.push(SentenceRecord {
                page_id,
                sentence_index,
                text,
                tokens,
                token_starts,
                token_ends,
                anchors,
            });
        }
        Ok(out)
    }))
}

/// `redirects`: (title, target) pairs.
pub fn redirects(path: &Path) -> Result<Vec<(String, String)>, StageError> {
    let mut out = Vec::new();
    for b in open_table(path, REDIRECTS, BATCH)? {
        let b = b?;
        out.extend(strs(&b, col::TITLE).into_iter().zip(strs(&b, col::TARGET)));
    }
    Ok(out)
}

/// `pages`: page id -> (title, revision id).
pub fn pages(path: &Path) -> Result<Vec<(i64, String, i64)>, StageError> {
    let mut out = Vec::new();
    for b in open_table(path, PAGES, BATCH)? {
        let b = b?;
        let (ids, titles, revs) =
            (i64s(&b, col::PAGE_ID), strs(&b, col::TITLE), i64s(&b, col::REVISION_ID));
        out.extend(ids.into_iter().zip(titles).zip(revs).map(|((i, t), r)| (i, t, r)));
    }
    Ok(out)
}

/// A row of `mentions`.
#[derive(Debug, Clone, PartialEq)]
pub struct MentionRecord {
    pub page_id: i64,
    pub sentence_index: u32,
    pub qid: String,
    pub surface: String,
    pub source: String,
    pub entity_type: String,
    pub char_start: u32,
    pub char_end: u32,
    pub token_start: u32,
    pub token_end: u32,
}

/// `properties`: pid -> label.
pub fn property_labels(path: &Path) -> Result<Vec<(String, Option<String>)>, StageError> {
    let mut out = Vec::new();
    for b in open_table(path, schemas::tables::PROPERTIES, BATCH)? {
        let b = b?;
        out.extend(strs(&b, col::PID).into_iter().zip(opt_strs(&b, col::LABEL)));
    }
    Ok(out)
}
