//! Writing the dataset directory: relation_instances.parquet, relations.parquet,
//! pairs.parquet, manifest.json and a dataset card README.md.
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, AsArray, Int64Array, ListArray, RecordBatch, StructArray, UInt32Array,
};
use arrow::compute::interleave_record_batch;
use arrow::datatypes::{DataType, Fields, Int64Type};
use sha2::{Digest, Sha256};

use super::exclude::Exclusions;
use super::negatives::Neighbours;
use super::plan::Plan;
use super::{End, Options, Row, Stats};
use crate::columns::{
    list_struct_fields, offsets, opt_strings, primitive_lists, string_lists, strings,
};
use crate::error::StageError;
use crate::records::{MentionRecord, SentenceRecord};
use schemas::col;
use schemas::tables::{PAIRS, RELATIONS, RELATION_INSTANCES};
use schemas::{open_table, ParquetSink, Provenance, SinkOptions};

const GROUP: usize = 8192;
/// Hard negatives kept per bag at most (sorted by pair id).
pub const MAX_NEGATIVES: usize = 64;

fn u32s(v: impl Iterator<Item = u32>) -> ArrayRef {
    Arc::new(UInt32Array::from_iter_values(v))
}

fn end_struct(fields: &Fields, ends: &[&End]) -> Result<StructArray, StageError> {
    Ok(StructArray::try_new(
        fields.clone(),
        vec![
            strings(&ends.iter().map(|e| e.qid.as_str()).collect::<Vec<_>>()),
            strings(&ends.iter().map(|e| e.name.as_str()).collect::<Vec<_>>()),
            strings(&ends.iter().map(|e| e.ty.as_str()).collect::<Vec<_>>()),
            u32s(ends.iter().map(|e| e.char_start)),
            u32s(ends.iter().map(|e| e.char_end)),
            u32s(ends.iter().map(|e| e.token_start)),
            u32s(ends.iter().map(|e| e.token_end)),
        ],
        None,
    )?)
}

fn instances_batch(rows: &[Row], ids: &[i64]) -> Result<RecordBatch, StageError> {
    let schema = RELATION_INSTANCES.schema();
    let struct_fields = |name: &str| match schema.field_with_name(name).map(|f| f.data_type()) {
        Ok(DataType::Struct(f)) => f.clone(),
        _ => unreachable!("{name} is a struct column"),
    };
    let heads: Vec<&End> = rows.iter().map(|r| &r.head).collect();
    let tails: Vec<&End> = rows.iter().map(|r| &r.tail).collect();
    let (item, mfields) = list_struct_fields(&schema, col::MENTIONS);
    let flat: Vec<_> = rows.iter().flat_map(|r| r.mentions.iter()).collect();
    let mstruct = StructArray::try_new(
        mfields,
        vec![
            strings(&flat.iter().map(|m| m.qid.as_str()).collect::<Vec<_>>()),
            strings(&flat.iter().map(|m| m.source.as_str()).collect::<Vec<_>>()),
            u32s(flat.iter().map(|m| m.char_start)),
            u32s(flat.iter().map(|m| m.char_end)),
            u32s(flat.iter().map(|m| m.token_start)),
            u32s(flat.iter().map(|m| m.token_end)),
        ],
        None,
    )?;
    let mentions = ListArray::try_new(
        item,
        offsets(rows.iter().map(|r| r.mentions.len())),
        Arc::new(mstruct),
        None,
    )?;
    let tokens: Vec<Vec<String>> = rows.iter().map(|r| r.sentence.tokens.clone()).collect();
    Ok(RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(ids.to_vec())),
            strings(&rows.iter().map(|r| r.relation.as_str()).collect::<Vec<_>>()),
            strings(&rows.iter().map(|r| r.sentence.text.as_str()).collect::<Vec<_>>()),
            string_lists(&tokens),
            Arc::new(end_struct(&struct_fields(col::HEAD), &heads)?),
            Arc::new(end_struct(&struct_fields(col::TAIL), &tails)?),
            Arc::new(mentions),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.sentence.page_id))),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.revision_id))),
            u32s(rows.iter().map(|r| r.sentence.sentence_index)),
            strings(&rows.iter().map(|r| r.dump.as_str()).collect::<Vec<_>>()),
        ],
    )?)
}

