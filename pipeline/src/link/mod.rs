//! Stage `link`: anchors and unanchored mentions of every sentence -> the `mentions` table.
//!
//! 1. Anchors: target title -> redirects (chains, loops detected) -> item through enwiki
//!    sitelink titles; unresolvable anchors are counted by reason.
//! 2. Unanchored mentions: the `linker` crate's detector + name matcher over the text outside
//!    anchors, disambiguated by the page's own entity, the entities anchored in the page, and
//!    an anchor prior computed from every anchor of the input (pass 1).
//!
//! The stage reads only the `wikipedia` and `wikidata` stages' Parquet, so it reruns on its own
//! (e.g. with other matching options) without reparsing a dump.
pub mod detect;
mod prior;
pub mod resolve;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, UInt32Array};
use rayon::prelude::*;
use serde::Serialize;

use crate::columns::strings;
use crate::error::StageError;
use crate::records::{self, SentenceRecord};
pub use crate::scope::ItemScope;
use resolve::TitleResolver;
use schemas::tables::{ANCHOR_PRIOR, MENTIONS};
use schemas::{ParquetSink, Provenance, Qid, SinkOptions};

#[derive(Debug, Clone)]
pub struct Options {
    /// Output directories of one or more `wikipedia` runs (e.g. its shards), in order.
    pub sentences: Vec<PathBuf>,
    pub wikidata: PathBuf,
    pub out: PathBuf,
    pub link: linker::LinkOptions,
    pub threads: usize,
    /// `(I, N)`: link only the I-th of N contiguous ranges of pages (in input order). The
    /// anchor prior is still computed over every page, so N shard outputs together equal one
    /// whole run.
    pub shard: Option<crate::shard::Shard>,
    /// Which items are linking targets (default: those with an English Wikipedia article).
    pub kb: ItemScope,
    /// Refuse to build a knowledge base whose estimated size exceeds this many bytes.
    pub memory_budget: u64,
    /// A directory holding `anchor_prior.parquet` (from `pipeline prior` + `prior-merge`, or an
    /// earlier `link` run): used instead of counting the anchors of every input page.
    pub prior: Option<PathBuf>,
}

impl Options {
    pub fn new(sentences: &[PathBuf], wikidata: &Path, out: &Path) -> Self {
        let mut o = Options {
            sentences: sentences.to_vec(),
            wikidata: wikidata.to_path_buf(),
            out: out.to_path_buf(),
            link: linker::LinkOptions::default(),
            threads: rayon::current_num_threads(),
            shard: None,
            kb: ItemScope::default(),
            memory_budget: 0,
            prior: None,
        };
        // The defaults of the settings: among them the paper's recipe, that name matches must
        // be entity mentions found by the NER-style detector (or capitalised), so common-noun
        // aliases ("film") do not link everywhere.
        crate::settings::LinkSettings::default().apply(&mut o);
        o
    }
}

/// 75% of the machine's RAM (from /proc/meminfo; 16 GB where that cannot be read).
pub fn default_memory_budget() -> u64 {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        m.lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
    });
    total.map_or(16 << 30, |kb| kb * 1024 / 4 * 3)
}

#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Stats {
    pub sentence_dirs: Vec<String>,
    pub shard: Option<String>,
    pub pages: u64,
    pub sentences: u64,
    pub anchors: u64,
    pub anchors_linked: u64,
    pub anchors_linked_through_redirect: u64,
    pub anchors_unresolved_by_reason: BTreeMap<String, u64>,
    pub kb: String,
    pub kb_items: u64,
    /// Heap bytes of the knowledge base and name index once built.
    pub kb_heap_bytes: u64,
    /// What the budget check estimated for them.
    pub kb_estimated_bytes: u64,
    pub names_indexed: u64,
    /// Thread time spent linking pages (anchors, name matching, disambiguation), summed over
    /// threads: sentences / this = the matching throughput per core, without I/O and setup.
    pub linking_thread_seconds: f64,
    pub prior_surfaces: u64,
    pub name_mentions_by_resolution: BTreeMap<String, u64>,
    pub mentions: u64,
}

