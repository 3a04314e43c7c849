//! `pipeline import` of real Wiki80 (OpenNRE JSON lines) and FewRel records, checked against
//! Python reading the same files.
#[path = "../../tests/support/harness.rs"]
mod common;

use common::*;
use pipeline::import::{self, Format};

fn check(format: Format, file: &str) {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture(file);
    import::run(format, std::slice::from_ref(&input), dir.path(), 1).unwrap();
    let v = py_json(
        r#"
import duckdb, json, sys
src, d, fmt, names = sys.argv[1:5]
pid = {v[0]: k for k, v in json.load(open(names)).items()}
want = {}
if fmt == "opennre":
    for line in open(src):
        r = json.loads(line)
        rel = pid.get(r["relation"], r["relation"])
        want[rel] = want.get(rel, 0) + 1
else:
    for rel, xs in json.load(open(src)).items():
        want[rel] = len(xs)
con = duckdb.connect()
got = dict(con.execute(f"SELECT relation, count(*) FROM '{d}/relation_instances.parquet' GROUP BY relation").fetchall())
rows = con.execute(f"SELECT tokens, head.name, head.token_start, head.token_end, text, head.char_start, head.char_end FROM '{d}/relation_instances.parquet'").fetchall()
spans_ok = all(" ".join(t[a:b]) == text[c:e] and b > a for t, n, a, b, text, c, e in rows)
print(json.dumps({"same_counts": got == want, "n": len(rows), "spans_ok": spans_ok}))
"#,
        &[
            &input,
            dir.path(),
            std::path::Path::new(if format == Format::Fewrel { "fewrel" } else { "opennre" }),
            &repo().join("pipeline/data/pid2name.json"),
        ],
    );
    assert_eq!(v["same_counts"], true, "{file}: {v}");
    assert_eq!(v["spans_ok"], true, "{file}");
    assert!(v["n"].as_u64().unwrap() > 90, "{file}: {v}");
}

#[test]
fn wiki80_opennre_lines() {
    check(Format::Opennre, "wiki80/cp_dev_every20th.txt");
}

#[test]
fn fewrel_records_including_a_mention_in_several_pieces() {
    check(Format::Fewrel, "fewrel/val_wiki_6_per_relation.json");
}

#[test]
fn a_malformed_record_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "{\"token\": [\"a\"], \"h\": {\"name\": \"a\", \"pos\": [0, 5]}, \"t\": {\"name\": \"a\", \"pos\": [0, 1]}, \"relation\": \"r\"}\n").unwrap();
    let err =
        import::run(Format::Opennre, &[bad], &dir.path().join("out"), 1).unwrap_err().to_string();
    assert!(err.contains("bad.txt") && err.contains("line 1"), "{err}");
}

