//! Which item an ambiguous name means.
//!
//! A name carried by several items is resolved, in this order, by:
//! 1. the page's own entity, if it is a candidate (a page keeps talking about its subject);
//! 2. the entities linked elsewhere on the page, if exactly one candidate is among them (the
//!    editor linked the item once and then wrote its name bare, as Wikipedia style asks);
//! 3. the anchor prior: how often this exact surface links to each candidate across the dump.
//!
//! When none of these decides, the name stays ambiguous and is not linked: a wrong link costs a
//! relation dataset more than a missing one.

use std::collections::{HashMap, HashSet};

use schemas::Qid;

/// How a mention's item was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolution {
    /// The name belongs to one item only.
    Unique,
    /// Several items carry the name; one of them is the page's own entity.
    PageEntity,
    /// Several items carry the name; exactly one of them is linked elsewhere on the page.
    PageAnchors,
    /// Several items carry the name; the anchor prior of the surface picks one.
    Prior,
}

impl Resolution {
    /// Lower-case name for output columns and stats.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unique => "unique",
            Self::PageEntity => "page_entity",
            Self::PageAnchors => "page_anchors",
            Self::Prior => "prior",
        }
    }
}

/// What the page tells about its sentences' entities.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageContext {
    /// The page's own item (from its title's sitelink), if any.
    pub page_entity: Option<Qid>,
    /// Items linked by anchors anywhere on the page (all sentences).
    pub anchored_entities: HashSet<Qid>,
}

/// Thresholds of the anchor-prior rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriorThresholds {
    /// The top candidate needs at least this share of *all* anchor links of the surface
    /// (including links to items that are not candidates). 0.5 by default: the surface must link
    /// to that item at least as often as to everything else together.
    pub min_share: f64,
    /// ... and at least this many links, so one stray link decides nothing. 2 by default.
    pub min_count: u32,
}

impl Default for PriorThresholds {
    fn default() -> Self {
        Self { min_share: 0.5, min_count: 2 }
    }
}

/// Counts of `(surface, qid)` anchor observations, while they are being collected.
///
/// Shards of the dump can each fill a builder; [`PriorBuilder::merge`] adds them up.
#[derive(Debug, Clone, Default)]
pub struct PriorBuilder {
    counts: HashMap<Box<str>, HashMap<Qid, u32>>,
}

impl PriorBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one anchor whose text is `surface` and whose target is `qid`.
    pub fn add(&mut self, surface: &str, qid: Qid) {
        self.add_count(surface, qid, 1);
    }

    /// Records `n` such anchors at once (e.g. when reloading a saved prior).
    pub fn add_count(&mut self, surface: &str, qid: Qid, n: u32) {
        if surface.is_empty() || n == 0 {
            return;
        }
        let per_qid = match self.counts.get_mut(surface) {
            Some(m) => m,
            None => self.counts.entry(surface.into()).or_default(),
        };
        let c = per_qid.entry(qid).or_insert(0);
        *c = c.saturating_add(n);
    }

    /// Adds the counts of another shard.
    pub fn merge(&mut self, other: PriorBuilder) {
        for (surface, per_qid) in other.counts {
            let mine = self.counts.entry(surface).or_default();
            for (qid, n) in per_qid {
                let c = mine.entry(qid).or_insert(0);
                *c = c.saturating_add(n);
            }
        }
    }

    /// Freezes the counts for lookups.
    pub fn build(self) -> Prior {
        let by_surface = self
            .counts
            .into_iter()
            .map(|(surface, per_qid)| {
                let mut targets: Vec<(Qid, u32)> = per_qid.into_iter().collect();
                // Most linked first; ties by qid so the order is deterministic.
                targets.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                let total = targets.iter().map(|t| u64::from(t.1)).sum();
                (surface, SurfaceCounts { total, targets: targets.into_boxed_slice() })
            })
            .collect();
        Prior { by_surface }
    }
}

#[derive(Debug, Clone)]
struct SurfaceCounts {
    total: u64,
    targets: Box<[(Qid, u32)]>,
}

