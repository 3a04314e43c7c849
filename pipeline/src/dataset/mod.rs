//! Stage `dataset`: linked sentences + Wikidata claims -> relation instances ("bags").
//!
//! For each sentence and each ordered pair of distinct linked entities (h, t), every claim
//! (h, p, t) of the relation set gives a row. Pairs whose names are equal or whose spans
//! overlap are dropped (as the original CP preparation does); `--exclude` drops sentences
//! whose entity pair or exact token sequence occurs in evaluation data. Rows are sorted by
//! relation, entity pair, sentence, and written with the scope tables `relations.parquet`
//! (the original rel2scope.json) and `pairs.parquet` (entpair2scope + entpair2negpair).
//!
//! Scale note: rows are collected in memory before sorting (~1 KB each: about 1 GB for the
//! paper's 867k sentences); claims are held as interned id pairs.
pub mod exclude;
mod write;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::StageError;
use crate::records::{self, MentionRecord, SentenceRecord};
use exclude::Exclusions;
use schemas::Qid;

#[derive(Debug, Clone)]
pub struct Options {
    /// Directories of `link` outputs (mentions.parquet), in order: one, or the N shards of a
    /// sharded link run (this stage is then the final merge) ...
    pub link: Vec<PathBuf>,
    /// ... and of the `wikipedia` outputs they were computed from (sentences.parquet).
    pub sentences: Vec<PathBuf>,
    pub wikidata: PathBuf,
    pub out: PathBuf,
    pub exclude: Vec<PathBuf>,
    pub exclude_relations: Option<PathBuf>,
    pub min_bag: usize,
    pub max_per_pair: usize,
}

impl Options {
    pub fn new(link: &[PathBuf], sentences: &[PathBuf], wikidata: &Path, out: &Path) -> Self {
        Options {
            link: link.to_vec(),
            sentences: sentences.to_vec(),
            wikidata: wikidata.to_path_buf(),
            out: out.to_path_buf(),
            exclude: Vec::new(),
            exclude_relations: None,
            min_bag: 2,
            max_per_pair: 8,
        }
    }
}

#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Stats {
    pub sentences_read: u64,
    pub sentences_with_two_entities: u64,
    pub candidate_pairs: u64,
    pub pairs_dropped_same_name: u64,
    pub pairs_dropped_overlap: u64,
    pub rows_before_filters: u64,
    pub rows_dropped_excluded_pair_or_tokens: u64,
    pub rows_dropped_excluded_relation: u64,
    pub rows_dropped_max_per_pair: u64,
    pub rows_dropped_min_bag: u64,
    pub rows: u64,
    pub relations: u64,
    pub pairs: u64,
    pub relation_histogram: BTreeMap<String, u64>,
}

/// One linked entity of a sentence as a row endpoint.
#[derive(Debug, Clone)]
pub struct End {
    pub qid: String,
    pub name: String,
    pub ty: String,
    pub char_start: u32,
    pub char_end: u32,
    pub token_start: u32,
    pub token_end: u32,
}

impl End {
    fn from(m: &MentionRecord) -> Self {
        End {
            qid: m.qid.clone(),
            name: m.surface.clone(),
            ty: m.entity_type.clone(),
            char_start: m.char_start,
            char_end: m.char_end,
            token_start: m.token_start,
            token_end: m.token_end,
        }
    }
}

/// A dataset row before sorting.
#[derive(Debug, Clone)]
pub struct Row {
    pub relation: String,
    pub head: End,
    pub tail: End,
    pub sentence: std::sync::Arc<SentenceRecord>,
    pub mentions: std::sync::Arc<Vec<MentionRecord>>,
    pub revision_id: i64,
    pub dump: String,
}

fn pid_num(p: &str) -> u64 {
    p.get(1..).and_then(|n| n.parse().ok()).unwrap_or(u64::MAX)
}

/// The item an id names ("Q42"); anything else (a property's "P17", an imported id such as
/// `chemprot:...`) has none.
fn qnum(q: &str) -> Option<Qid> {
    q.parse().ok()
}

/// Sort key of an id: the item's number, ids that are not items last.
fn qkey(q: &str) -> u64 {
    qnum(q).map_or(u64::MAX, |q| u64::from(q.get()))
}

