//! The dataset's scope tables, read whole: relations.parquet (one row per relation, the
//! original rel2scope.json) and pairs.parquet (one row per entity-pair bag with its hard
//! negatives, the original entpair2scope.json + entpair2negpair.json). They index the
//! sentences and are small next to them.
use std::path::Path;

use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
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

/// Reads `dir/relations.parquet`.
pub fn relations(dir: &Path) -> Result<Vec<Relation>, TrainerError> {
    let path = dir.join("relations.parquet");
    let mut out = Vec::new();
    for batch in schemas::open_table(&path, RELATIONS, 8192)? {
        let batch = batch?;
        let ids = batch.column_by_name("relation").expect("schema-checked").as_string::<i32>();
        let (starts, ends) = (i64s(&batch, "row_start"), i64s(&batch, "row_end"));
        for i in 0..batch.num_rows() {
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
    let path = dir.join("pairs.parquet");
    let mut out = Vec::new();
    for batch in schemas::open_table(&path, PAIRS, 8192)? {
        let batch = batch?;
        let ids = i64s(&batch, "pair_id");
        let (starts, ends) = (i64s(&batch, "row_start"), i64s(&batch, "row_end"));
        let negs = batch.column_by_name("negatives").expect("schema-checked").as_list::<i32>();
        for i in 0..batch.num_rows() {
            if ids[i] != out.len() as i64 {
                return Err(TrainerError::Data {
                    path: path.clone(),
                    msg: format!("pair_id {} at position {}", ids[i], out.len()),
                });
            }
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
