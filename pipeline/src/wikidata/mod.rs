//! Stage `wikidata`: the Wikidata JSON dump -> `entities`, `claims`, `properties` tables.
//!
//! Pass 1 streams the dump once: a reader thread decompresses and cuts line chunks, chunks
//! are parsed in parallel (rayon) and their rows appended in input order, so the output is the
//! same whatever the thread count. Entities go to a temporary table without their coarse type,
//! and the P279 edges are kept in memory (classes are a tiny part of the dump). Pass 2 streams
//! the temporary table back, resolves each entity's coarse type over the class graph, and
//! writes `entities.parquet`. Nothing is renamed into place unless both passes succeed.
pub mod entity;
pub mod relations;
pub mod types;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, ListArray, RecordBatch, StringArray};
use rayon::prelude::*;
use serde::Serialize;

use crate::columns::{opt_strings, string_lists, strings};
use crate::error::StageError;
use crate::input::{open_dump_with, spawn_line_chunks, Chunk};
use crate::progress::Progress;
pub use crate::scope::ItemScope;
use entity::{parse_entity, Drop, PropertyFilter};
use relations::{RelationSet, RelationsArg};
use schemas::col;
use schemas::tables::{CLAIMS, ENTITIES, PROPERTIES};
use schemas::{open_table, ParquetSink, Provenance, SinkOptions};
use types::{ClassGraph, TypeResolver};

/// Whether a dump line may hold something `--keep enwiki` keeps: an item with an enwiki
/// sitelink, a property, or an item carrying P279 (the class graph behind the coarse types). A byte search that errs on the
/// side of parsing: any `"enwiki"` (also `"enwikiquote"`), a property id as an `"id"`, or any
/// `"P279"` sends the line to the JSON parser, which then decides as for every line.
fn may_matter(line: &[u8]) -> bool {
    use std::sync::LazyLock;
    static FINDERS: LazyLock<[memchr::memmem::Finder<'static>; 4]> = LazyLock::new(|| {
        [
            memchr::memmem::Finder::new(b"\"enwiki\""),
            memchr::memmem::Finder::new(b"\"id\":\"P"),
            memchr::memmem::Finder::new(b"\"id\": \"P"),
            memchr::memmem::Finder::new(b"\"P279\""),
        ]
    });
    FINDERS.iter().any(|f| f.find(line).is_some())
}

/// Options of `pipeline wikidata`.
#[derive(Debug, Clone)]
pub struct Options {
    pub input: PathBuf,
    pub out: PathBuf,
    pub relations: RelationsArg,
    pub threads: usize,
    pub max_errors: u64,
    /// Bytes of decompressed JSON per parse task.
    pub chunk_size: usize,
    /// Which lines are parsed: with `Enwiki` (the default) the lines that cannot matter to an
    /// enwiki-linked dataset (~94% of the full dump) are skipped after a byte search, before
    /// any JSON parsing, and counted; `All` is what `link --kb all` needs.
    pub keep: ItemScope,
}

impl Options {
    pub fn new(input: &Path, out: &Path) -> Self {
        let mut o = Options {
            input: input.to_path_buf(),
            out: out.to_path_buf(),
            relations: RelationsArg::Bundled,
            threads: rayon::current_num_threads(),
            max_errors: 0,
            chunk_size: 4 << 20,
            keep: ItemScope::default(),
        };
        crate::settings::WikidataSettings::default().apply(&mut o, ItemScope::default());
        o
    }
}

/// What the stage counted; written to `stats.json`.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Stats {
    pub input: String,
    pub compression: String,
    pub lines: u64,
    /// `enwiki` or `all` (see `ItemScope`); `link --kb all` needs `all`.
    pub keep: String,
    /// Lines skipped by the byte pre-filter without parsing (`--keep enwiki`).
    pub lines_skipped_by_prefilter: u64,
    pub entities_by_kind: BTreeMap<String, u64>,
    pub items_with_enwiki_title: u64,
    pub entities_with_english_label: u64,
    pub english_aliases: u64,
    pub claims_kept_by_rank: BTreeMap<String, u64>,
    pub claims_dropped_by_reason: BTreeMap<String, u64>,
    pub classes_in_graph: u64,
    pub entities_by_coarse_type: BTreeMap<String, u64>,
    pub properties_written: u64,
    pub malformed_lines: u64,
    pub type_table_version: u32,
}

#[derive(Default)]
struct EntityRows {
    qid: Vec<String>,
    kind: Vec<String>,
    label: Vec<Option<String>>,
    description: Vec<Option<String>>,
    aliases: Vec<Vec<String>>,
    enwiki: Vec<Option<String>>,
    instance_of: Vec<Vec<String>>,
    subclass_of: Vec<Vec<String>>,
}

impl EntityRows {
    fn len(&self) -> usize {
        self.qid.len()
    }