/// Regression: ids that are not Wikidata items ("chemprot:..."), all mapped to the same numeric
/// sort key, used to leave one entity pair's sentences scattered, so that pairs.parquet split
/// it into several bags and MTB found no positives. DuckDB groups the rows itself.
#[test]
fn non_wikidata_ids_keep_each_pair_in_one_bag() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("corpus.txt");
    let line = |i: usize, h: &str, t: &str| {
        format!(
            "{{\"token\": [\"s{i}\", \"{h}\", \"and\", \"{t}\"], \"h\": {{\"name\": \"{h}\", \"id\": \"x:{h}\", \"pos\": [1, 2]}}, \"t\": {{\"name\": \"{t}\", \"id\": \"x:{t}\", \"pos\": [3, 4]}}, \"relation\": \"INHIBITOR\"}}\n"
        )
    };
    // Pairs (a,b) x3, (c,d) x2, (a,d) x1, interleaved.
    let order = [("a", "b"), ("c", "d"), ("a", "d"), ("a", "b"), ("c", "d"), ("a", "b")];
    let text: String = order.iter().enumerate().map(|(i, (h, t))| line(i, h, t)).collect();
    std::fs::write(&src, text).unwrap();
    let out = dir.path().join("out");
    import::run(Format::Opennre, &[src], &out, 1).unwrap();
    let v = py_json(
        r#"
import duckdb, json, sys
d = sys.argv[1]
con = duckdb.connect()
want = sorted(con.execute(f"SELECT head.qid, tail.qid, count(*) FROM '{d}/relation_instances.parquet' GROUP BY ALL").fetchall())
got = sorted(con.execute(f"SELECT head, tail, row_end - row_start FROM '{d}/pairs.parquet'").fetchall())
# Each bag's rows are exactly its pair's rows.
ok = all(con.execute(f"SELECT bool_and(head.qid = '{h}' AND tail.qid = '{t}') AND count(*) = {e - s} FROM '{d}/relation_instances.parquet' WHERE row_id >= {s} AND row_id < {e}").fetchone()[0]
         for h, t, s, e in con.execute(f"SELECT head, tail, row_start, row_end FROM '{d}/pairs.parquet'").fetchall())
print(json.dumps({"want": [list(x) for x in want], "got": [list(x) for x in got], "ranges_ok": ok}))
"#,
        &[&out],
    );
    assert_eq!(v["got"], v["want"], "{v}");
    assert_eq!(v["want"].as_array().unwrap().len(), 3, "{v}");
    assert_eq!(v["ranges_ok"], true, "{v}");
}

/// `scripts/chemprot_corpus.py` + `pipeline import` (the MTB corpus of the FewRel check) on
/// real ChemProt records (including the two with stray `>>`/`[[` in the text), plus two
/// hand-written lines: the same pair under other capitalisation in another sentence (one bag
/// with record 1) and an exact repeat of record 2 (dropped). Names and bags hand-checked.
#[test]
fn chemprot_corpus_groups_pairs_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let slice = std::fs::read_to_string(fixture("finetune/chemprot_slice.txt")).unwrap();
    let second = slice.lines().nth(1).unwrap();
    let src = dir.path().join("chemprot.txt");
    std::fs::write(
        &src,
        format!(
            "{slice}{{\"text\": \"The << androgen >> binds the [[ Androgen Receptor ]] .\", \"label\": \"ANTAGONIST\"}}\n{second}\n"
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    let st = std::process::Command::new(python())
        .arg(repo().join("scripts/chemprot_corpus.py"))
        .args([&src, &data])
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let out = dir.path().join("out");
    import::run(Format::Opennre, &[data.join("chemprot_pretrain.txt")], &out, 1).unwrap();
    let v = py_json(
        r#"
import duckdb, json, sys
d = sys.argv[1]
con = duckdb.connect()
rows = con.execute(f"SELECT head.name, tail.name, tokens, head.token_start, head.token_end, tail.token_start, tail.token_end FROM '{d}/relation_instances.parquet'").fetchall()
spans = all(" ".join(t[a:b]) == h and " ".join(t[c:e]) == tl for h, tl, t, a, b, c, e in rows)
names = sorted([h, t] for h, t, *_ in rows)
bags = sorted([h, t, e - s] for h, t, s, e in con.execute(f"SELECT head, tail, row_start, row_end FROM '{d}/pairs.parquet'").fetchall() if e - s > 1)
print(json.dumps({"spans": spans, "names": names, "bags": bags}))
"#,
        &[&out],
    );
    assert_eq!(v["spans"], true, "{v}");
    let want = serde_json::json!([
        ["5-HT3 receptor", "metoclopramide"],
        ["Androgen", "androgen receptor"],
        ["HVA Ca2+ channels", "PGE2"],
        ["Panx1", "carbenoxolone"],
        ["androgen", "Androgen Receptor"],
        ["estramustine phosphate", "androgen receptor"],
        ["neurotensin receptors", "[3H]SR 142948A"],
    ]);
    assert_eq!(v["names"], want, "{v}");
    assert_eq!(
        v["bags"],
        serde_json::json!([["chemprot:androgen", "chemprot:androgen receptor", 2]])
    );
}
