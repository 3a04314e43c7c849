//! Pass over the linked sentences: every ordered pair of distinct linked items of a sentence
//! that could hold a claim, as one compact row of a temporary Parquet file that the polars
//! plan joins with the claims.
//!
//! A sentence's pairs are cut to heads and tails of some usable claim (two bit sets) before
//! they are written, so the file holds the co-mentions that can matter, not every one.
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Int64Array, RecordBatch, UInt32Array, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::claims::{pair_key, Claims};
use super::cursor::{each_sentence, join_tokens, str_col, u32_col, MentionCursor};
use super::exclude::Exclusions;
use super::Stats;
use crate::error::StageError;
use schemas::col;
use schemas::Qid;

const FLUSH: usize = 64 * 1024;

/// The columns of the candidate file (also the polars plan's input).
fn schema() -> Arc<Schema> {
    let u32f = |n: &str| Field::new(n, DataType::UInt32, false);
    let b = |n: &str| Field::new(n, DataType::Boolean, false);
    Arc::new(Schema::new(vec![
        Field::new("seq", DataType::UInt64, false),
        Field::new("ht", DataType::UInt64, false),
        u32f("h"),
        u32f("t"),
        Field::new("page", DataType::Int64, false),
        u32f("sidx"),
        u32f("hs"),
        u32f("ts"),
        u32f("hi"),
        u32f("ti"),
        b("same_name"),
        b("overlap"),
        b("excluded"),
    ]))
}

#[derive(Default)]
struct Columns {
    seq: Vec<u64>,
    ht: Vec<u64>,
    h: Vec<u32>,
    t: Vec<u32>,
    page: Vec<i64>,
    sidx: Vec<u32>,
    hs: Vec<u32>,
    ts: Vec<u32>,
    hi: Vec<u32>,
    ti: Vec<u32>,
    same: Vec<bool>,
    overlap: Vec<bool>,
    excluded: Vec<bool>,
}

impl Columns {
    fn take_batch(&mut self) -> Result<RecordBatch, StageError> {
        let c = std::mem::take(self);
        let u = |v: Vec<u32>| Arc::new(UInt32Array::from(v)) as ArrayRef;
        let b = |v: Vec<bool>| Arc::new(BooleanArray::from(v)) as ArrayRef;
        Ok(RecordBatch::try_new(
            schema(),
            vec![
                Arc::new(UInt64Array::from(c.seq)),
                Arc::new(UInt64Array::from(c.ht)),
                u(c.h),
                u(c.t),
                Arc::new(Int64Array::from(c.page)),
                u(c.sidx),
                u(c.hs),
                u(c.ts),
                u(c.hi),
                u(c.ti),
                b(c.same),
                b(c.overlap),
                b(c.excluded),
            ],
        )?)
    }
}

/// One mention of the current sentence; its strings live in the sentence's arena.
struct Ment {
    qid: (usize, usize),
    item: Option<Qid>,
    surface: (usize, usize),
    cs: u32,
    ce: u32,
    index: u32,
}