    fn take_batch(&mut self) -> Result<RecordBatch, StageError> {
        let r = std::mem::take(self);
        let n = r.qid.len();
        let untyped: Vec<&str> = vec![types::UNKNOWN; n];
        Ok(RecordBatch::try_new(
            ENTITIES.schema(),
            vec![
                strings(&r.qid),
                strings(&r.kind),
                opt_strings(&r.label),
                opt_strings(&r.description),
                string_lists(&r.aliases),
                opt_strings(&r.enwiki),
                string_lists(&r.instance_of),
                string_lists(&r.subclass_of),
                strings(&untyped),
            ],
        )?)
    }
}

#[derive(Default)]
struct ClaimRows {
    head: Vec<String>,
    property: Vec<String>,
    tail: Vec<String>,
    rank: Vec<&'static str>,
}

impl ClaimRows {
    fn take_batch(&mut self) -> Result<RecordBatch, StageError> {
        let r = std::mem::take(self);
        Ok(RecordBatch::try_new(
            CLAIMS.schema(),
            vec![strings(&r.head), strings(&r.property), strings(&r.tail), strings(&r.rank)],
        )?)
    }
}

/// A malformed line: reported, counted, skipped.
struct BadLine {
    line: u64,
    head: String,
    error: String,
}

#[derive(Default)]
struct ChunkOut {
    entities: EntityRows,
    claims: ClaimRows,
    classes: Vec<(String, Vec<String>)>,
    properties: Vec<(String, Option<String>, Option<String>)>,
    bad: Vec<BadLine>,
    stats: Stats,
}

fn parse_chunk(chunk: &Chunk, rels: &RelationSet, keep: ItemScope) -> ChunkOut {
    let mut out = ChunkOut::default();
    // memchr finds line ends with SIMD; `slice::split` with a closure was 15% of the stage.
    let bytes = &chunk.bytes;
    let mut start = 0usize;
    let ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
    for (this_line, end) in (chunk.first_line..).zip(ends) {
        if start > bytes.len() {
            break;
        }
        let raw = &bytes[start..end];
        start = end + 1;
        let trimmed = raw.trim_ascii();
        let body = trimmed.strip_suffix(b",").unwrap_or(trimmed).trim_ascii_end();
        if body.is_empty() || body == b"[" || body == b"]" {
            continue;
        }
        out.stats.lines += 1;
        if keep == ItemScope::Enwiki && !may_matter(body) {
            out.stats.lines_skipped_by_prefilter += 1;
            continue;
        }
        let mut bad = |error: String| {
            let head = String::from_utf8_lossy(&raw[..raw.len().min(200)]).into_owned();
            out.bad.push(BadLine { line: this_line, head, error });
        };
        let text = match std::str::from_utf8(body) {
            Ok(t) => t,
            Err(e) => {
                bad(format!("invalid UTF-8: {e}"));
                continue;
            }
        };
        let e = match parse_entity(text, rels) {
            Ok(e) => e,
            Err(err) => {
                bad(err.to_string());
                continue;
            }
        };
        *out.stats.entities_by_kind.entry(e.kind.to_string()).or_default() += 1;
        if e.kind != "item" && e.kind != "property" {
            continue; // lexemes, forms, senses, mediainfo
        }
        let s = &mut out.stats;
        s.items_with_enwiki_title += u64::from(e.enwiki_title.is_some());
        s.entities_with_english_label += u64::from(e.label.is_some());
        s.english_aliases += e.aliases.len() as u64;
        for d in &e.dropped {
            let reason = match d {
                Drop::Deprecated => "deprecated",
                Drop::NoValue => "novalue_or_somevalue",
                Drop::NotItemValue => "not_item_valued",
            };
            *s.claims_dropped_by_reason.entry(reason.into()).or_default() += 1;
        }
        if e.dropped_other_properties > 0 {
            *s.claims_dropped_by_reason
                .entry("property_not_in_relation_set".into())
                .or_default() += e.dropped_other_properties;
        }
        for (pid, tail, rank) in &e.claims {
            *s.claims_kept_by_rank.entry(rank.as_str().into()).or_default() += 1;
            out.claims.head.push(e.id.to_string());
            out.claims.property.push(pid.to_string());
            out.claims.tail.push(tail.clone());
            out.claims.rank.push(rank.as_str());
        }
        if e.kind == "property" {
            out.properties.push((
                e.id.to_string(),
                e.label.as_deref().map(str::to_string),
                e.description.as_deref().map(str::to_string),
            ));
        }
        if !e.subclass_of.is_empty() {
            out.classes.push((e.id.to_string(), e.subclass_of.clone()));
        }
        let r = &mut out.entities;
        r.qid.push(e.id.to_string());
        r.kind.push(e.kind.to_string());
        r.label.push(e.label.map(|c| c.into_owned()));
        r.description.push(e.description.map(|c| c.into_owned()));
        r.aliases.push(e.aliases.into_iter().map(|c| c.into_owned()).collect());
        r.enwiki.push(e.enwiki_title.map(|c| c.into_owned()));
        r.instance_of.push(e.instance_of);
        r.subclass_of.push(e.subclass_of);
    }
    out
}

