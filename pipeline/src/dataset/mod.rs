//! Stage `dataset`: linked sentences + Wikidata claims -> relation instances ("bags").
//!
//! For each sentence and each ordered pair of distinct linked entities (h, t), every claim
//! (h, p, t) of the relation set gives a row. Pairs whose names are equal or whose spans
//! overlap are dropped (as the original CP preparation does); `--exclude` drops sentences
//! whose entity pair or exact token sequence occurs in evaluation data. Rows are sorted by
//! relation, entity pair, sentence, and written with the scope tables `relations.parquet`
//! (the original rel2scope.json) and `pairs.parquet` (entpair2scope + entpair2negpair).
//!
//! How it runs at full scale, in passes that each hold little:
//! 1. `claims`: the mentioned items (a bit set), then the claims among them as integers;
//! 2. `candidates`: sentences and mentions walked together; each sentence's pairs of items
//!    that head and tail some claim go to a temporary Parquet file as integer rows;
//! 3. `plan` (polars): candidates x claims, the filters, the sort, the caps, bags and
//!    relations, over integer columns only;
//! 4. `source` + `write::Gather`: sentences and mentions walked again; the planned rows get
//!    their text and go through bucket files into `relation_instances.parquet` in row order;
//! 5. `write`: relations.parquet, pairs.parquet (hard negatives in O(cap) per bag,
//!    `negatives`), manifest.json and the dataset card.
mod candidates;
mod claims;
mod cursor;
pub mod exclude;
mod negatives;
pub(crate) mod plan;
mod qidset;
mod source;
pub(crate) mod write;

use std::collections::{BTreeMap, HashMap, HashSet};
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

/// Relations with fewer sentences are dropped (`--min-bag`; the paper's filter).
pub const DEFAULT_MIN_BAG: usize = 2;
/// At most this many sentences per (relation, head, tail) bag (`--max-per-pair`).
pub const DEFAULT_MAX_PER_PAIR: usize = 8;

impl Options {
    pub fn new(link: &[PathBuf], sentences: &[PathBuf], wikidata: &Path, out: &Path) -> Self {
        let mut o = Options {
            link: link.to_vec(),
            sentences: sentences.to_vec(),
            wikidata: wikidata.to_path_buf(),
            out: out.to_path_buf(),
            exclude: Vec::new(),
            exclude_relations: None,
            min_bag: 0,
            max_per_pair: 0,
        };
        crate::settings::DatasetSettings::default().apply(&mut o);
        o
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

/// Where the stage keeps its temporary files (candidate pairs, sort buckets): inside the
/// output directory, removed when the stage ends.
fn temp_dir(out: &Path) -> Result<PathBuf, StageError> {
    let tmp = out.join(".dataset-tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| StageError::io(&tmp, e))?;
    }
    std::fs::create_dir_all(&tmp).map_err(|e| StageError::io(&tmp, e))?;
    Ok(tmp)
}

/// The process's peak resident memory so far in MB (Linux; `None` elsewhere): logged after
/// each pass, so a run on real dumps shows which pass holds what.
fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? / 1024)
}

fn polars(path: &Path) -> impl Fn(polars::error::PolarsError) -> StageError + '_ {
    move |e| StageError::Invalid { path: path.to_path_buf(), msg: format!("polars: {e}") }
}

pub fn run(opts: &Options) -> Result<Stats, StageError> {
    std::fs::create_dir_all(&opts.out).map_err(|e| StageError::io(&opts.out, e))?;
    let tmp = temp_dir(&opts.out)?;
    let mut stats = Stats::default();
    let mut ex = Exclusions::default();
    for f in &opts.exclude {
        ex.add_file(f)?;
    }
    let mut excluded_relations = HashSet::new();
    if let Some(p) = &opts.exclude_relations {
        let text = std::fs::read_to_string(p).map_err(|e| StageError::io(p, e))?;
        excluded_relations.extend(
            text.split(|c: char| c.is_whitespace() || c == ',').filter_map(claims::pid_number),
        );
    }
    let mention_files: Vec<PathBuf> =
        opts.link.iter().map(|d| d.join(schemas::tables::MENTIONS.file_name())).collect();
    let mentioned = claims::mentioned_items(&mention_files)?;
    tracing::debug!(items = mentioned.len(), peak_rss_mb = peak_rss_mb(), "mentioned items");
    let claims_path = opts.wikidata.join(schemas::tables::CLAIMS.file_name());
    let claims = claims::load(&claims_path, &mentioned, &excluded_relations)?;
    tracing::debug!(
        mentioned_items = mentioned.len(),
        claims_read = claims.read,
        claims_kept = claims.len(),
        peak_rss_mb = peak_rss_mb(),
        "claims among mentioned items"
    );
    drop(mentioned);
    let cands = tmp.join("candidates.parquet");
    let (starts, candidate_rows) =
        candidates::write(&cands, &opts.sentences, &mention_files, &claims, &ex, &mut stats)?;
    tracing::debug!(
        sentences = stats.sentences_read,
        candidate_rows,
        peak_rss_mb = peak_rss_mb(),
        "candidates"
    );
    let wanted = candidates::distinct_pairs(&cands)?;
    let frame = claims.frame_for(&wanted).map_err(polars(&cands))?;
    drop((claims, wanted));
    tracing::debug!(
        claims = frame.height(),
        peak_rss_mb = peak_rss_mb(),
        "claims of co-mentioned pairs"
    );
    let rows = plan::join_claims(&cands, frame, &mut stats).map_err(polars(&cands))?;
    tracing::debug!(rows = stats.rows_before_filters, peak_rss_mb = peak_rss_mb(), "joined");
    let plan = plan::order_and_cap(rows, opts.max_per_pair, opts.min_bag, &mut stats)
        .map_err(polars(&cands))?;
    tracing::debug!(rows = stats.rows, peak_rss_mb = peak_rss_mb(), "planned");
    std::fs::remove_file(&cands).map_err(|e| StageError::io(&cands, e))?;

    let inputs: Vec<String> = opts
        .link
        .iter()
        .chain(&opts.sentences)
        .chain(std::iter::once(&opts.wikidata))
        .map(|p| p.display().to_string())
        .collect();
    let labels: HashMap<String, Option<String>> =
        records::property_labels(&opts.wikidata.join(schemas::tables::PROPERTIES.file_name()))?
            .into_iter()
            .collect();
    let relation = |p: u32| format!("P{p}");
    let entity = |q: u32| Qid::new(q).to_string();
    let names = write::Names { relation: &relation, entity: &entity };
    let mut feed =
        |g: &mut write::Gather| source::feed(g, &plan, &opts.sentences, &mention_files, &starts);
    write::write_all(opts, inputs, &plan, &names, &labels, &mut stats, &ex, &tmp, &mut feed)?;
    std::fs::remove_dir_all(&tmp).map_err(|e| StageError::io(&tmp, e))?;
    tracing::debug!(peak_rss_mb = peak_rss_mb(), "written");
    Ok(stats)
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

/// Sort key of a relation name: P-ids by number, other names after them.
fn relation_key(r: &str) -> (u64, &str) {
    (claims::pid_number(r).map_or(u64::MAX, u64::from), r)
}

/// Sort key of an entity id: items by number ("Q2" before "Q10"), other ids (an `import` of
/// another corpus, e.g. "chemprot:gefitinib") after them, by their text.
fn entity_key(q: &str) -> (u64, &str) {
    (q.parse::<Qid>().map_or(u64::MAX, |q| u64::from(q.get())), q)
}

/// Order-preserving integer codes for a set of names: code i is the i-th name by `key`.
fn intern<'a, K: Ord>(
    names: impl Iterator<Item = &'a str>,
    key: impl Fn(&'a str) -> K,
) -> Vec<&'a str> {
    let mut v: Vec<&str> = names.collect();
    v.sort_by_key(|n| key(n));
    v.dedup();
    v
}

