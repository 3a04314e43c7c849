//! Epoch sampling of training pairs from the dataset's scope tables, as the original code
//! does, with a seeded RNG so that an epoch's pairs are the same on every machine and after a
//! resume.
//!
//! CP: each relation's rows are shuffled and cut into consecutive pairs (a bag of N rows gives
//! N/2 pairs; an odd row out waits for the next epoch's shuffle); all pairs are then shuffled.
//! Every pair is a positive for its relation; the other relations in the same batch are its
//! negatives. Each row appears at most once per epoch.
//!
//! MTB: positives are two different rows of the same entity-pair bag; negatives are one row of
//! a bag and one row of a bag that shares its head or its tail (the `negatives` of
//! pairs.parquet), drawn 1:1.
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A relation's rows `[start, end)` of relation_instances.parquet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub start: i64,
    pub end: i64,
}

/// Two rows of the same relation, and the relation's index (its label in NT-Xent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpPair {
    pub a: i64,
    pub b: i64,
    pub relation: usize,
}

/// The RNG of epoch `epoch` of a run seeded with `seed`.
pub fn epoch_rng(seed: u64, epoch: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// The CP pairs of one epoch, in training order.
pub fn cp_epoch(relations: &[Scope], seed: u64, epoch: u64) -> Vec<CpPair> {
    let mut rng = epoch_rng(seed, epoch);
    let mut pairs = Vec::new();
    for (r, s) in relations.iter().enumerate() {
        let mut rows: Vec<i64> = (s.start..s.end).collect();
        rows.shuffle(&mut rng);
        pairs.extend(rows.chunks_exact(2).map(|c| CpPair { a: c[0], b: c[1], relation: r }));
    }
    pairs.shuffle(&mut rng);
    pairs
}

/// An entity-pair bag of pairs.parquet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bag {
    pub start: i64,
    pub end: i64,
    /// Indices of bags sharing the head or the tail.
    pub negatives: Vec<usize>,
}

/// An MTB training pair: two rows and whether they share the entity pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MtbPair {
    pub a: i64,
    pub b: i64,
    pub positive: bool,
}

/// The MTB pairs of one epoch: for every bag with at least two rows, one positive (two
/// different rows) and, when it has hard negatives, one negative; then shuffled. Only the
/// first `max_per_pair` rows of a bag are used (the original caps bags at 8 sentences).
pub fn mtb_epoch(bags: &[Bag], max_per_pair: usize, seed: u64, epoch: u64) -> Vec<MtbPair> {
    let mut rng = epoch_rng(seed, epoch);
    let mut out = Vec::new();
    let cap = max_per_pair.max(2) as i64;
    for bag in bags {
        let n = (bag.end - bag.start).min(cap);
        if n < 2 {
            continue;
        }
        let i = rng.random_range(0..n);
        let j = (i + rng.random_range(1..n)) % n;
        out.push(MtbPair { a: bag.start + i, b: bag.start + j, positive: true });
        if let Some(&other) = bag.negatives.choose(&mut rng) {
            let o = &bags[other];
            if o.end > o.start {
                let a = bag.start + rng.random_range(0..n);
                let b = o.start + rng.random_range(0..(o.end - o.start).min(cap));
                out.push(MtbPair { a, b, positive: false });
            }
        }
    }
    out.shuffle(&mut rng);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn scopes() -> Vec<Scope> {
        vec![Scope { start: 0, end: 7 }, Scope { start: 7, end: 8 }, Scope { start: 8, end: 20 }]
    }

    #[test]
    fn cp_pairs_cover_each_row_at_most_once_within_its_relation() {
        for epoch in 0..5 {
            let pairs = cp_epoch(&scopes(), 42, epoch);
            assert_eq!(pairs.len(), 7 / 2 + 12 / 2, "a bag of N gives N/2 pairs");
            let mut seen = HashSet::new();
            for p in &pairs {
                let s = scopes()[p.relation];
                for row in [p.a, p.b] {
                    assert!((s.start..s.end).contains(&row));
                    assert!(seen.insert(row), "row {row} twice in epoch {epoch}");
                }
            }
        }
    }

    #[test]
    fn cp_epochs_are_seeded_and_differ() {
        assert_eq!(cp_epoch(&scopes(), 42, 3), cp_epoch(&scopes(), 42, 3));
        assert_ne!(cp_epoch(&scopes(), 42, 3), cp_epoch(&scopes(), 42, 4));
        assert_ne!(cp_epoch(&scopes(), 42, 3), cp_epoch(&scopes(), 43, 3));
    }

    #[test]
    fn mtb_uses_at_most_max_per_pair_rows_of_a_bag() {
        let bags = vec![Bag { start: 0, end: 100, negatives: vec![] }];
        for epoch in 0..50 {
            for p in mtb_epoch(&bags, 8, 1, epoch) {
                assert!(p.a < 8 && p.b < 8, "{p:?}");
            }
        }
    }

    #[test]
    fn mtb_positives_share_a_bag_and_negatives_come_from_neighbours() {
        let bags = vec![
            Bag { start: 0, end: 3, negatives: vec![1] },
            Bag { start: 3, end: 5, negatives: vec![0] },
            Bag { start: 5, end: 6, negatives: vec![] },
        ];
        let bag_of = |row: i64| bags.iter().position(|b| (b.start..b.end).contains(&row)).unwrap();
        let pairs = mtb_epoch(&bags, 8, 7, 0);
        assert_eq!(pairs.iter().filter(|p| p.positive).count(), 2);
        assert_eq!(pairs.iter().filter(|p| !p.positive).count(), 2, "1:1");
        for p in pairs {
            assert_ne!(p.a, p.b);
            if p.positive {
                assert_eq!(bag_of(p.a), bag_of(p.b));
            } else {
                assert!(bags[bag_of(p.a)].negatives.contains(&bag_of(p.b)));
            }
        }
    }
}
