//! Writing the dataset directory: sentences.parquet (relation instances), relations.parquet,
//! pairs.parquet, manifest.json and a dataset card README.md.
use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, ListArray, RecordBatch, StructArray, UInt32Array};
use arrow::datatypes::{DataType, Fields, Int64Type};
use sha2::{Digest, Sha256};

use super::exclude::Exclusions;
use super::{End, Options, Row, Stats};
use crate::columns::{
    list_struct_fields, offsets, opt_strings, primitive_lists, string_lists, strings,
};
use crate::error::StageError;
use schemas::tables::{PAIRS, RELATIONS, RELATION_INSTANCES};
use schemas::{ParquetSink, Provenance, SinkOptions};

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

fn instances_batch(rows: &[Row], first_id: i64) -> Result<RecordBatch, StageError> {
    let schema = RELATION_INSTANCES.schema();
    let struct_fields = |name: &str| match schema.field_with_name(name).map(|f| f.data_type()) {
        Ok(DataType::Struct(f)) => f.clone(),
        _ => unreachable!("{name} is a struct column"),
    };
    let heads: Vec<&End> = rows.iter().map(|r| &r.head).collect();
    let tails: Vec<&End> = rows.iter().map(|r| &r.tail).collect();
    let (item, mfields) = list_struct_fields(&schema, "mentions");
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
            Arc::new(Int64Array::from_iter_values(first_id..first_id + rows.len() as i64)),
            strings(&rows.iter().map(|r| r.relation.as_str()).collect::<Vec<_>>()),
            strings(&rows.iter().map(|r| r.sentence.text.as_str()).collect::<Vec<_>>()),
            string_lists(&tokens),
            Arc::new(end_struct(&struct_fields("head"), &heads)?),
            Arc::new(end_struct(&struct_fields("tail"), &tails)?),
            Arc::new(mentions),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.sentence.page_id))),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.revision_id))),
            u32s(rows.iter().map(|r| r.sentence.sentence_index)),
            strings(&rows.iter().map(|r| r.dump.as_str()).collect::<Vec<_>>()),
        ],
    )?)
}

/// Bags: (relation, head, tail, row_start, row_end).
fn bags(rows: &[Row]) -> Vec<(String, String, String, i64, i64)> {
    let mut out: Vec<(String, String, String, i64, i64)> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        match out.last_mut() {
            Some(b) if b.0 == r.relation && b.1 == r.head.qid && b.2 == r.tail.qid => {
                b.4 = i as i64 + 1
            }
            _ => out.push((
                r.relation.clone(),
                r.head.qid.clone(),
                r.tail.qid.clone(),
                i as i64,
                i as i64 + 1,
            )),
        }
    }
    out
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