/// How often each anchor surface links to each item, over the whole dump.
#[derive(Debug, Clone, Default)]
pub struct Prior {
    by_surface: HashMap<Box<str>, SurfaceCounts>,
}

impl Prior {
    /// A prior with no observations (the prior rule then never decides).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Number of distinct surfaces.
    pub fn len(&self) -> usize {
        self.by_surface.len()
    }

    /// Whether no anchor was observed.
    pub fn is_empty(&self) -> bool {
        self.by_surface.is_empty()
    }

    /// Links from `surface` to `qid`.
    pub fn count(&self, surface: &str, qid: Qid) -> u32 {
        self.by_surface
            .get(surface)
            .and_then(|s| s.targets.iter().find(|t| t.0 == qid))
            .map_or(0, |t| t.1)
    }

    /// All links from `surface`, to any item.
    pub fn total(&self, surface: &str) -> u64 {
        self.by_surface.get(surface).map_or(0, |s| s.total)
    }

    /// Every `(surface, qid, count)`, e.g. to save the prior and reload it with
    /// [`PriorBuilder::add_count`]. Order is unspecified.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Qid, u32)> + '_ {
        self.by_surface.iter().flat_map(|(s, c)| c.targets.iter().map(move |&(q, n)| (&**s, q, n)))
    }

    /// Back to a builder, to merge more shards in.
    pub fn into_builder(self) -> PriorBuilder {
        let mut b = PriorBuilder::new();
        for (surface, c) in self.by_surface {
            b.counts.insert(surface, c.targets.into_vec().into_iter().collect());
        }
        b
    }

    /// The candidate the prior picks for `surface`, if it passes the thresholds and is strictly
    /// ahead of every other candidate.
    fn pick(&self, surface: &str, candidates: &[Qid], t: &PriorThresholds) -> Option<Qid> {
        let counts = self.by_surface.get(surface)?;
        let mut best: Option<(Qid, u32)> = None;
        let mut second = 0u32;
        for &c in candidates {
            let n = counts.targets.iter().find(|t| t.0 == c).map_or(0, |t| t.1);
            match best {
                Some((_, b)) if n > b => {
                    second = b;
                    best = Some((c, n));
                }
                Some(_) => second = second.max(n),
                None => best = Some((c, n)),
            }
        }
        let (qid, n) = best?;
        let share = f64::from(n) / counts.total.max(1) as f64;
        (n > second && n >= t.min_count && share >= t.min_share).then_some(qid)
    }
}