/// The dataset of rows already in memory (`import` of small evaluation corpora): the same
/// plan (order, caps, bags, relations) and writer as [`run`], with the rows' own relation
/// names and entity ids interned to integers in the dataset order.
pub fn finish(
    rows: Vec<Row>,
    opts: &Options,
    inputs: Vec<String>,
    labels: &HashMap<String, Option<String>>,
    stats: &mut Stats,
    ex: &Exclusions,
) -> Result<(), StageError> {
    std::fs::create_dir_all(&opts.out).map_err(|e| StageError::io(&opts.out, e))?;
    let tmp = temp_dir(&opts.out)?;
    let rels = intern(rows.iter().map(|r| r.relation.as_str()), relation_key);
    let ents =
        intern(rows.iter().flat_map(|r| [r.head.qid.as_str(), r.tail.qid.as_str()]), entity_key);
    let codes = |v: &[&'_ str]| -> HashMap<String, u32> {
        v.iter().enumerate().map(|(i, n)| (n.to_string(), i as u32)).collect()
    };
    let (rel_code, ent_code) = (codes(&rels), codes(&ents));
    let col_u32 = |f: &dyn Fn(&Row) -> u32| rows.iter().map(f).collect::<Vec<u32>>();
    let frame = polars::df!(
        "rel" => col_u32(&|r| rel_code[&r.relation]),
        "h" => col_u32(&|r| ent_code[&r.head.qid]),
        "t" => col_u32(&|r| ent_code[&r.tail.qid]),
        "page" => rows.iter().map(|r| r.sentence.page_id).collect::<Vec<i64>>(),
        "sidx" => col_u32(&|r| r.sentence.sentence_index),
        "hs" => col_u32(&|r| r.head.char_start),
        "ts" => col_u32(&|r| r.tail.char_start),
        "seq" => (0..rows.len() as u64).collect::<Vec<u64>>(),
        "hi" => col_u32(&|r| position(&r.mentions, &r.head)),
        "ti" => col_u32(&|r| position(&r.mentions, &r.tail)),
    )
    .map_err(polars(&opts.out))?;
    use polars::prelude::IntoLazy;
    let plan = plan::order_and_cap(frame.lazy(), opts.max_per_pair, opts.min_bag, stats)
        .map_err(polars(&opts.out))?;
    let relation = |c: u32| rels[c as usize].to_string();
    let entity = |c: u32| ents[c as usize].to_string();
    let names = write::Names { relation: &relation, entity: &entity };
    let mut feed = |g: &mut write::Gather| {
        while let Some(seq) = g.wants() {
            let r = &rows[seq as usize];
            g.add(seq, r.sentence.clone(), r.mentions.clone(), r.revision_id, &r.dump)?;
        }
        Ok(())
    };
    write::write_all(opts, inputs, &plan, &names, labels, stats, ex, &tmp, &mut feed)?;
    std::fs::remove_dir_all(&tmp).map_err(|e| StageError::io(&tmp, e))
}

/// Index of the mention that is `end` (same item and span) in `mentions`.
fn position(mentions: &[MentionRecord], end: &End) -> u32 {
    mentions
        .iter()
        .position(|m| {
            m.qid == end.qid && m.char_start == end.char_start && m.char_end == end.char_end
        })
        .unwrap_or(0) as u32
}