/// Rows per bucket of the external sort that puts the rows in row_id order (a bucket is held
/// in memory while it is written out in order: ~40 MB at ~2.5 KB a row).
pub const BUCKET_ROWS: usize = 16 * 1024;
/// Rows a bucket buffers before it writes them, as one row group, to its file. Every bucket
/// is open while rows arrive, so the buffers hold FLUSH_ROWS / BUCKET_ROWS = 1/64 of the
/// rows: ~100 MB for a full-dump dataset of ~2.4M rows.
const FLUSH_ROWS: usize = 256;

struct Bucket {
    sink: ParquetSink,
    rows: Vec<Row>,
    ids: Vec<i64>,
}

impl Bucket {
    fn flush(&mut self) -> Result<(), StageError> {
        if !self.rows.is_empty() {
            self.sink.write(&instances_batch(&self.rows, &self.ids)?)?;
            self.rows.clear();
            self.ids.clear();
        }
        Ok(())
    }
}

/// Puts the text back on the planned rows. The rows are in relation order, the sentences
/// come in input order: a source hands [`Gather::add`] each sentence the plan uses, in
/// sequence order ([`Gather::wants`]); each of its rows goes to the bucket of its row_id
/// (a temporary file), and `finish` sorts the buckets one at a time into
/// `relation_instances.parquet`. Memory: one bucket, never the whole dataset.
pub struct Gather<'p> {
    plan: &'p Plan,
    rel_name: &'p dyn Fn(u32) -> String,
    /// Row ids ordered by sentence sequence number.
    by_seq: Vec<u32>,
    at: usize,
    buckets: Vec<Bucket>,
    tmp: PathBuf,
}