/// Items of the knowledge base, compact: an item is its index here; its id and coarse type
/// (an index into `type_names`) are plain integers.
struct Kb {
    qids: Vec<Qid>,
    types: Vec<u8>,
    type_names: Vec<String>,
    /// (item, index) sorted by item: the type of a name-matched item.
    by_qid: Vec<(Qid, u32)>,
    by_title: HashMap<String, u32>,
}

impl Kb {
    fn qid(&self, e: u32) -> Qid {
        self.qids[e as usize]
    }

    fn type_name(&self, e: u32) -> &str {
        &self.type_names[self.types[e as usize] as usize]
    }

    fn type_of(&self, qid: Qid) -> Option<&str> {
        let i = self.by_qid.binary_search_by_key(&qid, |&(q, _)| q).ok()?;
        Some(self.type_name(self.by_qid[i].1))
    }

    fn heap_bytes(&self) -> usize {
        self.qids.capacity() * 4
            + self.types.capacity()
            + self.by_qid.capacity() * 8
            + self.by_title.capacity() * (std::mem::size_of::<(String, u32)>() + 8)
            + self.by_title.keys().map(String::capacity).sum::<usize>()
    }
}

/// What the first, cheap pass over `entities.parquet` counts, to refuse a knowledge base that
/// would not fit before building it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KbSize {
    pub items: u64,
    pub names: u64,
    pub name_bytes: u64,
    pub title_bytes: u64,
}

impl KbSize {
    /// Peak bytes of building the KB and the name index from these counts: per item its
    /// number, type, sorted-number entry and title map entry (~70 B + title); per name 12 B in
    /// the builder, the name twice (arena + transducer, an upper bound) and its CSR entries.
    /// Checked to bound the real build in `link_refuses_a_knowledge_base_over_its_memory_budget`.
    pub fn estimated_bytes(&self) -> u64 {
        self.items * 80 + self.title_bytes * 2 + self.names * 24 + self.name_bytes * 2
    }
}

/// Calls `f(qid, names, enwiki_title, coarse_type)` for every item of the scope (names: the
/// English label, then the aliases), batch by batch (`schemas::rows`).
fn for_each_kb_item(
    path: &Path,
    scope: ItemScope,
    mut f: impl FnMut(Qid, &[&str], Option<&str>, &str),
) -> Result<(), StageError> {
    schemas::rows::for_each_kb_item(path, scope == ItemScope::Enwiki, |it| {
        f(it.qid, it.names, it.enwiki_title, it.coarse_type)
    })?;
    Ok(())
}

/// Redirects (title -> target), page titles and the page order of `wikipedia` outputs.
type Pages = (HashMap<String, String>, HashMap<i64, String>, Vec<i64>);

fn load_pages(dirs: &[PathBuf]) -> Result<Pages, StageError> {
    let mut redirects = HashMap::new();
    let mut titles: HashMap<i64, String> = HashMap::new();
    let mut page_order: Vec<i64> = Vec::new();
    for dir in dirs {
        redirects.extend(records::redirects(&dir.join(schemas::tables::REDIRECTS.file_name()))?);
        for (id, title, _) in records::pages(&dir.join(schemas::tables::PAGES.file_name()))? {
            page_order.push(id);
            titles.insert(id, title);
        }
    }
    Ok((redirects, titles, page_order))
}

/// The pages of shard I of N: the I-th of N contiguous ranges of the input's pages.
fn shard_pages(page_order: &[i64], shard: Option<crate::shard::Shard>) -> Option<HashSet<i64>> {
    shard.map(|s| page_order[s.range(page_order.len())].iter().copied().collect())
}

/// `--kb all` needs every item, so a `wikidata` output made with `--keep enwiki` (recorded in
/// its stats.json) cannot serve it.
fn check_keep(wikidata: &Path, kb: ItemScope) -> Result<(), StageError> {
    if kb != ItemScope::All {
        return Ok(());
    }
    let path = wikidata.join("stats.json");
    let keep = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["keep"].as_str().map(str::to_string));
    if keep.as_deref() == Some("enwiki") {
        return Err(StageError::Invalid {
            path,
            msg: "link --kb all needs every item, but this wikidata output kept only the enwiki \
                  ones: rerun `pipeline wikidata --keep all`"
                .into(),
        });
    }
    Ok(())
}

