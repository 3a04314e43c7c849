//! `pipeline export-cp`: the dataset in the original implementation's JSON formats
//! (thunlp/RE-Context-or-Names `prepare_data.py`), for users of the Python code:
//!
//! - `CP/cpdata.json` (list of `{"tokens", "h": {"name", "id", "pos": [[token indices]]}, "t", "r"}`)
//!   and `CP/rel2scope.json` (`{"P17": [start, end)}`), in our relation-sorted row order;
//! - `MTB/mtbdata.json`, `MTB/entpair2scope.json` (`{"Qh#Qt": [start, end)}`, pairs with at
//!   least 2 sentences, at most 8) and `MTB/entpair2negpair.json` (pairs sharing the head or the
//!   tail, at most [`MTB_MAX_NEGATIVES`]). Unlike the original, a sentence that expresses two
//!   relations for the same pair appears once in its MTB bag.
//!
//! Streamed: rows are written to `cpdata.json` as they are read, and only integers stay per
//! row (interned entity ids, the sentence, where its JSON lies in `cpdata.json`); the MTB
//! rows are copied back out of `cpdata.json` by byte range.
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, StringArray, StructArray, UInt32Array};
use arrow::datatypes::{Int64Type, UInt32Type};
use serde::Serialize;

use crate::error::StageError;
use schemas::col;
use schemas::open_table;
use schemas::tables::RELATION_INSTANCES;

/// Maximum sentences per MTB entity pair, as in the original (`max_num = 8`).
pub const MTB_MAX_PER_PAIR: usize = 8;
/// Negative pairs listed per pair at most (the original lists all; a hub has 10^5-10^6).
pub const MTB_MAX_NEGATIVES: usize = 64;

#[derive(Serialize)]
struct Ent<'a> {
    id: &'a str,
    name: &'a str,
    pos: [Vec<u32>; 1],
}

/// One cpdata row; fields in the order the original's JSON (sorted keys) has them.
#[derive(Serialize)]
struct CpRow<'a> {
    h: Ent<'a>,
    r: &'a str,
    t: Ent<'a>,
    tokens: Vec<&'a str>,
}

/// A JSON file written to `.partial` and renamed when complete.
struct JsonOut {
    w: BufWriter<File>,
    tmp: PathBuf,
    dest: PathBuf,
    at: u64,
}

impl JsonOut {
    fn create(dest: &Path) -> Result<Self, StageError> {
        let tmp = dest.with_extension("json.partial");
        let f = File::create(&tmp).map_err(|e| StageError::io(&tmp, e))?;
        Ok(JsonOut {
            w: BufWriter::with_capacity(1 << 20, f),
            tmp,
            dest: dest.to_path_buf(),
            at: 0,
        })
    }

    fn bytes(&mut self, b: &[u8]) -> Result<(), StageError> {
        self.at += b.len() as u64;
        self.w.write_all(b).map_err(|e| StageError::io(&self.tmp, e))
    }

    fn json(&mut self, v: &impl Serialize) -> Result<(), StageError> {
        let s = serde_json::to_vec(v)
            .map_err(|e| StageError::Invalid { path: self.tmp.clone(), msg: e.to_string() })?;
        self.bytes(&s)
    }

    /// Flushes what is buffered to the partial file (renamed only by `finish`).
    fn flush(&mut self) -> Result<(), StageError> {
        self.w.flush().map_err(|e| StageError::io(&self.tmp, e))
    }

    fn finish(mut self) -> Result<(), StageError> {
        self.flush()?;
        std::fs::rename(&self.tmp, &self.dest).map_err(|e| StageError::io(&self.dest, e))
    }
}

/// What stays in memory per row.
struct RowRef {
    head: u32,
    tail: u32,
    sentence: (i64, u32),
    /// Byte range of the row's JSON in cpdata.json.
    at: u64,
    len: u32,
}

/// Entity ids interned to integers (one string per distinct entity, not per row).
#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn get(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.ids.insert(s.to_string(), i);
        self.names.push(s.to_string());
        i
    }

    /// Compares the pair keys "h#t" as strings.
    fn cmp_pairs(&self, a: (u32, u32), b: (u32, u32)) -> Ordering {
        let key = |(h, t): (u32, u32)| {
            self.names[h as usize]
                .bytes()
                .chain(std::iter::once(b'#'))
                .chain(self.names[t as usize].bytes())
        };
        key(a).cmp(key(b))
    }

    fn pair_key(&self, (h, t): (u32, u32)) -> String {
        format!("{}#{}", self.names[h as usize], self.names[t as usize])
    }
}