fn merge_counts(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

/// Rows per batch when reading the temporary entity table back.
const READ_BATCH: usize = 8 * 1024;

/// A `properties` row: pid, label, description, source (`dump` or `bundled`).
type PropertyRow = (String, Option<String>, Option<String>, &'static str);

/// Runs the stage. On any error nothing is left under the output names.
pub fn run(opts: &Options) -> Result<Stats, StageError> {
    let rels = RelationSet::load(&opts.relations)?;
    std::fs::create_dir_all(&opts.out).map_err(|e| StageError::io(&opts.out, e))?;
    let dump = open_dump_with(&opts.input, opts.threads.max(1))?;
    let mut stats = Stats {
        input: opts.input.display().to_string(),
        compression: dump.compression.name().into(),
        keep: opts.keep.as_str().into(),
        type_table_version: types::TYPE_TABLE_VERSION,
        ..Default::default()
    };
    let provenance =
        Provenance::new(concat!("wikirel-pipeline ", env!("CARGO_PKG_VERSION")), "wikidata")
            .with_inputs([opts.input.display().to_string()])
            .setting("relations", format!("{:?}", opts.relations))
            .setting("keep", opts.keep.as_str())
            .setting("type_table_version", types::TYPE_TABLE_VERSION);
    let sink_opts = SinkOptions::default();
    let untyped_path = opts.out.join(".entities-untyped.parquet");
    let mut untyped = ParquetSink::create(&untyped_path, ENTITIES, &provenance, &sink_opts)?;
    let mut claims =
        ParquetSink::create(&opts.out.join(CLAIMS.file_name()), CLAIMS, &provenance, &sink_opts)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .map_err(|e| StageError::Invalid { path: opts.input.clone(), msg: e.to_string() })?;

    let (file_len, position) = (dump.file_len, Arc::clone(&dump.position));
    let (rx, reader) = spawn_line_chunks(dump, opts.chunk_size, opts.threads.max(1) * 2);
    let mut progress = Progress::new("wikidata", file_len, "entities");
    let mut graph = ClassGraph::default();
    let mut props: BTreeMap<u64, (String, Option<String>, Option<String>)> = BTreeMap::new();
    let mut entities_seen = 0u64;
    let group_size = opts.threads.max(1) * 2;
    let mut done = false;
    while !done {
        let mut group = Vec::with_capacity(group_size);
        while group.len() < group_size {
            match rx.recv() {
                Ok(chunk) => group.push(chunk?),
                Err(_) => {
                    done = true;
                    break;
                }
            }
        }
        let outs: Vec<ChunkOut> =
            pool.install(|| group.par_iter().map(|c| parse_chunk(c, &rels, opts.keep)).collect());
        for out in outs {
            for b in &out.bad {
                tracing::warn!(
                    "{}: line {}: malformed entity skipped: {}; starts with: {}",
                    opts.input.display(),
                    b.line,
                    b.error,
                    b.head
                );
            }
            stats.malformed_lines += out.bad.len() as u64;
            if stats.malformed_lines > opts.max_errors {
                return Err(StageError::TooManyErrors {
                    path: opts.input.clone(),
                    count: stats.malformed_lines,
                    max: opts.max_errors,
                    line: out.bad.last().map_or(0, |b| b.line),
                });
            }
            let s = &out.stats;
            stats.lines += s.lines;
            stats.lines_skipped_by_prefilter += s.lines_skipped_by_prefilter;
            merge_counts(&mut stats.entities_by_kind, &s.entities_by_kind);
            merge_counts(&mut stats.claims_kept_by_rank, &s.claims_kept_by_rank);
            merge_counts(&mut stats.claims_dropped_by_reason, &s.claims_dropped_by_reason);
            stats.items_with_enwiki_title += s.items_with_enwiki_title;
            stats.entities_with_english_label += s.entities_with_english_label;
            stats.english_aliases += s.english_aliases;
            entities_seen += out.entities.len() as u64;
            for (class, ups) in &out.classes {
                graph.add(class, ups);
            }
            for (pid, label, desc) in out.properties {
                if rels.keep(&pid) {
                    if let Ok(n) = pid[1..].parse::<u64>() {
                        props.entry(n).or_insert((pid, label, desc));
                    }
                }
            }
            // One batch per chunk: the writer gathers them into bounded row groups.
            let (mut ents, mut cls) = (out.entities, out.claims);
            untyped.write(&ents.take_batch()?)?;
            claims.write(&cls.take_batch()?)?;
        }
        progress.update(position.load(Ordering::Relaxed), entities_seen);
    }
    reader.join().map_err(|_| StageError::Invalid {
        path: opts.input.clone(),
        msg: "the reader thread panicked".into(),
    })?;
    progress.finish();
    untyped.finish()?;
    stats.classes_in_graph = graph.len() as u64;

    // Pass 2: coarse types. The temporary table is removed whatever happens.
    struct RemoveOnDrop(PathBuf);
    impl std::ops::Drop for RemoveOnDrop {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    let _cleanup = RemoveOnDrop(untyped_path.clone());
    let mut entities = ParquetSink::create(
        &opts.out.join(ENTITIES.file_name()),
        ENTITIES,
        &provenance,
        &sink_opts,
    )?;
    let mut resolver = TypeResolver::new(&graph);
    for batch in open_table(&untyped_path, ENTITIES, READ_BATCH)? {
        let batch = batch?;
        let inst = batch
            .column_by_name(col::INSTANCE_OF)
            .and_then(|c| c.as_any().downcast_ref::<ListArray>())
            .expect("entities.instance_of is a list");
        let mut typed = Vec::with_capacity(batch.num_rows());
        for i in 0..batch.num_rows() {
            let classes = inst.value(i);
            let classes = classes.as_any().downcast_ref::<StringArray>().expect("list<utf8>");
            let ids: Vec<String> = classes.iter().flatten().map(str::to_string).collect();
            let ty = resolver.entity_type(&ids);
            *stats.entities_by_coarse_type.entry(ty.to_string()).or_default() += 1;
            typed.push(ty);
        }
        let mut cols: Vec<ArrayRef> = batch.columns().to_vec();
        let at = batch.schema().index_of(col::COARSE_TYPE).expect("entities has coarse_type");
        cols[at] = Arc::new(StringArray::from(typed));
        entities.write(&RecordBatch::try_new(ENTITIES.schema(), cols)?)?;
    }

    // Properties: from the dump, else from the bundled list (for a finite relation set).
    let mut properties = ParquetSink::create(
        &opts.out.join(PROPERTIES.file_name()),
        PROPERTIES,
        &provenance,
        &sink_opts,
    )?;
    let mut rows: BTreeMap<u64, PropertyRow> =
        props.into_iter().map(|(n, (pid, l, d))| (n, (pid, l, d, "dump"))).collect();
    for pid in rels.pids().unwrap_or_default() {
        let n: u64 = pid[1..].parse().unwrap_or(u64::MAX);
        if let (std::collections::btree_map::Entry::Vacant(slot), Some((l, d))) =
            (rows.entry(n), rels.names.get(&pid))
        {
            slot.insert((pid.clone(), Some(l.clone()), Some(d.clone()), "bundled"));
        }
    }
    let rows: Vec<_> = rows.into_values().collect();
    stats.properties_written = rows.len() as u64;
    let col = |f: fn(&PropertyRow) -> Option<String>| rows.iter().map(f).collect::<Vec<_>>();
    properties.write(&RecordBatch::try_new(
        PROPERTIES.schema(),
        vec![
            strings(&rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>()),
            opt_strings(&col(|r| r.1.clone())),
            opt_strings(&col(|r| r.2.clone())),
            strings(&rows.iter().map(|r| r.3).collect::<Vec<_>>()),
        ],
    )?)?;

    // Everything succeeded: put the outputs in place, then the stats.
    entities.finish()?;
    claims.finish()?;
    properties.finish()?;
    crate::stats::write_json(&opts.out.join("stats.json"), &stats)?;
    Ok(stats)
}

/// The one-screen summary printed after the stage.
pub fn summary(stats: &Stats, out: &Path) -> String {
    let kinds: Vec<String> =
        stats.entities_by_kind.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let kept: u64 = stats.claims_kept_by_rank.values().sum();
    let dropped: Vec<String> =
        stats.claims_dropped_by_reason.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let types: Vec<String> =
        stats.entities_by_coarse_type.iter().map(|(k, v)| format!("{k} {v}")).collect();
    format!(
        "wikidata: {} ({})\n  entities: {} (lines skipped unparsed, --keep {}: {})\n  with enwiki title {}, English label {}, English aliases {}\n  claims kept {kept} ({:?})\n  claims dropped: {}\n  coarse types: {}\n  properties {}, classes in P279 graph {}, malformed lines {}\n  output: {}",
        stats.input,
        stats.compression,
        kinds.join(", "),
        stats.keep,
        stats.lines_skipped_by_prefilter,
        stats.items_with_enwiki_title,
        stats.entities_with_english_label,
        stats.english_aliases,
        stats.claims_kept_by_rank,
        dropped.join(", "),
        types.join(", "),
        stats.properties_written,
        stats.classes_in_graph,
        stats.malformed_lines,
        out.display()
    )
}