fn load_kb(
    wikidata: &Path,
    opts: &linker::LinkOptions,
    scope: ItemScope,
    budget: u64,
    with_names: bool,
) -> Result<(Kb, linker::NameIndex, KbSize), StageError> {
    let path = wikidata.join(schemas::tables::ENTITIES.file_name());
    // Pass 1: sizes only, so a KB that cannot fit is refused before anything is built.
    let mut size = KbSize::default();
    for_each_kb_item(&path, scope, |_, names, title, _| {
        size.items += 1;
        for n in names {
            size.names += 1;
            size.name_bytes += n.len() as u64;
        }
        size.title_bytes += title.map_or(0, |t| t.len() as u64);
    })?;
    if size.estimated_bytes() > budget {
        return Err(StageError::Invalid {
            path,
            msg: format!(
                "the {} knowledge base would need ~{:.1} GB ({} items, {} names of {:.1} MB, \
                 {:.1} MB of titles) but --memory-budget is {:.1} GB: raise the budget, use a \
                 machine with more memory, or link against the enwiki items (--kb enwiki)",
                scope.as_str(),
                size.estimated_bytes() as f64 / 1e9,
                size.items,
                size.names,
                size.name_bytes as f64 / 1e6,
                size.title_bytes as f64 / 1e6,
                budget as f64 / 1e9
            ),
        });
    }
    // Pass 2: build.
    let mut kb = Kb {
        qids: Vec::with_capacity(size.items as usize),
        types: Vec::with_capacity(size.items as usize),
        type_names: Vec::new(),
        by_qid: Vec::new(),
        by_title: HashMap::with_capacity(size.items as usize),
    };
    let mut names = linker::NameIndexBuilder::new(linker::Normalization {
        case_sensitive: opts.case_sensitive,
        ..Default::default()
    });
    let mut too_many_types = false;
    for_each_kb_item(&path, scope, |n, item_names, title, ty| {
        let idx = kb.qids.len() as u32;
        if let Some(t) = title {
            kb.by_title.insert(wikitext::normalize_title(t), idx);
        }
        if with_names {
            for name in item_names {
                names.add(n, name);
            }
        }
        let t = match kb.type_names.iter().position(|x| x == ty) {
            Some(t) => t,
            None => {
                kb.type_names.push(ty.to_string());
                kb.type_names.len() - 1
            }
        };
        too_many_types |= t > u8::MAX as usize;
        kb.types.push(t as u8);
        kb.qids.push(n);
    })?;
    if too_many_types {
        return Err(StageError::Invalid { path, msg: "more than 256 coarse types".into() });
    }
    kb.by_qid = kb.qids.iter().enumerate().map(|(i, &q)| (q, i as u32)).collect();
    kb.by_qid.sort_unstable();
    let names = names.build().map_err(|e| StageError::Invalid {
        path: path.clone(),
        msg: format!("building the name index: {e}"),
    })?;
    Ok((kb, names, size))
}

fn slice_chars(text: &str, a: u32, b: u32) -> String {
    text.chars().skip(a as usize).take((b - a) as usize).collect()
}

/// One output row.
struct MentionRow {
    page_id: i64,
    sentence_index: u32,
    qid: Qid,
    surface: String,
    source: &'static str,
    entity_type: String,
    char_start: u32,
    char_end: u32,
    token_start: u32,
    token_end: u32,
}

struct PageResult {
    rows: Vec<MentionRow>,
    anchors: u64,
    linked: u64,
    via_redirect: u64,
    unresolved: Vec<&'static str>,
    resolutions: Vec<&'static str>,
}

