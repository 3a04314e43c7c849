//! MTB hard negatives: for each bag, the bags that share its head or its tail but not both,
//! the `cap` smallest pair ids.
//!
//! The bags sharing a head (a tail) are one sorted list; a bag's negatives are the merge of
//! its head's and its tail's lists, skipping its own pair, stopped at `cap`: O(cap) per bag
//! (plus a few skipped bags of the same pair under other relations), so a hub shared by
//! 10^6 bags costs no more per bag than a rare item. Building every bag's full neighbour set
//! first, as the earlier code did, is quadratic in a hub's degree.

/// Bag ids grouped by a key (the head or the tail), each group ascending.
struct Groups {
    /// Bag ids ordered by (key, id).
    order: Vec<u32>,
}

impl Groups {
    fn new(keys: &[u32]) -> Self {
        let mut order: Vec<u32> = (0..keys.len() as u32).collect();
        order.sort_unstable_by_key(|&i| (keys[i as usize], i));
        Groups { order }
    }

    /// The ascending bag ids whose key is `key`.
    fn of(&self, keys: &[u32], key: u32) -> &[u32] {
        let lo = self.order.partition_point(|&i| keys[i as usize] < key);
        let hi = self.order.partition_point(|&i| keys[i as usize] <= key);
        &self.order[lo..hi]
    }
}

/// The bags' heads and tails (any integer keys: item numbers or interned ids), indexed by
/// pair id.
pub struct Neighbours<'a> {
    heads: &'a [u32],
    tails: &'a [u32],
    by_head: Groups,
    by_tail: Groups,
}

impl<'a> Neighbours<'a> {
    pub fn new(heads: &'a [u32], tails: &'a [u32]) -> Self {
        assert_eq!(heads.len(), tails.len());
        Neighbours { heads, tails, by_head: Groups::new(heads), by_tail: Groups::new(tails) }
    }

    /// Writes into `out` the at most `cap` smallest ids of the bags sharing bag `i`'s head
    /// or tail, not both.
    pub fn of(&self, i: usize, cap: usize, out: &mut Vec<i64>) {
        out.clear();
        let (h, t) = (self.heads[i], self.tails[i]);
        let a = self.by_head.of(self.heads, h);
        let b = self.by_tail.of(self.tails, t);
        let (mut x, mut y) = (0, 0);
        while out.len() < cap && (x < a.len() || y < b.len()) {
            let j = match (a.get(x), b.get(y)) {
                (Some(&p), Some(&q)) if p <= q => {
                    x += 1;
                    if p == q {
                        y += 1;
                    }
                    p
                }
                (Some(_), Some(&q)) => {
                    y += 1;
                    q
                }
                (Some(&p), None) => {
                    x += 1;
                    p
                }
                (None, Some(&q)) => {
                    y += 1;
                    q
                }
                (None, None) => unreachable!("loop condition"),
            };
            let j = j as usize;
            if self.heads[j] == h && self.tails[j] == t {
                continue; // the bag itself, or its pair under another relation
            }
            out.push(j as i64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The definition, quadratic: every bag sharing the head or the tail, not both.
    fn naive(heads: &[u32], tails: &[u32], i: usize, cap: usize) -> Vec<i64> {
        let set: BTreeSet<usize> = (0..heads.len())
            .filter(|&j| {
                let (sh, st) = (heads[j] == heads[i], tails[j] == tails[i]);
                (sh || st) && !(sh && st)
            })
            .collect();
        set.into_iter().take(cap).map(|j| j as i64).collect()
    }

    #[test]
    fn equals_the_definition_on_small_random_bags() {
        // A small deterministic generator (no rand dependency needed for this).
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |m: u32| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % m as u64) as u32
        };
        for round in 0..50 {
            let n = 1 + next(60) as usize;
            let keys = 1 + next(8);
            let heads: Vec<u32> = (0..n).map(|_| next(keys)).collect();
            let tails: Vec<u32> = (0..n).map(|_| next(keys)).collect();
            let nb = Neighbours::new(&heads, &tails);
            let mut out = Vec::new();
            for cap in [0, 1, 3, 64] {
                for i in 0..n {
                    nb.of(i, cap, &mut out);
                    assert_eq!(
                        out,
                        naive(&heads, &tails, i, cap),
                        "round {round} bag {i} cap {cap}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_hub_tail_of_200000_bags_costs_o_cap_per_bag() {
        // One tail (a country) shared by 200,000 bags with distinct heads, plus a few bags
        // sharing heads: every bag gets at most 64 negatives, all sharing its head or tail.
        let n = 200_000u32;
        let mut heads: Vec<u32> = (0..n).collect();
        let mut tails: Vec<u32> = vec![1_000_000; n as usize];
        heads.extend([0, 1, 2]);
        tails.extend([7, 8, 9]);
        let start = std::time::Instant::now();
        let nb = Neighbours::new(&heads, &tails);
        let mut out = Vec::new();
        let mut total = 0usize;
        for i in 0..heads.len() {
            nb.of(i, 64, &mut out);
            assert!(out.len() <= 64);
            for &j in &out {
                let j = j as usize;
                assert!(heads[j] == heads[i] || tails[j] == tails[i], "bag {i} neg {j}");
                assert!(!(heads[j] == heads[i] && tails[j] == tails[i]));
            }
            assert!(out.windows(2).all(|w| w[0] < w[1]));
            total += out.len();
        }
        // Hub bags: 64 each; the 3 extra bags: the hub bag sharing their head.
        assert_eq!(total, 200_000 * 64 + 3);
        // Seconds, not the hours the quadratic set needs (a loose bound: debug builds too).
        assert!(start.elapsed().as_secs() < 30, "{:?}", start.elapsed());
    }
}
