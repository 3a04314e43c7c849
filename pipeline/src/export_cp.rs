//! `pipeline export-cp`: the dataset in the original implementation's JSON formats
//! (thunlp/RE-Context-or-Names `prepare_data.py`), for users of the Python code:
//!
//! - `CP/cpdata.json` (list of `{"tokens", "h": {"name", "id", "pos": [[token indices]]}, "t", "r"}`)
//!   and `CP/rel2scope.json` (`{"P17": [start, end)}`), in our relation-sorted row order;
//! - `MTB/mtbdata.json`, `MTB/entpair2scope.json` (`{"Qh#Qt": [start, end)}`, pairs with at
//!   least 2 sentences, at most 8) and `MTB/entpair2negpair.json` (pairs sharing the head or the
//!   tail). Unlike the original, a sentence that expresses two relations for the same pair
//!   appears once in its MTB bag.
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Int64Type, UInt32Type};
use serde_json::{json, Value};

use crate::error::StageError;
use schemas::open_table;
use schemas::tables::RELATION_INSTANCES;

/// Maximum sentences per MTB entity pair, as in the original (`max_num = 8`).
pub const MTB_MAX_PER_PAIR: usize = 8;

struct Instance {
    value: Value,
    relation: String,
    pair: String,
    sentence: (i64, u32),
}

fn read_instances(path: &Path) -> Result<Vec<Instance>, StageError> {
    let mut out = Vec::new();
    for b in open_table(path, RELATION_INSTANCES, 4096)? {
        let b = b?;
        let rel = b.column_by_name("relation").expect("relation").as_string::<i32>();
        let tokens = b.column_by_name("tokens").expect("tokens").as_list::<i32>();
        let pages = b.column_by_name("page_id").expect("page_id").as_primitive::<Int64Type>();
        let idx = b.column_by_name("sentence_index").expect("idx").as_primitive::<UInt32Type>();
        let end = |name: &str, i: usize| -> (String, String, u32, u32) {
            let s = b.column_by_name(name).expect("entity").as_struct();
            let f = |c: &str| s.column_by_name(c).expect("field").clone();
            let u = |c: &str| f(c).as_primitive::<UInt32Type>().value(i);
            (
                f("qid").as_string::<i32>().value(i).to_string(),
                f("name").as_string::<i32>().value(i).to_string(),
                u("token_start"),
                u("token_end"),
            )
        };
        for i in 0..b.num_rows() {
            let toks = tokens.value(i);
            let toks = toks.as_string::<i32>();
            let toks: Vec<&str> = (0..toks.len()).map(|j| toks.value(j)).collect();
            let (hq, hn, hs, he) = end("head", i);
            let (tq, tn, ts, te) = end("tail", i);
            let r = rel.value(i).to_string();
            out.push(Instance {
                value: json!({
                    "tokens": toks,
                    "h": {"name": hn, "id": hq, "pos": [(hs..he).collect::<Vec<u32>>()]},
                    "t": {"name": tn, "id": tq, "pos": [(ts..te).collect::<Vec<u32>>()]},
                    "r": r,
                }),
                pair: format!("{hq}#{tq}"),
                relation: r,
                sentence: (pages.value(i), idx.value(i)),
            });
        }
    }
    Ok(out)
}

fn write_json(path: &Path, v: &impl serde::Serialize) -> Result<(), StageError> {
    let tmp = path.with_extension("json.partial");
    let f = std::fs::File::create(&tmp).map_err(|e| StageError::io(&tmp, e))?;
    let mut w = std::io::BufWriter::new(f);
    serde_json::to_writer(&mut w, v)
        .map_err(|e| StageError::Invalid { path: tmp.clone(), msg: e.to_string() })?;
    w.flush().map_err(|e| StageError::io(&tmp, e))?;
    drop(w);
    std::fs::rename(&tmp, path).map_err(|e| StageError::io(path, e))
}

/// Writes `out/CP` and `out/MTB` from a dataset directory. Returns (CP rows, MTB rows).
pub fn run(dataset: &Path, out: &Path) -> Result<(usize, usize), StageError> {
    let rows = read_instances(&dataset.join("sentences.parquet"))?;
    let (cp, mtb) = (out.join("CP"), out.join("MTB"));
    for d in [&cp, &mtb] {
        std::fs::create_dir_all(d).map_err(|e| StageError::io(d, e))?;
    }
    // CP: rows are already contiguous per relation.
    let mut rel2scope: BTreeMap<&str, [usize; 2]> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        rel2scope.entry(&r.relation).or_insert([i, i])[1] = i + 1;
    }
    let cpdata: Vec<&Value> = rows.iter().map(|r| &r.value).collect();
    write_json(&cp.join("cpdata.json"), &cpdata)?;
    write_json(&cp.join("rel2scope.json"), &rel2scope)?;

    // MTB: bags per entity pair over all relations.
    let mut bags: BTreeMap<&str, Vec<&Instance>> = BTreeMap::new();
    for r in &rows {
        let bag = bags.entry(&r.pair).or_default();
        if !bag.iter().any(|x| x.sentence == r.sentence) {
            bag.push(r);
        }
    }
    let mut list: Vec<&Value> = Vec::new();
    let mut scope: BTreeMap<&str, [usize; 2]> = BTreeMap::new();
    for (pair, bag) in &bags {
        if bag.len() < 2 {
            continue;
        }
        let start = list.len();
        list.extend(bag.iter().take(MTB_MAX_PER_PAIR).map(|r| &r.value));
        scope.insert(pair, [start, list.len()]);
    }
    let kept: Vec<&str> = scope.keys().copied().collect();
    let mut negs: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for side in [0usize, 1] {
        let mut by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for p in &kept {
            by.entry(p.split('#').nth(side).unwrap_or("")).or_default().push(p);
        }
        for group in by.values() {
            for p in group {
                let entry = negs.entry(p).or_default();
                let seen: HashSet<&str> = entry.iter().copied().collect();
                entry.extend(group.iter().filter(|q| *q != p && !seen.contains(*q)).copied());
            }
        }
    }
    write_json(&mtb.join("mtbdata.json"), &list)?;
    write_json(&mtb.join("entpair2scope.json"), &scope)?;
    write_json(&mtb.join("entpair2negpair.json"), &negs)?;
    Ok((rows.len(), list.len()))
}