fn link_page(
    title: Option<&str>,
    sentences: &[SentenceRecord],
    kb: &Kb,
    resolver: &TitleResolver,
    linker: &linker::Linker,
) -> PageResult {
    let mut out = PageResult {
        rows: Vec::new(),
        anchors: 0,
        linked: 0,
        via_redirect: 0,
        unresolved: Vec::new(),
        resolutions: Vec::new(),
    };
    // Resolve every anchor of the page first: the page's anchored entities disambiguate names.
    let mut resolved: Vec<Vec<Option<u32>>> = Vec::with_capacity(sentences.len());
    let mut anchored = HashSet::new();
    for s in sentences {
        let mut r = Vec::with_capacity(s.anchors.len());
        for a in &s.anchors {
            out.anchors += 1;
            match resolver.resolve(&a.target) {
                Ok((e, hops)) => {
                    out.linked += 1;
                    out.via_redirect += u64::from(hops > 0);
                    anchored.insert(kb.qid(e));
                    r.push(Some(e));
                }
                Err(why) => {
                    out.unresolved.push(why.as_str());
                    r.push(None);
                }
            }
        }
        resolved.push(r);
    }
    let page_entity = title
        .and_then(|t| resolver.resolve(&wikitext::normalize_title(t)).ok())
        .map(|(e, _)| kb.qid(e));
    let ctx = linker::PageContext { page_entity, anchored_entities: anchored };
    for (s, res) in sentences.iter().zip(resolved) {
        let mut rows: Vec<MentionRow> = Vec::new();
        for (a, e) in s.anchors.iter().zip(res) {
            let Some(e) = e else { continue };
            rows.push(MentionRow {
                page_id: s.page_id,
                sentence_index: s.sentence_index,
                qid: kb.qid(e),
                surface: slice_chars(&s.text, a.char_start, a.char_end),
                source: "anchor",
                entity_type: kb.type_name(e).to_string(),
                char_start: a.char_start,
                char_end: a.char_end,
                token_start: a.token_start,
                token_end: a.token_end,
            });
        }
        let spans: Vec<(u32, u32)> = s.anchors.iter().map(|a| (a.char_start, a.char_end)).collect();
        let input = linker::SentenceInput {
            text: &s.text,
            tokens: &s.tokens,
            token_starts: &s.token_starts,
            token_ends: &s.token_ends,
            anchor_spans: &spans,
        };
        for m in linker.link_sentence(&input, &ctx) {
            out.resolutions.push(m.how.as_str());
            let kb_type = kb.type_of(m.qid);
            let entity_type = match (kb_type, m.detector_type) {
                (Some(t), _) if t != "UNK" => t.to_string(),
                (_, Some(d)) => d.as_str().to_string(),
                _ => "UNK".to_string(),
            };
            rows.push(MentionRow {
                page_id: s.page_id,
                sentence_index: s.sentence_index,
                qid: m.qid,
                surface: m.surface,
                source: "name-match",
                entity_type,
                char_start: m.char_start,
                char_end: m.char_end,
                token_start: m.token_start,
                token_end: m.token_end,
            });
        }
        rows.sort_by_key(|r| (r.char_start, r.char_end));
        out.rows.extend(rows);
    }
    out
}

fn mentions_batch(rows: &[MentionRow]) -> Result<RecordBatch, StageError> {
    let u = |f: fn(&MentionRow) -> u32| Arc::new(UInt32Array::from_iter_values(rows.iter().map(f)));
    Ok(RecordBatch::try_new(
        MENTIONS.schema(),
        vec![
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.page_id))),
            u(|r| r.sentence_index),
            strings(&rows.iter().map(|r| r.qid.to_string()).collect::<Vec<_>>()),
            strings(&rows.iter().map(|r| r.surface.as_str()).collect::<Vec<_>>()),
            strings(&rows.iter().map(|r| r.source).collect::<Vec<_>>()),
            strings(&rows.iter().map(|r| r.entity_type.as_str()).collect::<Vec<_>>()),
            u(|r| r.char_start),
            u(|r| r.char_end),
            u(|r| r.token_start),
            u(|r| r.token_end),
        ],
    )?)
}

