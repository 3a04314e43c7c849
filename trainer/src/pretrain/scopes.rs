//! The dataset's scope tables, read whole: relations.parquet (one row per relation, the
//! original rel2scope.json) and pairs.parquet (one row per entity-pair bag with its hard
//! negatives, the original entpair2scope.json + entpair2negpair.json). They index the
//! sentences and are small next to them.
use std::path::Path;

use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use schemas::col;
use schemas::tables::{PAIRS, RELATIONS};

use super::sampler::{Bag, Scope};
use crate::error::TrainerError;

/// A relation and its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub id: String,
    pub scope: Scope,
}

fn i64s(batch: &arrow::record_batch::RecordBatch, name: &str) -> Vec<i64> {
    batch
        .column_by_name(name)
        .expect("schema-checked")
        .as_primitive::<Int64Type>()
        .values()
        .to_vec()
}

/// Checks the order the scope tables guarantee (their docs in `schemas`): the ranges are
/// non-empty and tile the rows, each starting where the one before ended, the first at 0.
fn next_range(
    path: &Path,
    what: impl std::fmt::Display,
    prev_end: &mut i64,
    (start, end): (i64, i64),
) -> Result<(), TrainerError> {
    if start != *prev_end || end <= start {
        return Err(TrainerError::Data {
            path: path.to_path_buf(),
            msg: format!("{what}: rows [{start}, {end}) do not follow the previous range's end {prev_end} (the table's order is broken)"),
        });
    }
    *prev_end = end;
    Ok(())
}

/// Reads `dir/relations.parquet`.
pub fn relations(dir: &Path) -> Result<Vec<Relation>, TrainerError> {
    let path = dir.join(schemas::tables::RELATIONS.file_name());
    let mut out = Vec::new();
    let mut prev_end = 0;
    for batch in schemas::open_table(&path, RELATIONS, 8192)? {
        let batch = batch?;
        let ids = batch.column_by_name(col::RELATION).expect("schema-checked").as_string::<i32>();
        let (starts, ends) = (i64s(&batch, col::ROW_START), i64s(&batch, col::ROW_END));
        for i in 0..batch.num_rows() {
            next_range(&path, ids.value(i), &mut prev_end, (starts[i], ends[i]))?;
            out.push(Relation {
                id: ids.value(i).to_string(),
                scope: Scope { start: starts[i], end: ends[i] },
            });
        }
    }
    Ok(out)
}

/// Reads `dir/pairs.parquet` into bags indexed by `pair_id`.
pub fn bags(dir: &Path) -> Result<Vec<Bag>, TrainerError> {
    let path = dir.join(schemas::tables::PAIRS.file_name());
    let mut out = Vec::new();
    let mut prev_end = 0;
    for batch in schemas::open_table(&path, PAIRS, 8192)? {
        let batch = batch?;
        let ids = i64s(&batch, col::PAIR_ID);
        let (starts, ends) = (i64s(&batch, col::ROW_START), i64s(&batch, col::ROW_END));
        let negs = batch.column_by_name(col::NEGATIVES).expect("schema-checked").as_list::<i32>();
        for i in 0..batch.num_rows() {
            if ids[i] != out.len() as i64 {
                return Err(TrainerError::Data {
                    path: path.clone(),
                    msg: format!("pair_id {} at position {}", ids[i], out.len()),
                });
            }
            next_range(
                &path,
                format_args!("pair_id {}", ids[i]),
                &mut prev_end,
                (starts[i], ends[i]),
            )?;
            let n = negs.value(i);
            let negatives =
                n.as_primitive::<Int64Type>().values().iter().map(|&v| v as usize).collect();
            out.push(Bag { start: starts[i], end: ends[i], negatives });
        }
    }
    let n = out.len();
    if let Some(bad) = out.iter().flat_map(|b| &b.negatives).find(|&&v| v >= n) {
        return Err(TrainerError::Data { path, msg: format!("negative pair_id {bad} >= {n}") });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ranges that tile the rows pass; a gap, an overlap or an empty range is refused.
    #[test]
    fn ranges_must_tile_the_rows_in_order() {
        let cases: [(&[(i64, i64)], bool); 5] = [
            (&[(0, 2), (2, 3), (3, 7)], true),
            (&[(1, 2)], false),         // does not start at 0
            (&[(0, 2), (3, 4)], false), // gap
            (&[(0, 2), (1, 4)], false), // overlap (or out of order)
            (&[(0, 2), (2, 2)], false), // empty
        ];
        for (ranges, ok) in cases {
            let mut end = 0;
            let got = ranges.iter().all(|&r| next_range(Path::new("p"), "r", &mut end, r).is_ok());
            assert_eq!(got, ok, "{ranges:?}");
        }
    }
}