impl<'p> Gather<'p> {
    fn new(
        plan: &'p Plan,
        rel_name: &'p dyn Fn(u32) -> String,
        tmp: &Path,
        prov: &Provenance,
    ) -> Result<Self, StageError> {
        let mut by_seq: Vec<u32> = (0..plan.seq.len() as u32).collect();
        by_seq.sort_by_key(|&r| (plan.seq[r as usize], r));
        let n = plan.seq.len().div_ceil(BUCKET_ROWS);
        let fast =
            SinkOptions { zstd_level: 1, max_row_group_rows: FLUSH_ROWS, ..Default::default() };
        let buckets = (0..n)
            .map(|k| {
                Ok(Bucket {
                    sink: ParquetSink::create(
                        &bucket_path(tmp, k),
                        RELATION_INSTANCES,
                        prov,
                        &fast,
                    )?,
                    rows: Vec::new(),
                    ids: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>, StageError>>()?;
        Ok(Gather { plan, rel_name, by_seq, at: 0, buckets, tmp: tmp.to_path_buf() })
    }

    /// The next sentence sequence number the plan needs (they must be added in this order).
    pub fn wants(&self) -> Option<u64> {
        self.by_seq.get(self.at).map(|&r| self.plan.seq[r as usize])
    }

    /// The rows of sentence `seq` (the one [`wants`](Self::wants) names).
    pub fn add(
        &mut self,
        seq: u64,
        sentence: Arc<SentenceRecord>,
        mentions: Arc<Vec<MentionRecord>>,
        revision_id: i64,
        dump: &str,
    ) -> Result<(), StageError> {
        while let Some(&r) = self.by_seq.get(self.at) {
            let r = r as usize;
            if self.plan.seq[r] != seq {
                break;
            }
            self.at += 1;
            let end = |i: u32| {
                mentions.get(i as usize).map(End::from).ok_or_else(|| StageError::Invalid {
                    path: self.tmp.clone(),
                    msg: format!("sentence {seq} has no mention {i}: the inputs changed mid-run"),
                })
            };
            let row = Row {
                relation: (self.rel_name)(self.plan.rel[r]),
                head: end(self.plan.hi[r])?,
                tail: end(self.plan.ti[r])?,
                sentence: sentence.clone(),
                mentions: mentions.clone(),
                revision_id,
                dump: dump.to_string(),
            };
            let b = &mut self.buckets[r / BUCKET_ROWS];
            b.rows.push(row);
            b.ids.push(r as i64);
            if b.rows.len() >= FLUSH_ROWS {
                b.flush()?;
            }
        }
        Ok(())
    }

    /// Sorts each bucket by row_id into `sink`. Every planned row must have been added.
    fn finish(self, sink: &mut ParquetSink) -> Result<(), StageError> {
        if self.at != self.by_seq.len() {
            return Err(StageError::Invalid {
                path: self.tmp.clone(),
                msg: format!(
                    "{} planned rows never met their sentence: the inputs changed mid-run",
                    self.by_seq.len() - self.at
                ),
            });
        }
        for (k, mut b) in self.buckets.into_iter().enumerate() {
            b.flush()?;
            b.sink.finish()?;
            let path = bucket_path(&self.tmp, k);
            let batches =
                open_table(&path, RELATION_INSTANCES, 8192)?.collect::<Result<Vec<_>, _>>()?;
            // Where each row_id of the bucket lies: (batch, row).
            let base = k * BUCKET_ROWS;
            let n: usize = batches.iter().map(|b| b.num_rows()).sum();
            let mut at = vec![(0usize, 0usize); n];
            for (bi, b) in batches.iter().enumerate() {
                let ids = b.column(0).as_primitive::<Int64Type>();
                for (ri, id) in ids.values().iter().enumerate() {
                    at[*id as usize - base] = (bi, ri);
                }
            }
            // Written in row_id order, GROUP rows at a time, straight from the bucket's
            // batches (no sorted copy of the whole bucket).
            let refs: Vec<&RecordBatch> = batches.iter().collect();
            for chunk in at.chunks(GROUP) {
                sink.write(&interleave_record_batch(&refs, chunk)?)?;
            }
            std::fs::remove_file(&path).map_err(|e| StageError::io(&path, e))?;
        }
        Ok(())
    }
}

fn bucket_path(tmp: &Path, k: usize) -> PathBuf {
    tmp.join(format!("bucket-{k:05}.parquet"))
}

// A batch's `negatives` list values must fit the i32 offsets of a `list<int64>` column.
const _: () = assert!(GROUP * MAX_NEGATIVES < i32::MAX as usize);

/// `0..n` in consecutive ranges of at most `size` (one empty range when `n` is 0, so an
/// empty table still gets its schema written).
fn batches(n: usize, size: usize) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<_> = (0..n).step_by(size).map(|s| s..(s + size).min(n)).collect();
    if out.is_empty() {
        out.push(0..0);
    }
    out
}

/// The `pairs` rows of bags `range`.
fn pairs_batch(
    plan: &Plan,
    names: &Names,
    neighbours: &Neighbours,
    range: std::ops::Range<usize>,
) -> Result<RecordBatch, StageError> {
    let mut negatives = Vec::with_capacity(range.len());
    let mut buf = Vec::new();
    for i in range.clone() {
        neighbours.of(i, MAX_NEGATIVES, &mut buf);
        negatives.push(buf.clone());
    }
    let r = range.clone();
    Ok(RecordBatch::try_new(
        PAIRS.schema(),
        vec![
            Arc::new(Int64Array::from_iter_values(r.start as i64..r.end as i64)),
            strings(
                &plan.bag_rel[r.clone()].iter().map(|&x| (names.relation)(x)).collect::<Vec<_>>(),
            ),
            strings(&plan.bag_h[r.clone()].iter().map(|&x| (names.entity)(x)).collect::<Vec<_>>()),
            strings(&plan.bag_t[r.clone()].iter().map(|&x| (names.entity)(x)).collect::<Vec<_>>()),
            Arc::new(Int64Array::from(plan.bag_start[r.clone()].to_vec())),
            Arc::new(Int64Array::from(plan.bag_end[r].to_vec())),
            primitive_lists::<Int64Type>(&negatives),
        ],
    )?)
}

fn sha256(path: &Path) -> Result<String, StageError> {
    let mut f = std::fs::File::open(path).map_err(|e| StageError::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| StageError::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// How the plan's integer ids print: relations and entities.
pub struct Names<'a> {
    pub relation: &'a dyn Fn(u32) -> String,
    pub entity: &'a dyn Fn(u32) -> String,
}

/// Writes the dataset directory from the plan. `feed` hands the [`Gather`] the sentences the
/// plan uses, in sequence order; `tmp` holds its buckets.
#[allow(clippy::too_many_arguments)]
pub fn write_all(
    opts: &Options,
    inputs: Vec<String>,
    plan: &Plan,
    names: &Names,
    labels: &HashMap<String, Option<String>>,
    stats: &mut Stats,
    ex: &Exclusions,
    tmp: &Path,
    feed: &mut dyn FnMut(&mut Gather) -> Result<(), StageError>,
) -> Result<(), StageError> {
    let prov = Provenance::new(concat!("wikirel-pipeline ", env!("CARGO_PKG_VERSION")), "dataset")
        .with_inputs(inputs.clone())
        .setting("min_bag", opts.min_bag)
        .setting("max_per_pair", opts.max_per_pair)
        .setting("exclude", ex.files.clone());
    // Row groups of GROUP rows: the writer holds one group, not 64k rows of text.
    let sorted = SinkOptions {
        sorted_by: vec![col::ROW_ID.into(), col::RELATION.into()],
        max_row_group_rows: GROUP,
        ..Default::default()
    };
    let mut sink = ParquetSink::create(
        &opts.out.join(RELATION_INSTANCES.file_name()),
        RELATION_INSTANCES,
        &prov,
        &sorted,
    )?;
    let mut gather = Gather::new(plan, names.relation, tmp, &prov)?;
    feed(&mut gather)?;
    tracing::debug!(peak_rss_mb = super::peak_rss_mb(), "rows gathered");
    gather.finish(&mut sink)?;
    tracing::debug!(peak_rss_mb = super::peak_rss_mb(), "rows sorted");
    if sink.rows() == 0 {
        sink.write(&instances_batch(&[], &[])?)?;
    }

    // relations.parquet
    let rel_names: Vec<String> = plan.rel_id.iter().map(|&r| (names.relation)(r)).collect();
    for (i, name) in rel_names.iter().enumerate() {
        stats.relation_histogram.insert(name.clone(), (plan.rel_end[i] - plan.rel_start[i]) as u64);
    }
    stats.relations = rel_names.len() as u64;
    let mut rsink = ParquetSink::create(
        &opts.out.join(RELATIONS.file_name()),
        RELATIONS,
        &prov,
        &SinkOptions::default(),
    )?;
    rsink.write(&RecordBatch::try_new(
        RELATIONS.schema(),
        vec![
            strings(&rel_names),
            opt_strings(
                &rel_names.iter().map(|r| labels.get(r).cloned().flatten()).collect::<Vec<_>>(),
            ),
            Arc::new(Int64Array::from_iter_values(
                plan.rel_start.iter().zip(&plan.rel_end).map(|(s, e)| e - s),
            )),
            Arc::new(Int64Array::from(plan.rel_pairs.clone())),
            Arc::new(Int64Array::from(plan.rel_start.clone())),
            Arc::new(Int64Array::from(plan.rel_end.clone())),
        ],
    )?)?;

    // pairs.parquet with hard negatives: bags sharing the head or the tail, not both; in
    // batches of GROUP bags, so no list offset overflows whatever the number of bags.
    let neighbours = Neighbours::new(&plan.bag_h, &plan.bag_t);
    let mut psink = ParquetSink::create(
        &opts.out.join(PAIRS.file_name()),
        PAIRS,
        &prov,
        &SinkOptions::default(),
    )?;
    let n_bags = plan.bag_h.len();
    for range in batches(n_bags, GROUP) {
        psink.write(&pairs_batch(plan, names, &neighbours, range)?)?;
    }
    stats.pairs = n_bags as u64;

    let n_rows = sink.finish()?;
    let n_rels = rsink.finish()?;
    let n_pairs = psink.finish()?;
    let mut files = serde_json::Map::new();
    for (n, table) in [(n_rows, RELATION_INSTANCES), (n_rels, RELATIONS), (n_pairs, PAIRS)] {
        let name = table.file_name();
        files.insert(
            name.clone(),
            serde_json::json!({
                "table": table.name,
                "schema_version": table.version,
                "rows": n,
                "sha256": sha256(&opts.out.join(&name))?,
            }),
        );
    }
    let manifest = serde_json::json!({
        "tool": concat!("wikirel-pipeline ", env!("CARGO_PKG_VERSION")),
        "files": files,
        "inputs": inputs,
        "excluded_files": ex.files,
        "stats": stats,
    });
    crate::stats::write_json(&opts.out.join("manifest.json"), &manifest)?;
    let card = dataset_card(stats, labels);
    let tmp = opts.out.join("README.md.partial");
    std::fs::write(&tmp, card).map_err(|e| StageError::io(&tmp, e))?;
    std::fs::rename(&tmp, opts.out.join("README.md")).map_err(|e| StageError::io(&tmp, e))?;
    Ok(())
}

fn dataset_card(stats: &Stats, labels: &HashMap<String, Option<String>>) -> String {
    let mut hist: Vec<(&String, &u64)> = stats.relation_histogram.iter().collect();
    hist.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let rows: String = hist
        .iter()
        .map(|(r, n)| {
            let label = labels.get(*r).cloned().flatten().unwrap_or_default();
            format!("| {r} | {label} | {n} |\n")
        })
        .collect();
    format!(
        "# wikirel relation dataset\n\n\
         Distantly supervised relation instances: Wikipedia sentences whose two linked entities \
         hold a Wikidata claim, built by `pipeline dataset` (see manifest.json for inputs, \
         row counts and checksums).\n\n\
         - sentences (rows): {}\n- relations: {}\n- entity-pair bags: {}\n\n\
         ## Files\n\n\
         | file | what |\n| --- | --- |\n\
         | relation_instances.parquet | one row per (sentence, head, tail, relation), sorted by relation, pair, sentence |\n\
         | relations.parquet | relation -> row range (the original rel2scope.json) |\n\
         | pairs.parquet | (relation, head, tail) bags with row ranges and hard negatives |\n\n\
         ## Query it with DuckDB\n\n\
         ```sql\n\
         SELECT relation, count(*) FROM 'relation_instances.parquet' GROUP BY relation ORDER BY 2 DESC;\n\
         SELECT text, head.name, tail.name FROM 'relation_instances.parquet' WHERE relation = 'P17' LIMIT 5;\n\
         ```\n\n\
         ## Relation histogram\n\n| relation | label | sentences |\n| --- | --- | --- |\n{rows}\n\
         ## Licences\n\n\
         Sentence text comes from Wikipedia (CC BY-SA 4.0: attribute Wikipedia contributors and \
         share alike); entities and relations come from Wikidata (CC0).\n",
        stats.rows, stats.relations, stats.pairs
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_written_in_bounded_batches() {
        assert_eq!(batches(0, 4).len(), 1);
        assert!(batches(0, 4)[0].is_empty());
        assert_eq!(batches(4, 4).iter().map(|r| (r.start, r.end)).collect::<Vec<_>>(), [(0, 4)]);
        assert_eq!(batches(9, 4), vec![0..4, 4..8, 8..9]);
        // 40M bags (past the ~33M where one batch of 64 negatives each overflowed i32
        // offsets): every batch stays far below the limit and they cover every bag once.
        let b = batches(40_000_000, GROUP);
        assert!(b.iter().all(|r| r.len() * MAX_NEGATIVES < i32::MAX as usize));
        assert_eq!(b.iter().map(|r| r.len()).sum::<usize>(), 40_000_000);
        assert!(b.windows(2).all(|w| w[0].end == w[1].start));
    }
}