/// Pages of a sentence stream, grouped (sentences of a page are contiguous).
fn for_each_page_group(
    path: &Path,
    group_pages: usize,
    mut f: impl FnMut(Vec<Vec<SentenceRecord>>) -> Result<(), StageError>,
) -> Result<(), StageError> {
    let mut pages: Vec<Vec<SentenceRecord>> = Vec::new();
    for batch in records::sentences(path)? {
        for s in batch? {
            match pages.last_mut() {
                Some(p) if p[0].page_id == s.page_id => p.push(s),
                _ => {
                    if pages.len() >= group_pages {
                        let last = pages.pop().expect("non-empty");
                        f(std::mem::take(&mut pages))?;
                        pages.push(last);
                    }
                    pages.push(vec![s]);
                }
            }
        }
    }
    if !pages.is_empty() {
        f(pages)?;
    }
    Ok(())
}

pub fn run(opts: &Options) -> Result<Stats, StageError> {
    std::fs::create_dir_all(&opts.out).map_err(|e| StageError::io(&opts.out, e))?;
    let mut stats = Stats {
        sentence_dirs: opts.sentences.iter().map(|p| p.display().to_string()).collect(),
        shard: opts.shard.map(|s| s.to_string()),
        kb: opts.kb.as_str().to_string(),
        ..Default::default()
    };
    check_keep(&opts.wikidata, opts.kb)?;
    let (mut kb, names, size) =
        load_kb(&opts.wikidata, &opts.link, opts.kb, opts.memory_budget, true)?;
    stats.kb_items = size.items;
    stats.kb_estimated_bytes = size.estimated_bytes();
    stats.kb_heap_bytes = (kb.heap_bytes() + names.heap_bytes()) as u64;
    stats.names_indexed = names.name_count() as u64;
    let (redirects, titles, page_order) = load_pages(&opts.sentences)?;
    // The pages this run links: all, or one contiguous range of them.
    let in_shard = shard_pages(&page_order, opts.shard);
    drop(page_order);
    let resolver = TitleResolver::new(redirects, std::mem::take(&mut kb.by_title));

    // Pass 1: the anchor prior (surface text -> linked item counts) over the whole input, or
    // the persisted one (`--prior`, e.g. merged from `pipeline prior` shards).
    let prior = match &opts.prior {
        Some(dir) => prior::read(&[dir.join(ANCHOR_PRIOR.file_name())])?.build(),
        None => {
            let p = prior::count(&opts.sentences, &resolver, None, |e| kb.qid(e))?.build();
            let prov =
                Provenance::new(concat!("wikirel-pipeline ", env!("CARGO_PKG_VERSION")), "link")
                    .with_inputs(opts.sentences.iter().map(|p| p.display().to_string()))
                    .setting("kb", opts.kb.as_str());
            prior::write(&opts.out.join(ANCHOR_PRIOR.file_name()), &p, &prov)?;
            p
        }
    };
    stats.prior_surfaces = prior.len() as u64;
    let linker = linker::Linker::new(names, prior, opts.link.clone()).map_err(|e| {
        StageError::Invalid { path: opts.wikidata.clone(), msg: format!("linker: {e}") }
    })?;

    // Pass 2: link page by page, pages in parallel, rows in input order.
    let prov = Provenance::new(concat!("wikirel-pipeline ", env!("CARGO_PKG_VERSION")), "link")
        .with_inputs(
            opts.sentences
                .iter()
                .map(|p| p.display().to_string())
                .chain(std::iter::once(opts.wikidata.display().to_string())),
        )
        .setting("link_options", format!("{:?}", opts.link))
        .setting("kb", opts.kb.as_str());
    let mut sink = ParquetSink::create(
        &opts.out.join(MENTIONS.file_name()),
        MENTIONS,
        &prov,
        &SinkOptions::default(),
    )?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .map_err(|e| StageError::Invalid { path: opts.out.clone(), msg: e.to_string() })?;
    for dir in &opts.sentences {
        for_each_page_group(
            &dir.join(schemas::tables::SENTENCES.file_name()),
            256,
            |mut pages| {
                if let Some(keep) = &in_shard {
                    pages.retain(|p| keep.contains(&p[0].page_id));
                }
                let results: Vec<(PageResult, std::time::Duration)> = pool.install(|| {
                    pages
                        .par_iter()
                        .map(|p| {
                            let t = std::time::Instant::now();
                            let r = link_page(
                                titles.get(&p[0].page_id).map(String::as_str),
                                p,
                                &kb,
                                &resolver,
                                &linker,
                            );
                            (r, t.elapsed())
                        })
                        .collect()
                });
                let mut rows = Vec::new();
                for (p, (r, spent)) in pages.iter().zip(results) {
                    stats.pages += 1;
                    stats.linking_thread_seconds += spent.as_secs_f64();
                    stats.sentences += p.len() as u64;
                    stats.anchors += r.anchors;
                    stats.anchors_linked += r.linked;
                    stats.anchors_linked_through_redirect += r.via_redirect;
                    for why in r.unresolved {
                        *stats.anchors_unresolved_by_reason.entry(why.into()).or_default() += 1;
                    }
                    for how in r.resolutions {
                        *stats.name_mentions_by_resolution.entry(how.into()).or_default() += 1;
                    }
                    rows.extend(r.rows);
                }
                stats.mentions += rows.len() as u64;
                Ok(sink.write(&mentions_batch(&rows)?)?)
            },
        )?;
    }
    if stats.mentions == 0 {
        sink.write(&mentions_batch(&[])?)?;
    }
    sink.finish()?;
    crate::stats::write_json(&opts.out.join("stats.json"), &stats)?;
    Ok(stats)
}