pub fn write_all(
    opts: &Options,
    inputs: Vec<String>,
    rows: &[Row],
    labels: &HashMap<String, Option<String>>,
    stats: &mut Stats,
    ex: &Exclusions,
) -> Result<(), StageError> {
    let prov = Provenance::new(concat!("wikirel-pipeline ", env!("CARGO_PKG_VERSION")), "dataset")
        .with_inputs(inputs.clone())
        .setting("min_bag", opts.min_bag)
        .setting("max_per_pair", opts.max_per_pair)
        .setting("exclude", ex.files.clone());
    let sorted =
        SinkOptions { sorted_by: vec!["row_id".into(), "relation".into()], ..Default::default() };
    let mut sink = ParquetSink::create(
        &opts.out.join("sentences.parquet"),
        RELATION_INSTANCES,
        &prov,
        &sorted,
    )?;
    for (k, chunk) in rows.chunks(GROUP).enumerate() {
        sink.write(&instances_batch(chunk, (k * GROUP) as i64)?)?;
    }
    if rows.is_empty() {
        sink.write(&instances_batch(&[], 0)?)?;
    }

    // relations.parquet
    let bag_list = bags(rows);
    let mut rels: Vec<(String, i64, i64, i64)> = Vec::new(); // relation, start, end, pairs
    for b in &bag_list {
        match rels.last_mut() {
            Some(r) if r.0 == b.0 => {
                r.2 = b.4;
                r.3 += 1;
            }
            _ => rels.push((b.0.clone(), b.3, b.4, 1)),
        }
    }
    let mut rsink = ParquetSink::create(
        &opts.out.join("relations.parquet"),
        RELATIONS,
        &prov,
        &SinkOptions::default(),
    )?;
    rsink.write(&RecordBatch::try_new(
        RELATIONS.schema(),
        vec![
            strings(&rels.iter().map(|r| r.0.as_str()).collect::<Vec<_>>()),
            opt_strings(
                &rels.iter().map(|r| labels.get(&r.0).cloned().flatten()).collect::<Vec<_>>(),
            ),
            Arc::new(Int64Array::from_iter_values(rels.iter().map(|r| r.2 - r.1))),
            Arc::new(Int64Array::from_iter_values(rels.iter().map(|r| r.3))),
            Arc::new(Int64Array::from_iter_values(rels.iter().map(|r| r.1))),
            Arc::new(Int64Array::from_iter_values(rels.iter().map(|r| r.2))),
        ],
    )?)?;

    // pairs.parquet with hard negatives: bags sharing the head or the tail, not both.
    let mut by_head: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_tail: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, b) in bag_list.iter().enumerate() {
        by_head.entry(&b.1).or_default().push(i);
        by_tail.entry(&b.2).or_default().push(i);
    }
    let negatives: Vec<Vec<i64>> = bag_list
        .iter()
        .map(|b| {
            let set: BTreeSet<usize> = by_head[b.1.as_str()]
                .iter()
                .chain(&by_tail[b.2.as_str()])
                .copied()
                .filter(|&j| !(bag_list[j].1 == b.1 && bag_list[j].2 == b.2))
                .collect();
            set.into_iter().take(MAX_NEGATIVES).map(|j| j as i64).collect()
        })
        .collect();
    let mut psink = ParquetSink::create(
        &opts.out.join("pairs.parquet"),
        PAIRS,
        &prov,
        &SinkOptions::default(),
    )?;
    psink.write(&RecordBatch::try_new(
        PAIRS.schema(),
        vec![
            Arc::new(Int64Array::from_iter_values(0..bag_list.len() as i64)),
            strings(&bag_list.iter().map(|b| b.0.as_str()).collect::<Vec<_>>()),
            strings(&bag_list.iter().map(|b| b.1.as_str()).collect::<Vec<_>>()),
            strings(&bag_list.iter().map(|b| b.2.as_str()).collect::<Vec<_>>()),
            Arc::new(Int64Array::from_iter_values(bag_list.iter().map(|b| b.3))),
            Arc::new(Int64Array::from_iter_values(bag_list.iter().map(|b| b.4))),
            primitive_lists::<Int64Type>(&negatives),
        ],
    )?)?;
    stats.pairs = bag_list.len() as u64;

    let n_rows = sink.finish()?;
    let n_rels = rsink.finish()?;
    let n_pairs = psink.finish()?;
    let mut files = serde_json::Map::new();
    for (name, n, table) in [
        ("sentences.parquet", n_rows, RELATION_INSTANCES),
        ("relations.parquet", n_rels, RELATIONS),
        ("pairs.parquet", n_pairs, PAIRS),
    ] {
        files.insert(
            name.into(),
            serde_json::json!({
                "table": table.name,
                "schema_version": table.version,
                "rows": n,
                "sha256": sha256(&opts.out.join(name))?,
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
         | sentences.parquet | one row per (sentence, head, tail, relation), sorted by relation, pair, sentence |\n\
         | relations.parquet | relation -> row range (the original rel2scope.json) |\n\
         | pairs.parquet | (relation, head, tail) bags with row ranges and hard negatives |\n\n\
         ## Query it with DuckDB\n\n\
         ```sql\n\
         SELECT relation, count(*) FROM 'sentences.parquet' GROUP BY relation ORDER BY 2 DESC;\n\
         SELECT text, head.name, tail.name FROM 'sentences.parquet' WHERE relation = 'P17' LIMIT 5;\n\
         ```\n\n\
         ## Relation histogram\n\n| relation | label | sentences |\n| --- | --- | --- |\n{rows}\n\
         ## Licences\n\n\
         Sentence text comes from Wikipedia (CC BY-SA 4.0: attribute Wikipedia contributors and \
         share alike); entities and relations come from Wikidata (CC0).\n",
        stats.rows, stats.relations, stats.pairs
    )
}