/// Chooses the item meant by `surface`, given all items that carry the name.
///
/// One candidate is linked directly. Several go through the rules in the module docs. Returns
/// `None` when the name stays ambiguous (or there is no candidate).
pub fn resolve(
    surface: &str,
    candidates: &[Qid],
    page: &PageContext,
    prior: &Prior,
    thresholds: &PriorThresholds,
) -> Option<(Qid, Resolution)> {
    match candidates {
        [] => return None,
        [only] => return Some((*only, Resolution::Unique)),
        _ => {}
    }
    if let Some(page_qid) = page.page_entity {
        if let Some(&c) = candidates.iter().find(|&&c| c == page_qid) {
            return Some((c, Resolution::PageEntity));
        }
    }
    let mut anchored = candidates.iter().filter(|&&c| page.anchored_entities.contains(&c));
    if let (Some(&c), None) = (anchored.next(), anchored.next()) {
        return Some((c, Resolution::PageAnchors));
    }
    prior.pick(surface, candidates, thresholds).map(|c| (c, Resolution::Prior))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Qid {
        s.parse().expect("test qid")
    }

    fn qs(v: &[&str]) -> Vec<Qid> {
        v.iter().map(|s| q(s)).collect()
    }

    fn page(entity: Option<&str>, anchored: &[&str]) -> PageContext {
        PageContext {
            page_entity: entity.map(q),
            anchored_entities: qs(anchored).into_iter().collect(),
        }
    }

    fn prior(obs: &[(&str, &str, u32)]) -> Prior {
        let mut b = PriorBuilder::new();
        for &(s, id, n) in obs {
            b.add_count(s, q(id), n);
        }
        b.build()
    }

    #[test]
    fn rules_in_order() {
        let georgia_prior = prior(&[("Georgia", "Q230", 6), ("Georgia", "Q1428", 3)]);
        let split_prior = prior(&[("Georgia", "Q230", 4), ("Georgia", "Q1428", 4)]);
        let thin_prior = prior(&[("Georgia", "Q230", 1)]);
        let diluted = prior(&[("Georgia", "Q230", 4), ("Georgia", "Q9", 3), ("Georgia", "Q8", 3)]);
        let empty = Prior::empty();
        let both = &["Q230", "Q1428"][..];
        type Case<'a> =
            (&'a str, &'a [&'a str], PageContext, &'a Prior, Option<(&'a str, Resolution)>);
        let cases: Vec<Case> = vec![
            ("no candidate", &[], page(None, &[]), &empty, None),
            ("unique", &["Q5"], page(Some("Q1"), &[]), &empty, Some(("Q5", Resolution::Unique))),
            (
                "page entity first",
                both,
                page(Some("Q1428"), &["Q230"]),
                &georgia_prior,
                Some(("Q1428", Resolution::PageEntity)),
            ),
            (
                "one candidate anchored on the page",
                both,
                page(Some("Q99"), &["Q1428", "Q7"]),
                &georgia_prior,
                Some(("Q1428", Resolution::PageAnchors)),
            ),
            (
                "two candidates anchored: falls through to the prior",
                both,
                page(None, &["Q1428", "Q230"]),
                &georgia_prior,
                Some(("Q230", Resolution::Prior)),
            ),
            (
                "prior majority",
                both,
                page(None, &[]),
                &georgia_prior,
                Some(("Q230", Resolution::Prior)),
            ),
            ("prior tie stays ambiguous", both, page(None, &[]), &split_prior, None),
            ("prior below min_count", both, page(None, &[]), &thin_prior, None),
            ("prior below min_share", both, page(None, &[]), &diluted, None),
            ("no prior, no page evidence", both, page(None, &[]), &empty, None),
        ];
        let t = PriorThresholds::default();
        for (name, cands, ctx, pr, want) in cases {
            let want = want.map(|(id, how)| (q(id), how));
            assert_eq!(resolve("Georgia", &qs(cands), &ctx, pr, &t), want, "{name}");
        }
    }

    #[test]
    fn prior_is_per_exact_surface() {
        let p = prior(&[("Georgia", "Q230", 9)]);
        let t = PriorThresholds::default();
        assert_eq!(resolve("georgia", &qs(&["Q230", "Q1428"]), &page(None, &[]), &p, &t), None);
    }

    #[test]
    fn nan_threshold_never_links() {
        let p = prior(&[("Georgia", "Q230", 9)]);
        let t = PriorThresholds { min_share: f64::NAN, min_count: 2 };
        assert_eq!(resolve("Georgia", &qs(&["Q230", "Q1428"]), &page(None, &[]), &p, &t), None);
    }

    #[test]
    fn merge_adds_shards() {
        let mut a = PriorBuilder::new();
        a.add("Paris", q("Q90"));
        a.add("Paris", q("Q90"));
        let mut b = PriorBuilder::new();
        b.add("Paris", q("Q90"));
        b.add("Paris", q("Q167646"));
        b.add("", q("Q1"));
        a.merge(b);
        let p = a.build();
        assert_eq!((p.count("Paris", q("Q90")), p.total("Paris"), p.len()), (3, 4, 1));
        let mut again = p.clone().into_builder();
        again.add_count("Paris", q("Q90"), u32::MAX);
        let p2 = again.build();
        assert_eq!(p2.count("Paris", q("Q90")), u32::MAX);
        let mut rows: Vec<_> = p.iter().collect();
        rows.sort();
        assert_eq!(rows, vec![("Paris", q("Q90"), 3), ("Paris", q("Q167646"), 1)]);
    }
}
