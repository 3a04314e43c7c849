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
got = dict(con.execute(f"SELECT relation, count(*) FROM '{d}/sentences.parquet' GROUP BY relation").fetchall())
rows = con.execute(f"SELECT tokens, head.name, head.token_start, head.token_end, text, head.char_start, head.char_end FROM '{d}/sentences.parquet'").fetchall()
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