/// Options of `pipeline prior`: the anchor prior of one shard of pages (or of all).
#[derive(Debug, Clone)]
pub struct PriorOptions {
    pub sentences: Vec<PathBuf>,
    pub wikidata: PathBuf,
    pub out: PathBuf,
    pub shard: Option<crate::shard::Shard>,
    pub kb: ItemScope,
    pub memory_budget: u64,
}

impl PriorOptions {
    pub fn new(sentences: &[PathBuf], wikidata: &Path, out: &Path) -> Self {
        PriorOptions {
            sentences: sentences.to_vec(),
            wikidata: wikidata.to_path_buf(),
            out: out.to_path_buf(),
            shard: None,
            kb: ItemScope::default(),
            memory_budget: default_memory_budget(),
        }
    }
}

/// What `pipeline prior` / `prior-merge` wrote.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct PriorStats {
    pub shard: Option<String>,
    pub inputs: Vec<String>,
    /// Rows of `anchor_prior.parquet`: distinct (surface, item) pairs.
    pub rows: u64,
    pub surfaces: u64,
}

/// Counts the anchor prior of the shard's pages into `<out>/anchor_prior.parquet`. The N
/// shards' tables merged (`merge_priors`) equal the prior of one whole run.
pub fn run_prior(o: &PriorOptions) -> Result<PriorStats, StageError> {
    std::fs::create_dir_all(&o.out).map_err(|e| StageError::io(&o.out, e))?;
    let plain = linker::LinkOptions::default();
    let (mut kb, _, _) = load_kb(&o.wikidata, &plain, o.kb, o.memory_budget, false)?;
    let (redirects, _, page_order) = load_pages(&o.sentences)?;
    let keep = shard_pages(&page_order, o.shard);
    drop(page_order);
    let resolver = TitleResolver::new(redirects, std::mem::take(&mut kb.by_title));
    let p = prior::count(&o.sentences, &resolver, keep.as_ref(), |e| kb.qid(e))?.build();
    let prov = Provenance::new(concat!("wikirel-pipeline ", env!("CARGO_PKG_VERSION")), "prior")
        .with_inputs(
            o.sentences
                .iter()
                .map(|p| p.display().to_string())
                .chain(std::iter::once(o.wikidata.display().to_string())),
        )
        .setting("kb", o.kb.as_str())
        .setting("shard", o.shard.map_or("all".to_string(), |s| s.to_string()));
    let rows = prior::write(&o.out.join(ANCHOR_PRIOR.file_name()), &p, &prov)?;
    let stats = PriorStats {
        shard: o.shard.map(|s| s.to_string()),
        inputs: o.sentences.iter().map(|p| p.display().to_string()).collect(),
        rows,
        surfaces: p.len() as u64,
    };
    crate::stats::write_json(&o.out.join("stats.json"), &stats)?;
    Ok(stats)
}

