//! The claims the dataset can use, read column-wise and held as integers.
//!
//! A claim (head, property, tail) can only give a row if both items are mentioned in some
//! sentence, so the mentioned items are collected first (a bit set, one pass over the
//! `mentions` qid column) and `claims.parquet` is filtered on read against it: a semi-join
//! that leaves the claims among mentioned items, 12 bytes each, instead of every claim of the
//! dump as three strings (~330 bytes; the full dump has ~0.7B item-valued statements).
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use polars::prelude::*;

use super::qidset::QidSet;
use crate::error::StageError;
use schemas::tables::{CLAIMS, MENTIONS};
use schemas::{open_table_columns, Qid};

const BATCH: usize = 64 * 1024;

/// The number of a property id (`P131` -> 131).
pub fn pid_number(p: &str) -> Option<u32> {
    let digits = p.strip_prefix('P')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Items mentioned in any of the `mentions.parquet` files.
pub fn mentioned_items(files: &[PathBuf]) -> Result<QidSet, StageError> {
    let mut set = QidSet::default();
    for f in files {
        for b in open_table_columns(f, MENTIONS, BATCH, &["qid"])? {
            let b = b?;
            let q = b.column(0).as_string::<i32>();
            for i in 0..q.len() {
                if let Ok(q) = q.value(i).parse::<Qid>() {
                    set.insert(q);
                }
            }
        }
    }
    Ok(set)
}

/// The usable claims: columns `h`, `t`, `rel` (u32: item and property numbers) and `exrel`
/// (the relation is in `--exclude-relations`), one row per distinct (h, rel, t).
pub struct Claims {
    pub frame: DataFrame,
    /// Items that are the head / the tail of some usable claim: the candidate pairs of a
    /// sentence are cut to these before they are written.
    pub heads: QidSet,
    pub tails: QidSet,
    pub read: u64,
}

pub fn load(
    path: &Path,
    mentioned: &QidSet,
    excluded_relations: &HashSet<u32>,
) -> Result<Claims, StageError> {
    let (mut hs, mut ts, mut ps) = (Vec::new(), Vec::new(), Vec::new());
    let (mut heads, mut tails) = (QidSet::default(), QidSet::default());
    let mut read = 0u64;
    for b in open_table_columns(path, CLAIMS, BATCH, &["head", "property", "tail"])? {
        let b = b?;
        let (h, p, t) = (
            b.column(0).as_string::<i32>(),
            b.column(1).as_string::<i32>(),
            b.column(2).as_string::<i32>(),
        );
        read += b.num_rows() as u64;
        for i in 0..b.num_rows() {
            // Only item-to-item claims: a property page's claims (P17 P1629 Q6256) must not be
            // read as claims of the item with the same number.
            let (Ok(hq), Ok(tq)) = (h.value(i).parse::<Qid>(), t.value(i).parse::<Qid>()) else {
                continue;
            };
            if !mentioned.contains(hq) || !mentioned.contains(tq) {
                continue;
            }
            let Some(pn) = pid_number(p.value(i)) else { continue };
            heads.insert(hq);
            tails.insert(tq);
            hs.push(hq.get());
            ts.push(tq.get());
            ps.push(pn);
        }
    }
    let ex: Vec<bool> = ps.iter().map(|p| excluded_relations.contains(p)).collect();
    let pe = |e: PolarsError| StageError::Invalid { path: path.to_path_buf(), msg: e.to_string() };
    let frame = df!("h" => hs, "t" => ts, "rel" => ps, "exrel" => ex)
        .and_then(|f| f.unique_stable(None, UniqueKeepStrategy::First, None))
        .map_err(pe)?;
    Ok(Claims { frame, heads, tails, read })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_numbers() {
        assert_eq!(pid_number("P131"), Some(131));
        for bad in ["Q131", "P", "P1a", "p5", "P+1"] {
            assert_eq!(pid_number(bad), None, "{bad}");
        }
    }
}
