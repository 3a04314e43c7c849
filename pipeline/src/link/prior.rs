//! The anchor prior as a contract table (`anchor_prior.parquet`: surface, qid, count).
//!
//! Linking needs, for every anchor text, how often it links to each item over the *whole*
//! input, so before this table every `link --shard` re-read every page. Now the prior is one
//! pass over the `text` and `anchors` columns only, per shard of pages (`pipeline prior --shard
//! I --of N`), and the shards' tables add up (`pipeline prior-merge`); `link --prior DIR` loads
//! the merged table and links just its own pages. Rows are sorted by surface then qid (bytes),
//! so equal inputs give byte-identical tables whatever the sharding.
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch, UInt64Array};
use arrow::datatypes::{Int64Type, UInt32Type};

use super::resolve::TitleResolver;
use crate::columns::strings;
use crate::error::StageError;
use schemas::col;
use schemas::tables::{ANCHOR_PRIOR, SENTENCES};
use schemas::{ParquetSink, Provenance, Qid, SinkOptions};

/// Counts `(anchor text, item)` over the anchors of `dirs`' sentences (only pages in `keep`
/// when given) whose target resolves to an item; `qid_of` names the resolved KB index.
pub(crate) fn count(
    dirs: &[PathBuf],
    resolver: &TitleResolver,
    keep: Option<&HashSet<i64>>,
    qid_of: impl Fn(u32) -> Qid,
) -> Result<linker::PriorBuilder, StageError> {
    let mut prior = linker::PriorBuilder::new();
    for dir in dirs {
        let path = dir.join(SENTENCES.file_name());
        let cols = [col::PAGE_ID, col::TEXT, col::ANCHORS];
        for b in schemas::open_table_columns(&path, SENTENCES, 8192, &cols)? {
            let b = b.map_err(StageError::from)?;
            let ids = b.column(0).as_primitive::<Int64Type>();
            let text = b.column(1).as_string::<i32>();
            let anchors = b.column(2).as_list::<i32>();
            for i in 0..b.num_rows() {
                if keep.is_some_and(|k| !k.contains(&ids.value(i))) {
                    continue;
                }
                let a = anchors.value(i);
                if a.is_empty() {
                    continue;
                }
                let a = a.as_struct();
                let target = a.column(0).as_string::<i32>();
                let cs = a.column(1).as_primitive::<UInt32Type>();
                let ce = a.column(2).as_primitive::<UInt32Type>();
                let chars: Vec<(usize, char)> = text.value(i).char_indices().collect();
                let s = text.value(i);
                let byte = |c: u32| chars.get(c as usize).map_or(s.len(), |&(b, _)| b);
                for j in 0..a.len() {
                    if let Ok((e, _)) = resolver.resolve(target.value(j)) {
                        let surface =
                            &s[byte(cs.value(j))..byte(ce.value(j)).max(byte(cs.value(j)))];
                        prior.add(surface, qid_of(e));
                    }
                }
            }
        }
    }
    Ok(prior)
}

/// Writes `prior` as `path` (sorted by surface, then qid).
pub(crate) fn write(
    path: &Path,
    prior: &linker::Prior,
    prov: &Provenance,
) -> Result<u64, StageError> {
    // Sorted by the strings as written, so the table's order is plain byte order.
    let mut rows: Vec<(&str, String, u32)> =
        prior.iter().map(|(s, q, n)| (s, q.to_string(), n)).collect();
    rows.sort_unstable();
    let mut sink = ParquetSink::create(path, ANCHOR_PRIOR, prov, &SinkOptions::default())?;
    for chunk in rows.chunks(1 << 16).chain(rows.is_empty().then_some(&rows[..])) {
        let batch = RecordBatch::try_new(
            ANCHOR_PRIOR.schema(),
            vec![
                strings(&chunk.iter().map(|r| r.0).collect::<Vec<_>>()),
                strings(&chunk.iter().map(|r| r.1.as_str()).collect::<Vec<_>>()),
                Arc::new(UInt64Array::from_iter_values(chunk.iter().map(|r| u64::from(r.2)))),
            ],
        )?;
        sink.write(&batch)?;
    }
    sink.finish()?;
    Ok(rows.len() as u64)
}

/// Adds the rows of the `anchor_prior` tables `paths` into one builder.
pub(crate) fn read(paths: &[PathBuf]) -> Result<linker::PriorBuilder, StageError> {
    let mut prior = linker::PriorBuilder::new();
    for path in paths {
        schemas::rows::for_each_prior_row(path, |s, qid, n| {
            prior.add_count(s, qid, u32::try_from(n).unwrap_or(u32::MAX))
        })?;
    }
    Ok(prior)
}