pub fn run(opts: &Options) -> Result<Stats, StageError> {
    std::fs::create_dir_all(&opts.out).map_err(|e| StageError::io(&opts.out, e))?;
    let mut stats = Stats::default();
    let mut ex = Exclusions::default();
    for f in &opts.exclude {
        ex.add_file(f)?;
    }
    let mut excluded_relations = std::collections::HashSet::new();
    if let Some(p) = &opts.exclude_relations {
        let text = std::fs::read_to_string(p).map_err(|e| StageError::io(p, e))?;
        excluded_relations.extend(
            text.split(|c: char| c.is_whitespace() || c == ',')
                .filter(|s| s.starts_with('P'))
                .map(str::to_string),
        );
    }
    // Claims as (head, tail) -> properties.
    let mut claims: HashMap<(Qid, Qid), Vec<String>> = HashMap::new();
    for (h, p, t) in records::claims(&opts.wikidata.join("claims.parquet"))? {
        // Only item-to-item claims: a property page's claims (P17 P1629 Q6256) must not be
        // read as claims of the item with the same number.
        let (Some(h), Some(t)) = (qnum(&h), qnum(&t)) else { continue };
        let props = claims.entry((h, t)).or_default();
        if !props.contains(&p) {
            props.push(p);
        }
    }
    let labels: HashMap<String, Option<String>> =
        records::property_labels(&opts.wikidata.join("properties.parquet"))?.into_iter().collect();

    let mut rows: Vec<Row> = Vec::new();
    let mut mention_files = Vec::new();
    for dir in &opts.link {
        mention_files.push(records::mentions(&dir.join("mentions.parquet"))?);
    }
    let mut mention_iter = mention_files.into_iter().flatten();
    let mut pending: std::collections::VecDeque<MentionRecord> = Default::default();
    for dir in &opts.sentences {
        let dump = dir.display().to_string();
        let revisions: HashMap<i64, i64> = records::pages(&dir.join("pages.parquet"))?
            .into_iter()
            .map(|(id, _, rev)| (id, rev))
            .collect();
        for batch in records::sentences(&dir.join("sentences.parquet"))? {
            for s in batch? {
                stats.sentences_read += 1;
                // Mentions are in sentence order: take those of this sentence.
                let key = (s.page_id, s.sentence_index);
                let mut ms = Vec::new();
                loop {
                    if pending.is_empty() {
                        match mention_iter.next() {
                            Some(b) => pending.extend(b?),
                            None => break,
                        }
                    }
                    match pending.front() {
                        Some(m) if (m.page_id, m.sentence_index) == key => {
                            ms.push(pending.pop_front().expect("front exists"))
                        }
                        _ => break,
                    }
                }
                sentence_rows(
                    s,
                    ms,
                    &claims,
                    &ex,
                    &excluded_relations,
                    &revisions,
                    &dump,
                    &mut stats,
                    &mut rows,
                );
            }
        }
    }
    if !pending.is_empty() || mention_iter.next().is_some() {
        return Err(StageError::Invalid {
            path: opts.link.last().cloned().unwrap_or_default().join("mentions.parquet"),
            msg: "mentions left over: the sentences given are not those the link stage read, \
                  or the link shards are not in order"
                .into(),
        });
    }
    stats.rows_before_filters = rows.len() as u64
        + stats.rows_dropped_excluded_pair_or_tokens
        + stats.rows_dropped_excluded_relation;

    let inputs: Vec<String> = opts
        .link
        .iter()
        .chain(&opts.sentences)
        .chain(std::iter::once(&opts.wikidata))
        .map(|p| p.display().to_string())
        .collect();
    finish(rows, opts, inputs, &labels, &mut stats, &ex)?;
    Ok(stats)
}

/// Sorts the rows into bags, applies `max_per_pair` and `min_bag`, and writes the dataset
/// directory. Shared by `dataset` and `import`.
pub fn finish(
    mut rows: Vec<Row>,
    opts: &Options,
    inputs: Vec<String>,
    labels: &HashMap<String, Option<String>>,
    stats: &mut Stats,
    ex: &Exclusions,
) -> Result<(), StageError> {
    // Sort by relation, entity pair, sentence.
    rows.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
    // At most max_per_pair sentences per (relation, head, tail) bag.
    let mut kept: Vec<Row> = Vec::with_capacity(rows.len());
    let mut run_len = 0usize;
    for r in rows {
        let same = kept.last().is_some_and(|p: &Row| {
            p.relation == r.relation && p.head.qid == r.head.qid && p.tail.qid == r.tail.qid
        });
        run_len = if same { run_len + 1 } else { 1 };
        if run_len <= opts.max_per_pair {
            kept.push(r);
        } else {
            stats.rows_dropped_max_per_pair += 1;
        }
    }
    // Relations with fewer than min_bag rows go.
    let mut counts: HashMap<String, usize> = HashMap::new();
    for r in &kept {
        *counts.entry(r.relation.clone()).or_default() += 1;
    }
    let before = kept.len();
    kept.retain(|r| counts[&r.relation] >= opts.min_bag);
    stats.rows_dropped_min_bag = (before - kept.len()) as u64;
    stats.rows = kept.len() as u64;
    for r in &kept {
        *stats.relation_histogram.entry(r.relation.clone()).or_default() += 1;
    }
    stats.relations = stats.relation_histogram.len() as u64;
    write::write_all(opts, inputs, &kept, labels, stats, ex)
}