/// Writes `out/CP` and `out/MTB` from a dataset directory. Returns (CP rows, MTB rows).
pub fn run(dataset: &Path, out: &Path) -> Result<(usize, usize), StageError> {
    let (cp, mtb) = (out.join("CP"), out.join("MTB"));
    for d in [&cp, &mtb] {
        std::fs::create_dir_all(d).map_err(|e| StageError::io(d, e))?;
    }
    // CP: rows stream out in row order; relations are contiguous.
    let mut cpdata = JsonOut::create(&cp.join("cpdata.json"))?;
    let mut rel2scope: BTreeMap<String, [usize; 2]> = BTreeMap::new();
    let mut ents = Interner::default();
    let mut rows: Vec<RowRef> = Vec::new();
    cpdata.bytes(b"[")?;
    for b in open_table(&RELATION_INSTANCES.path_in(dataset), RELATION_INSTANCES, 4096)? {
        let b = b?;
        let rel = b.column_by_name(col::RELATION).expect(col::RELATION).as_string::<i32>();
        let tokens = b.column_by_name(col::TOKENS).expect(col::TOKENS).as_list::<i32>();
        let pages = b.column_by_name(col::PAGE_ID).expect(col::PAGE_ID).as_primitive::<Int64Type>();
        let idx = b.column_by_name(col::SENTENCE_INDEX).expect("idx").as_primitive::<UInt32Type>();
        let end = |name: &str| b.column_by_name(name).expect("entity").as_struct().clone();
        let (head, tail) = (end(col::HEAD), end(col::TAIL));
        let field = |s: &StructArray, c: &str| s.column_by_name(c).expect("field").clone();
        let (hq, hn) = (field(&head, col::QID), field(&head, col::NAME));
        let (tq, tn) = (field(&tail, col::QID), field(&tail, col::NAME));
        let (hs, he) = (field(&head, col::TOKEN_START), field(&head, col::TOKEN_END));
        let (ts, te) = (field(&tail, col::TOKEN_START), field(&tail, col::TOKEN_END));
        let s = |a: &std::sync::Arc<dyn Array>| a.as_string::<i32>().clone();
        let u = |a: &std::sync::Arc<dyn Array>| a.as_primitive::<UInt32Type>().clone();
        let (hq, hn, tq, tn): (StringArray, StringArray, StringArray, StringArray) =
            (s(&hq), s(&hn), s(&tq), s(&tn));
        let (hs, he, ts, te): (UInt32Array, UInt32Array, UInt32Array, UInt32Array) =
            (u(&hs), u(&he), u(&ts), u(&te));
        for i in 0..b.num_rows() {
            let toks = tokens.value(i);
            let toks = toks.as_string::<i32>();
            let row = CpRow {
                h: Ent {
                    id: hq.value(i),
                    name: hn.value(i),
                    pos: [(hs.value(i)..he.value(i)).collect()],
                },
                r: rel.value(i),
                t: Ent {
                    id: tq.value(i),
                    name: tn.value(i),
                    pos: [(ts.value(i)..te.value(i)).collect()],
                },
                tokens: (0..toks.len()).map(|j| toks.value(j)).collect(),
            };
            let n = rows.len();
            if n > 0 {
                cpdata.bytes(b",")?;
            }
            match rel2scope.get_mut(row.r) {
                Some(scope) => scope[1] = n + 1,
                None => {
                    rel2scope.insert(row.r.to_string(), [n, n + 1]);
                }
            }
            let at = cpdata.at;
            cpdata.json(&row)?;
            rows.push(RowRef {
                head: ents.get(row.h.id),
                tail: ents.get(row.t.id),
                sentence: (pages.value(i), idx.value(i)),
                at,
                len: (cpdata.at - at) as u32,
            });
        }
    }
    cpdata.bytes(b"]")?;
    cpdata.flush()?;
    let mut scope_out = JsonOut::create(&cp.join("rel2scope.json"))?;
    scope_out.json(&rel2scope)?;
    scope_out.finish()?;

    // MTB: bags per entity pair over all relations, in pair-key order; a bag's rows in row
    // order, one per sentence.
    let mut order: Vec<u32> = (0..rows.len() as u32).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&rows[a as usize], &rows[b as usize]);
        ents.cmp_pairs((x.head, x.tail), (y.head, y.tail)).then(a.cmp(&b))
    });
    let src = File::open(&cpdata.tmp).map_err(|e| StageError::io(&cpdata.tmp, e))?;
    let mut mtbdata = JsonOut::create(&mtb.join("mtbdata.json"))?;
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut pair_scope: Vec<[usize; 2]> = Vec::new();
    let (mut written, mut buf) = (0usize, Vec::new());
    mtbdata.bytes(b"[")?;
    let mut i = 0;
    while i < order.len() {
        let first = &rows[order[i] as usize];
        let pair = (first.head, first.tail);
        let mut j = i;
        let mut bag: Vec<u32> = Vec::new();
        while j < order.len() {
            let r = &rows[order[j] as usize];
            if (r.head, r.tail) != pair {
                break;
            }
            if !bag.iter().any(|&k| rows[k as usize].sentence == r.sentence) {
                bag.push(order[j]);
            }
            j += 1;
        }
        i = j;
        if bag.len() < 2 {
            continue;
        }
        let start = written;
        for &k in bag.iter().take(MTB_MAX_PER_PAIR) {
            let r = &rows[k as usize];
            buf.resize(r.len as usize, 0);
            src.read_exact_at(&mut buf, r.at).map_err(|e| StageError::io(&cpdata.tmp, e))?;
            if written > 0 {
                mtbdata.bytes(b",")?;
            }
            mtbdata.bytes(&buf)?;
            written += 1;
        }
        pairs.push(pair);
        pair_scope.push([start, written]);
    }
    mtbdata.bytes(b"]")?;
    drop(src);
    cpdata.finish()?;
    mtbdata.finish()?;

    let mut scope = JsonOut::create(&mtb.join("entpair2scope.json"))?;
    scope.bytes(b"{")?;
    for (k, (p, s)) in pairs.iter().zip(&pair_scope).enumerate() {
        if k > 0 {
            scope.bytes(b",")?;
        }
        scope.json(&ents.pair_key(*p))?;
        scope.bytes(b":")?;
        scope.json(s)?;
    }
    scope.bytes(b"}")?;
    scope.finish()?;

    // Negatives: the pairs sharing the head (contiguous in key order: "h#" is a prefix), then
    // those sharing the tail, each list in key order, stopped at the cap.
    let mut by_tail: Vec<u32> = (0..pairs.len() as u32).collect();
    by_tail.sort_by(|&a, &b| {
        let (x, y) = (pairs[a as usize], pairs[b as usize]);
        ents.names[x.1 as usize].cmp(&ents.names[y.1 as usize]).then(a.cmp(&b))
    });
    let tail_of = |k: u32| pairs[k as usize].1;
    let mut negs = JsonOut::create(&mtb.join("entpair2negpair.json"))?;
    negs.bytes(b"{")?;
    let mut head_start = 0;
    for (k, &p) in pairs.iter().enumerate() {
        if pairs[head_start].0 != p.0 {
            head_start = k;
        }
        let mut list: Vec<usize> = Vec::new();
        let mut h = head_start;
        while h < pairs.len() && pairs[h].0 == p.0 && list.len() < MTB_MAX_NEGATIVES {
            if h != k {
                list.push(h);
            }
            h += 1;
        }
        let lo = by_tail
            .partition_point(|&x| ents.names[tail_of(x) as usize] < ents.names[p.1 as usize]);
        let mut t = lo;
        while t < by_tail.len() && tail_of(by_tail[t]) == p.1 && list.len() < MTB_MAX_NEGATIVES {
            let q = by_tail[t] as usize;
            if q != k {
                list.push(q);
            }
            t += 1;
        }
        if k > 0 {
            negs.bytes(b",")?;
        }
        negs.json(&ents.pair_key(p))?;
        negs.bytes(b":")?;
        let keys: Vec<String> = list.iter().map(|&q| ents.pair_key(pairs[q])).collect();
        negs.json(&keys)?;
    }
    negs.bytes(b"}")?;
    negs.finish()?;
    Ok((rows.len(), written))
}
