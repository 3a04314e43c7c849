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
use schemas::col;
use schemas::tables::{CLAIMS, MENTIONS};
use schemas::{open_table_columns, Qid};

const BATCH: usize = 8 * 1024;

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
        for b in open_table_columns(f, MENTIONS, BATCH, &[col::QID])? {
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

/// The join key of an item pair: head and tail numbers in one `u64` (a one-column join key
/// hashes to a smaller table than two columns, which polars row-encodes).
pub fn pair_key(h: u32, t: u32) -> u64 {
    (u64::from(h) << 32) | u64::from(t)
}

/// The usable claims, one per distinct (head, rel, tail), sorted.
pub struct Claims {
    /// ([`pair_key`], property number) of each claim, ascending: 16 bytes a claim, the
    /// only per-claim memory of the stage (allocated once, at the file's row count).
    claims: Vec<(u64, u32)>,
    excluded_relations: HashSet<u32>,
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
    let (mut heads, mut tails) = (QidSet::default(), QidSet::default());
    let mut read = 0u64;
    let reader = open_table_columns(path, CLAIMS, BATCH, &[col::HEAD, col::PROPERTY, col::TAIL])?;
    let mut claims: Vec<(u64, u32)> = Vec::with_capacity(reader.num_rows.max(0) as usize);
    for b in reader {
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
            claims.push((pair_key(hq.get(), tq.get()), pn));
        }
    }
    // Distinct (h, t, rel): a claim stated twice (other qualifiers, references) is one row.
    // Sorted in place here rather than by a polars `unique`, which hashes every row (~190
    // bytes a claim measured, against 16 here).
    claims.sort_unstable();
    claims.dedup();
    claims.shrink_to_fit();
    let excluded_relations = excluded_relations.clone();
    Ok(Claims { claims, excluded_relations, heads, tails, read })
}

impl Claims {
    pub fn len(&self) -> usize {
        self.claims.len()
    }

    /// The claims of the item pairs in `wanted` (ascending, distinct: the pairs co-mentioned
    /// in some sentence) as the polars frame the plan joins: columns `ht` ([`pair_key`]),
    /// `rel` (the property number) and `exrel` (the relation is in `--exclude-relations`).
    /// Cut to co-mentioned pairs, the join's table is a few claims per dataset row rather
    /// than every claim among mentioned items (~60 bytes each in a polars hash table).
    pub fn frame_for(&self, wanted: &[u64]) -> PolarsResult<DataFrame> {
        let (mut ht, mut rel, mut ex) = (Vec::new(), Vec::new(), Vec::new());
        let mut w = 0;
        for &(p, r) in &self.claims {
            while w < wanted.len() && wanted[w] < p {
                w += 1;
            }
            if wanted.get(w) == Some(&p) {
                ht.push(p);
                rel.push(r);
                ex.push(self.excluded_relations.contains(&r));
            }
        }
        df!("ht" => ht, "rel" => rel, "exrel" => ex)
    }
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
