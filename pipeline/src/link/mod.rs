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
use resolve::TitleResolver;
use schemas::tables::MENTIONS;
use schemas::{ParquetSink, Provenance, SinkOptions};

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
    pub shard: Option<(usize, usize)>,
}

impl Options {
    pub fn new(sentences: &[PathBuf], wikidata: &Path, out: &Path) -> Self {
        Options {
            sentences: sentences.to_vec(),
            wikidata: wikidata.to_path_buf(),
            out: out.to_path_buf(),
            // The paper's recipe: name matches must be entity mentions found by the NER-style
            // detector (or capitalised), so common-noun aliases ("film") do not link everywhere.
            link: linker::LinkOptions { require_detector_span: true, ..Default::default() },
            threads: rayon::current_num_threads(),
            shard: None,
        }
    }
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
    pub names_indexed: u64,
    pub prior_surfaces: u64,
    pub name_mentions_by_resolution: BTreeMap<String, u64>,
    pub mentions: u64,
}

/// Items of the knowledge base, interned.
struct Kb {
    qids: Vec<String>,
    types: Vec<String>,
    by_title: HashMap<String, u32>,
    type_of: HashMap<String, u32>,
}

fn load_kb(
    wikidata: &Path,
    opts: &linker::LinkOptions,
) -> Result<(Kb, linker::NameIndex), StageError> {
    let entities = records::entities(&wikidata.join("entities.parquet"))?;
    let mut kb = Kb {
        qids: Vec::new(),
        types: Vec::new(),
        by_title: HashMap::new(),
        type_of: HashMap::new(),
    };
    let mut names = linker::NameIndexBuilder::new(linker::Normalization {
        case_sensitive: opts.case_sensitive,
        ..Default::default()
    });
    for e in entities.into_iter().filter(|e| e.kind == "item") {
        let idx = kb.qids.len() as u32;
        if let Some(t) = &e.enwiki_title {
            kb.by_title.insert(wikitext::normalize_title(t), idx);
        }
        if let Some(l) = &e.label {
            names.add(&e.qid, l);
        }
        for a in &e.aliases {
            names.add(&e.qid, a);
        }
        kb.type_of.insert(e.qid.clone(), idx);
        kb.qids.push(e.qid);
        kb.types.push(e.coarse_type);
    }
    let names = names.build().map_err(|e| StageError::Invalid {
        path: wikidata.join("entities.parquet"),
        msg: format!("building the name index: {e}"),
    })?;
    Ok((kb, names))
}

fn slice_chars(text: &str, a: u32, b: u32) -> String {
    text.chars().skip(a as usize).take((b - a) as usize).collect()
}

/// One output row.
struct MentionRow {
    page_id: i64,
    sentence_index: u32,
    qid: String,
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
                    anchored.insert(kb.qids[e as usize].clone());
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
        .map(|(e, _)| kb.qids[e as usize].clone());
    let ctx = linker::PageContext { page_entity, anchored_entities: anchored };
    for (s, res) in sentences.iter().zip(resolved) {
        let mut rows: Vec<MentionRow> = Vec::new();
        for (a, e) in s.anchors.iter().zip(res) {
            let Some(e) = e else { continue };
            rows.push(MentionRow {
                page_id: s.page_id,
                sentence_index: s.sentence_index,
                qid: kb.qids[e as usize].clone(),
                surface: slice_chars(&s.text, a.char_start, a.char_end),
                source: "anchor",
                entity_type: kb.types[e as usize].clone(),
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
            let kb_type = kb.type_of.get(&m.qid).map(|&i| kb.types[i as usize].as_str());
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
            strings(&rows.iter().map(|r| r.qid.as_str()).collect::<Vec<_>>()),
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
        shard: opts.shard.map(|(i, n)| format!("{i}/{n}")),
        ..Default::default()
    };
    if let Some((i, n)) = opts.shard {
        if n == 0 || i >= n {
            return Err(StageError::Invalid {
                path: opts.out.clone(),
                msg: format!("--shard {i} --of {n}: need I < N"),
            });
        }
    }
    let (mut kb, names) = load_kb(&opts.wikidata, &opts.link)?;
    stats.names_indexed = names.name_count() as u64;
    let mut redirects = HashMap::new();
    let mut titles: HashMap<i64, String> = HashMap::new();
    let mut page_order: Vec<i64> = Vec::new();
    for dir in &opts.sentences {
        redirects.extend(records::redirects(&dir.join("redirects.parquet"))?);
        for (id, title, _) in records::pages(&dir.join("pages.parquet"))? {
            page_order.push(id);
            titles.insert(id, title);
        }
    }
    // The pages this run links: all, or one contiguous range of them.
    let in_shard: Option<HashSet<i64>> = opts.shard.map(|(i, n)| {
        let len = page_order.len();
        page_order[i * len / n..(i + 1) * len / n].iter().copied().collect()
    });
    let resolver = TitleResolver::new(redirects, std::mem::take(&mut kb.by_title));

    // Pass 1: the anchor prior (surface text -> linked item counts) over the whole input.
    let mut prior = linker::PriorBuilder::new();
    for dir in &opts.sentences {
        for batch in records::sentences(&dir.join("sentences.parquet"))? {
            for s in batch? {
                for a in &s.anchors {
                    if let Ok((e, _)) = resolver.resolve(&a.target) {
                        prior.add(
                            &slice_chars(&s.text, a.char_start, a.char_end),
                            &kb.qids[e as usize],
                        );
                    }
                }
            }
        }
    }
    let prior = prior.build();
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
        .setting("link_options", format!("{:?}", opts.link));
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
        for_each_page_group(&dir.join("sentences.parquet"), 256, |mut pages| {
            if let Some(keep) = &in_shard {
                pages.retain(|p| keep.contains(&p[0].page_id));
            }
            let results: Vec<PageResult> = pool.install(|| {
                pages
                    .par_iter()
                    .map(|p| {
                        link_page(
                            titles.get(&p[0].page_id).map(String::as_str),
                            p,
                            &kb,
                            &resolver,
                            &linker,
                        )
                    })
                    .collect()
            });
            let mut rows = Vec::new();
            for (p, r) in pages.iter().zip(results) {
                stats.pages += 1;
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
        })?;
    }
    if stats.mentions == 0 {
        sink.write(&mentions_batch(&[])?)?;
    }
    sink.finish()?;
    crate::stats::write_json(&opts.out.join("stats.json"), &stats)?;
    Ok(stats)
}

/// The one-screen summary printed after the stage.
pub fn summary(s: &Stats, out: &Path) -> String {
    format!(
        "link: {} pages, {} sentences\n  anchors {}: linked {} ({} through redirects), unresolved {:?}\n  names indexed {}, prior surfaces {}\n  name-matched mentions {:?}\n  mentions written {}\n  output: {}",
        s.pages,
        s.sentences,
        s.anchors,
        s.anchors_linked,
        s.anchors_linked_through_redirect,
        s.anchors_unresolved_by_reason,
        s.names_indexed,
        s.prior_surfaces,
        s.name_mentions_by_resolution,
        s.mentions,
        out.display()
    )
}
