//! Coarse spaCy-style entity types from Wikidata classes.
//!
//! `data/coarse_types.tsv` (versioned, see its header) lists root classes per type. An
//! entity's type is found by walking up from its P31 classes through P279 (subclass of)
//! edges, breadth first: the nearest root wins; at equal depth, the type listed first in the
//! table wins. The walk is capped at [`MAX_DEPTH`] levels because the upper class hierarchy is
//! very general (almost everything is eventually an "entity"). The class graph holds only the
//! items that have a P279 statement: a tiny part of the dump.
use std::collections::{HashMap, VecDeque};

/// Version of the root-class table and walk rules; bump when either changes.
pub const TYPE_TABLE_VERSION: u32 = 1;
/// Levels of P279 followed above an entity's P31 classes.
pub const MAX_DEPTH: usize = 6;
/// The type of entities no root is reached from.
pub const UNKNOWN: &str = "UNK";

const TABLE: &str = include_str!("../../data/coarse_types.tsv");

fn qnum(id: &str) -> Option<u64> {
    id.strip_prefix('Q')?.parse().ok()
}

/// Root classes -> (type, priority), parsed from the bundled table.
pub struct TypeTable {
    roots: HashMap<u64, (usize, &'static str)>,
}

impl Default for TypeTable {
    fn default() -> Self {
        let mut roots = HashMap::new();
        let mut order: Vec<&'static str> = Vec::new();
        for line in TABLE.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let mut cols = line.split('\t');
            let (Some(ty), Some(q)) = (cols.next(), cols.next()) else { continue };
            let prio = order.iter().position(|t| *t == ty).unwrap_or_else(|| {
                order.push(ty);
                order.len() - 1
            });
            if let Some(n) = qnum(q) {
                roots.entry(n).or_insert((prio, ty));
            }
        }
        TypeTable { roots }
    }
}

/// The P279 graph and memoised class types.
#[derive(Default)]
pub struct ClassGraph {
    supers: HashMap<u64, Vec<u64>>,
}

impl ClassGraph {
    pub fn add(&mut self, class: &str, superclasses: &[String]) {
        if let Some(c) = qnum(class) {
            let ups: Vec<u64> = superclasses.iter().filter_map(|s| qnum(s)).collect();
            if !ups.is_empty() {
                self.supers.entry(c).or_default().extend(ups);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.supers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.supers.is_empty()
    }
}

/// Resolves types, caching the answer per set of P31 classes' members.
pub struct TypeResolver<'g> {
    table: TypeTable,
    graph: &'g ClassGraph,
    cache: HashMap<u64, Option<(usize, usize, &'static str)>>,
}

impl<'g> TypeResolver<'g> {
    pub fn new(graph: &'g ClassGraph) -> Self {
        TypeResolver { table: TypeTable::default(), graph, cache: HashMap::new() }
    }

    /// (depth, priority, type) of the nearest root above `class` (depth 0 = the class itself).
    fn class_type(&mut self, class: u64) -> Option<(usize, usize, &'static str)> {
        if let Some(hit) = self.cache.get(&class) {
            return *hit;
        }
        let mut best: Option<(usize, usize, &'static str)> = None;
        let mut seen = std::collections::HashSet::from([class]);
        let mut queue = VecDeque::from([(class, 0usize)]);
        while let Some((c, depth)) = queue.pop_front() {
            if best.is_some_and(|b| b.0 < depth) {
                break;
            }
            if let Some(&(prio, ty)) = self.table.roots.get(&c) {
                if best.is_none_or(|b| (depth, prio) < (b.0, b.1)) {
                    best = Some((depth, prio, ty));
                }
                continue;
            }
            if depth >= MAX_DEPTH {
                continue;
            }
            for &up in self.graph.supers.get(&c).map(Vec::as_slice).unwrap_or(&[]) {
                if seen.insert(up) {
                    queue.push_back((up, depth + 1));
                }
            }
        }
        self.cache.insert(class, best);
        best
    }

    /// The coarse type of an entity with these P31 classes.
    pub fn entity_type(&mut self, instance_of: &[String]) -> &'static str {
        instance_of
            .iter()
            .filter_map(|q| qnum(q))
            .filter_map(|c| self.class_type(c))
            .min_by_key(|&(d, p, _)| (d, p))
            .map(|(_, _, ty)| ty)
            .unwrap_or(UNKNOWN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn nearest_root_wins_then_table_order() {
        let mut g = ClassGraph::default();
        // Q100 (capital of X) -> Q5119 capital (GPE) ; Q200 -> Q300 -> Q43229 organization
        g.add("Q100", &s(&["Q5119"]));
        g.add("Q200", &s(&["Q300"]));
        g.add("Q300", &s(&["Q43229"]));
        // Q400 is both a human subclass (depth 1) and under organization (depth 2)
        g.add("Q400", &s(&["Q5", "Q300"]));
        let mut r = TypeResolver::new(&g);
        assert_eq!(r.entity_type(&s(&["Q5"])), "PERSON");
        assert_eq!(r.entity_type(&s(&["Q100"])), "GPE");
        assert_eq!(r.entity_type(&s(&["Q200"])), "ORG");
        assert_eq!(r.entity_type(&s(&["Q400"])), "PERSON");
        assert_eq!(r.entity_type(&s(&["Q999"])), UNKNOWN);
        assert_eq!(r.entity_type(&[]), UNKNOWN);
        // Two direct roots: PERSON is listed before ORG.
        assert_eq!(r.entity_type(&s(&["Q43229", "Q5"])), "PERSON");
    }

    #[test]
    fn cycles_and_depth_cap_terminate() {
        let mut g = ClassGraph::default();
        g.add("Q1", &s(&["Q2"]));
        g.add("Q2", &s(&["Q1"]));
        let chain: Vec<String> = (10..20).map(|i| format!("Q{i}")).collect();
        for w in chain.windows(2) {
            g.add(&w[0], &s(&[&w[1]]));
        }
        g.add("Q19", &s(&["Q5"]));
        let mut r = TypeResolver::new(&g);
        assert_eq!(r.entity_type(&s(&["Q1"])), UNKNOWN);
        assert_eq!(r.entity_type(&s(&["Q10"])), UNKNOWN, "beyond MAX_DEPTH");
        assert_eq!(r.entity_type(&s(&["Q16"])), "PERSON");
    }
}