/// Case-insensitive name equality as `str::to_lowercase` defines it, without allocating for
/// ASCII names.
pub fn same_name(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// Writes `path` with the candidate pairs of every sentence of `sentences` (directories, in
/// order), walking `mentions` alongside; fills the sentence counts of `stats`. Returns the
/// sequence number of each directory's first sentence, and the number of candidate rows.
pub fn write(
    path: &Path,
    sentences: &[PathBuf],
    mentions: &[PathBuf],
    claims: &Claims,
    ex: &Exclusions,
    stats: &mut Stats,
) -> Result<(Vec<u64>, u64), StageError> {
    let pq = |e: parquet::errors::ParquetError| StageError::Invalid {
        path: path.to_path_buf(),
        msg: e.to_string(),
    };
    let file = File::create(path).map_err(|e| StageError::io(path, e))?;
    // zstd is the codec the workspace builds (level 1: fast; the file is read once).
    let level = parquet::basic::ZstdLevel::try_new(1).map_err(pq)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(level))
        .set_max_row_group_row_count(Some(FLUSH))
        .build();
    let mut w = ArrowWriter::try_new(file, schema(), Some(props)).map_err(pq)?;
    let mut cols = Columns::default();
    let mut cursor =
        MentionCursor::open(mentions, &[col::QID, col::SURFACE, col::CHAR_START, col::CHAR_END])?;
    let tokens_needed = !ex.token_seqs.is_empty();
    let sent_cols: &[&str] = if tokens_needed { &[col::TOKENS] } else { &[] };
    let (mut arena, mut ments, mut firsts, mut joined) =
        (String::new(), Vec::<Ment>::new(), Vec::<usize>::new(), String::new());
    let mut seq = 0u64;
    let mut starts = Vec::with_capacity(sentences.len());
    let mut rows = 0u64;
    for dir in sentences {
        starts.push(seq);
        each_sentence(dir, sent_cols, |b, i, page, sidx| {
            let this = seq;
            seq += 1;
            stats.sentences_read += 1;
            arena.clear();
            ments.clear();
            cursor.take(page, sidx, |(mb, j)| {
                let q = str_col(mb, col::QID).value(j);
                let s = str_col(mb, col::SURFACE).value(j);
                let qr = (arena.len(), arena.len() + q.len());
                arena.push_str(q);
                let sr = (arena.len(), arena.len() + s.len());
                arena.push_str(s);
                ments.push(Ment {
                    qid: qr,
                    item: q.parse().ok(),
                    surface: sr,
                    cs: u32_col(mb, col::CHAR_START).value(j),
                    ce: u32_col(mb, col::CHAR_END).value(j),
                    index: ments.len() as u32,
                });
            })?;
            // One endpoint per entity: its first mention (mentions come sorted by position).
            let text = |r: (usize, usize)| &arena[r.0..r.1];
            firsts.clear();
            for (k, m) in ments.iter().enumerate() {
                if !firsts.iter().any(|&f| text(ments[f].qid) == text(m.qid)) {
                    firsts.push(k);
                }
            }
            if firsts.len() < 2 {
                return Ok(());
            }
            stats.sentences_with_two_entities += 1;
            let mut tokens_excluded = None;
            for &a in &firsts {
                for &c in &firsts {
                    let (h, t) = (&ments[a], &ments[c]);
                    if a == c {
                        continue;
                    }
                    let (Some(hq), Some(tq)) = (h.item, t.item) else { continue };
                    if !claims.heads.contains(hq) || !claims.tails.contains(tq) {
                        continue;
                    }
                    let tok = *tokens_excluded.get_or_insert_with(|| {
                        tokens_needed && {
                            join_tokens(b, col::TOKENS, i, &mut joined);
                            ex.excludes_tokens(&joined)
                        }
                    });
                    cols.seq.push(this);
                    cols.ht.push(pair_key(hq.get(), tq.get()));
                    cols.h.push(hq.get());
                    cols.t.push(tq.get());
                    cols.page.push(page);
                    cols.sidx.push(sidx);
                    cols.hs.push(h.cs);
                    cols.ts.push(t.cs);
                    cols.hi.push(h.index);
                    cols.ti.push(t.index);
                    cols.same.push(same_name(text(h.surface), text(t.surface)));
                    cols.overlap.push(h.cs < t.ce && t.cs < h.ce);
                    cols.excluded.push(tok || ex.excludes_pair(hq, tq));
                }
            }
            if cols.seq.len() >= FLUSH {
                rows += cols.seq.len() as u64;
                w.write(&cols.take_batch()?).map_err(pq)?;
            }
            Ok(())
        })?;
    }
    cursor.finish()?;
    rows += cols.seq.len() as u64;
    w.write(&cols.take_batch()?).map_err(pq)?;
    w.close().map_err(pq)?;
    Ok((starts, rows))
}

/// The distinct item pairs ([`pair_key`]) of the candidate file, ascending.
pub fn distinct_pairs(path: &Path) -> Result<Vec<u64>, StageError> {
    use arrow::array::AsArray;
    use arrow::datatypes::UInt64Type;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::ProjectionMask;
    let pq = |e: parquet::errors::ParquetError| StageError::Invalid {
        path: path.to_path_buf(),
        msg: e.to_string(),
    };
    let file = File::open(path).map_err(|e| StageError::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(pq)?;
    let mask = ProjectionMask::roots(builder.parquet_schema(), [1]);
    let mut out = Vec::new();
    for b in builder.with_projection(mask).with_batch_size(FLUSH).build().map_err(pq)? {
        out.extend_from_slice(b?.column(0).as_primitive::<UInt64Type>().values());
        if out.len() > 2 * FLUSH {
            // Keep the buffer near the distinct count, not the row count.
            out.sort_unstable();
            out.dedup();
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_as_lowercase_strings() {
        for (a, b) in [("Paris", "paris"), ("ÉCOLE", "école"), ("İstanbul", "i̇stanbul")] {
            assert_eq!(same_name(a, b), a.to_lowercase() == b.to_lowercase(), "{a} {b}");
        }
        assert!(same_name("Paris", "PARIS"));
        assert!(!same_name("Paris", "Parish"));
    }
}