/// The dataset order: relation (P-ids numerically, other names after them), head, tail
/// (item ids numerically, "Q2" before "Q10"), then sentence and spans. The id strings break
/// ties, so that ids that are not Wikidata items (an `import` of another corpus, e.g.
/// "chemprot:gefitinib") still keep each (relation, head, tail) bag in one run of rows.
fn order_key(r: &Row) -> (u64, &str, u64, &str, u64, &str, i64, u32, u32, u32) {
    (
        pid_num(&r.relation),
        &r.relation,
        qkey(&r.head.qid),
        &r.head.qid,
        qkey(&r.tail.qid),
        &r.tail.qid,
        r.sentence.page_id,
        r.sentence.sentence_index,
        r.head.char_start,
        r.tail.char_start,
    )
}

#[allow(clippy::too_many_arguments)]
fn sentence_rows(
    s: SentenceRecord,
    ms: Vec<MentionRecord>,
    claims: &HashMap<(Qid, Qid), Vec<String>>,
    ex: &Exclusions,
    excluded_relations: &std::collections::HashSet<String>,
    revisions: &HashMap<i64, i64>,
    dump: &str,
    stats: &mut Stats,
    rows: &mut Vec<Row>,
) {
    // One endpoint per entity: its first mention (mentions come sorted by position).
    let mut firsts: Vec<&MentionRecord> = Vec::new();
    for m in &ms {
        if !firsts.iter().any(|f| f.qid == m.qid) {
            firsts.push(m);
        }
    }
    if firsts.len() < 2 {
        return;
    }
    stats.sentences_with_two_entities += 1;
    let sentence = std::sync::Arc::new(s);
    let mentions = std::sync::Arc::new(ms.clone());
    for h in &firsts {
        for t in &firsts {
            if h.qid == t.qid {
                continue;
            }
            let (Some(hq), Some(tq)) = (qnum(&h.qid), qnum(&t.qid)) else { continue };
            let Some(props) = claims.get(&(hq, tq)) else { continue };
            stats.candidate_pairs += 1;
            if h.surface.to_lowercase() == t.surface.to_lowercase() {
                stats.pairs_dropped_same_name += 1;
                continue;
            }
            if h.char_start < t.char_end && t.char_start < h.char_end {
                stats.pairs_dropped_overlap += 1;
                continue;
            }
            let excluded = ex.excludes(&h.qid, &t.qid, &sentence.tokens);
            for p in props {
                if excluded_relations.contains(p) {
                    stats.rows_dropped_excluded_relation += 1;
                    continue;
                }
                if excluded {
                    stats.rows_dropped_excluded_pair_or_tokens += 1;
                    continue;
                }
                rows.push(Row {
                    relation: p.clone(),
                    head: End::from(h),
                    tail: End::from(t),
                    sentence: sentence.clone(),
                    mentions: mentions.clone(),
                    revision_id: revisions.get(&sentence.page_id).copied().unwrap_or(-1),
                    dump: dump.to_string(),
                });
            }
        }
    }
}

/// The one-screen summary printed after the stage.
pub fn summary(s: &Stats, out: &Path) -> String {
    let mut top: Vec<(&String, &u64)> = s.relation_histogram.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let top: Vec<String> = top.iter().take(10).map(|(r, n)| format!("{r} {n}")).collect();
    format!(
        "dataset: {} sentences read, {} with two or more entities\n  rows {} in {} relations, {} entity-pair bags\n  dropped: same name {}, overlapping spans {}, excluded pair/tokens {}, excluded relation {}, over max-per-pair {}, under min-bag {}\n  largest relations: {}\n  output: {}",
        s.sentences_read,
        s.sentences_with_two_entities,
        s.rows,
        s.relations,
        s.pairs,
        s.pairs_dropped_same_name,
        s.pairs_dropped_overlap,
        s.rows_dropped_excluded_pair_or_tokens,
        s.rows_dropped_excluded_relation,
        s.rows_dropped_max_per_pair,
        s.rows_dropped_min_bag,
        top.join(", "),
        out.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_item_ids_are_claim_ends() {
        // A property page's claim (P17 P1629 Q6256) must not become one of item Q17.
        assert_eq!(qnum("Q17"), Some(Qid::new(17)));
        assert_eq!(qnum("P17"), None);
        assert_eq!(qnum("L5"), None);
        assert!(qkey("P17") > qkey("Q99999999"));
    }
}