/// Adds up the `anchor_prior` tables of `inputs` (directories) into `<out>/anchor_prior.parquet`.
pub fn merge_priors(inputs: &[PathBuf], out: &Path) -> Result<PriorStats, StageError> {
    std::fs::create_dir_all(out).map_err(|e| StageError::io(out, e))?;
    let paths: Vec<PathBuf> = inputs.iter().map(|d| d.join(ANCHOR_PRIOR.file_name())).collect();
    let p = prior::read(&paths)?.build();
    let prov =
        Provenance::new(concat!("wikirel-pipeline ", env!("CARGO_PKG_VERSION")), "prior-merge")
            .with_inputs(inputs.iter().map(|p| p.display().to_string()));
    let rows = prior::write(&out.join(ANCHOR_PRIOR.file_name()), &p, &prov)?;
    let stats = PriorStats {
        shard: None,
        inputs: inputs.iter().map(|p| p.display().to_string()).collect(),
        rows,
        surfaces: p.len() as u64,
    };
    crate::stats::write_json(&out.join("stats.json"), &stats)?;
    Ok(stats)
}

/// The commands of a linking run split into `n` tasks under `root`: `n` prior tasks, one
/// merge, `n` link tasks and the dataset merge (what `pipeline link --of N --dry-run` prints).
pub fn task_list(
    sentences: &[PathBuf],
    wikidata: &Path,
    root: &Path,
    n: usize,
    flags: &str,
) -> String {
    let s: Vec<String> = sentences.iter().map(|p| p.display().to_string()).collect();
    let (s, w, r) = (s.join(" "), wikidata.display(), root.display());
    let mut out =
        format!("# {n} prior tasks (independent; e.g. a Slurm array or Kubernetes indexed job)\n");
    for i in 0..n {
        out += &format!("pipeline prior --sentences {s} --wikidata {w} --shard {i} --of {n} --out {r}/prior-{i}\n");
    }
    out += "# 1 merge, after every prior task\n";
    let priors: Vec<String> = (0..n).map(|i| format!("{r}/prior-{i}")).collect();
    out += &format!("pipeline prior-merge {} --out {r}/prior\n", priors.join(" "));
    out += &format!("# {n} link tasks (independent), after the merge\n");
    for i in 0..n {
        out += &format!(
            "pipeline link --sentences {s} --wikidata {w} --prior {r}/prior --shard {i} --of {n}{flags} --out {r}/link-{i}\n"
        );
    }
    let links: Vec<String> = (0..n).map(|i| format!("{r}/link-{i}")).collect();
    out += "# the dataset merges the link shards, in order\n";
    out +=
        &format!("pipeline dataset --link {} --wikidata {w} --out DATASET_DIR\n", links.join(" "));
    out
}

/// The one-screen summary printed after the stage.
pub fn summary(s: &Stats, out: &Path) -> String {
    format!(
        "link: {} pages, {} sentences\n  anchors {}: linked {} ({} through redirects), unresolved {:?}\n  knowledge base {}: {} items, {:.1} MB with the name index\n  names indexed {}, prior surfaces {}\n  name-matched mentions {:?}\n  mentions written {} ({:.0} sentences/s per thread of linking)\n  output: {}",
        s.pages,
        s.sentences,
        s.anchors,
        s.anchors_linked,
        s.anchors_linked_through_redirect,
        s.anchors_unresolved_by_reason,
        s.kb,
        s.kb_items,
        s.kb_heap_bytes as f64 / 1e6,
        s.names_indexed,
        s.prior_surfaces,
        s.name_mentions_by_resolution,
        s.mentions,
        s.sentences as f64 / s.linking_thread_seconds.max(1e-9),
        out.display()
    )
}

/// Parses a memory size: bytes, or a number with K, M, G or T (powers of 1024), e.g. `12G`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M') => (&t[..t.len() - 1], 1 << 20),
        Some('G') => (&t[..t.len() - 1], 1 << 30),
        Some('T') => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    let v: f64 = num.trim().parse().map_err(|_| format!("not a size: {s:?} (e.g. 12G, 800M)"))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(format!("not a size: {s:?}"));
    }
    Ok((v * mult as f64) as u64)
}
