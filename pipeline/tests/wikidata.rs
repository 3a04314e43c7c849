//! Stage `wikidata` on the vendored real and e2e fixtures, checked against counts computed
//! independently by tests/reference/wikidata_counts.py and against DuckDB reading the output.
#[path = "../../tests/support/harness.rs"]
mod common;

use std::io::Write;
use std::path::Path;

use common::*;
use pipeline::wikidata::{self, relations::RelationsArg, ItemScope, Options};
use schemas::tables::{CLAIMS, ENTITIES, PROPERTIES};

/// Every line parsed (`--keep all`): these tests check the parser against independent counts.
fn all_lines(input: &Path, out: &Path) -> Options {
    let mut o = Options::new(input, out);
    o.keep = ItemScope::All;
    o
}

fn run(input: &Path, out: &Path) -> wikidata::Stats {
    wikidata::run(&all_lines(input, out)).unwrap()
}

fn check_against_reference(name: &str, input: &str) {
    let dir = tempfile::tempdir().unwrap();
    let stats = run(&fixture(input), dir.path());
    let want = &reference("wikidata_counts.json")[name];
    let got = serde_json::to_value(&stats).unwrap();
    for key in [
        "entities_by_kind",
        "items_with_enwiki_title",
        "entities_with_english_label",
        "english_aliases",
        "claims_kept_by_rank",
        "claims_dropped_by_reason",
    ] {
        assert_eq!(got[key], want[key], "{name}: {key}");
    }
    // DuckDB reads every table; counts and the first claims in file order agree.
    let script = r#"
import duckdb, json, sys
d = sys.argv[1]
con = duckdb.connect()
q = lambda s: con.execute(s).fetchall()
print(json.dumps({
  "entities": q(f"SELECT count(*) FROM '{d}/entities.parquet'")[0][0],
  "titled": q(f"SELECT count(*) FROM '{d}/entities.parquet' WHERE enwiki_title IS NOT NULL")[0][0],
  "labelled": q(f"SELECT count(*) FROM '{d}/entities.parquet' WHERE label IS NOT NULL")[0][0],
  "ranks": dict(q(f"SELECT rank, count(*) FROM '{d}/claims.parquet' GROUP BY rank")),
  "first": [list(r) for r in q(f"SELECT head, property, tail, rank FROM read_parquet('{d}/claims.parquet', file_row_number=true) ORDER BY file_row_number LIMIT 5")],
  "last": list(q(f"SELECT head, property, tail, rank FROM read_parquet('{d}/claims.parquet', file_row_number=true) ORDER BY file_row_number DESC LIMIT 1")[0]) if q(f"SELECT count(*) FROM '{d}/claims.parquet'")[0][0] else None,
  "properties": q(f"SELECT count(*) FROM '{d}/properties.parquet'")[0][0],
}))
"#;
    let db = py_json(script, &[dir.path()]);
    let kinds: u64 = want["entities_by_kind"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k == "item" || *k == "property")
        .map(|(_, v)| v.as_u64().unwrap())
        .sum();
    assert_eq!(db["entities"], kinds, "{name}: entity rows");
    // The table's own columns against Python's counts of the dump (not only the stats).
    assert_eq!(db["titled"], want["items_with_enwiki_title"], "{name}: enwiki titles");
    assert_eq!(db["labelled"], want["entities_with_english_label"], "{name}: English labels");
    assert_eq!(db["ranks"], want["claims_kept_by_rank"], "{name}: claims by rank");
    assert_eq!(db["first"], want["first_claims"], "{name}: first claims");
    assert_eq!(db["last"], want["last_claim"], "{name}: last claim");
    assert_eq!(db["properties"], 744, "{name}: the bundled relation set's properties");
}

#[test]
fn real_49_item_head_without_closing_bracket() {
    check_against_reference("head49", "wikidata/head49.json.bz2");
}

#[test]
fn stripped_101_entity_sample_with_old_numeric_ids_and_properties() {
    check_against_reference("wdtk101", "wikidata/wdtk-sample-101.json.gz");
}

#[test]
fn e2e_dump_counts() {
    check_against_reference("e2e", "e2e_wiki80/wikidata.json");
}

#[test]
fn plain_gzip_and_bzip2_give_identical_tables() {
    let outs: Vec<_> = ["wikidata.json", "wikidata.json.gz", "wikidata.json.bz2"]
        .iter()
        .map(|f| {
            let dir = tempfile::tempdir().unwrap();
            let stats = run(&fixture(&format!("e2e_wiki80/{f}")), dir.path());
            (dir, stats)
        })
        .collect();
    assert_eq!(outs[1].1.compression, "gzip");
    assert_eq!(outs[2].1.compression, "bzip2");
    for t in [ENTITIES, CLAIMS, PROPERTIES] {
        let base = table(outs[0].0.path(), t);
        for (dir, _) in &outs[1..] {
            assert!(same_rows(&base, &table(dir.path(), t)), "{} differs", t.name);
        }
    }
}

#[test]
fn output_is_the_same_whatever_the_thread_count() {
    let input = fixture("e2e_wiki80/wikidata.json");
    let outs: Vec<_> = [1usize, 3]
        .iter()
        .map(|&threads| {
            let dir = tempfile::tempdir().unwrap();
            let mut opts = Options::new(&input, dir.path());
            opts.threads = threads;
            opts.chunk_size = 16 * 1024; // many chunks, so parallel parsing really interleaves
            wikidata::run(&opts).unwrap();
            dir
        })
        .collect();
    for t in [ENTITIES, CLAIMS, PROPERTIES] {
        assert!(same_rows(&table(outs[0].path(), t), &table(outs[1].path(), t)), "{}", t.name);
    }
}

#[test]
fn traps_never_become_claims() {
    // negatives.tsv: pairs linked only by a deprecated statement, an item-valued qualifier
    // or a reference snak must not be claims.
    let dir = tempfile::tempdir().unwrap();
    run(&fixture("e2e_wiki80/wikidata.json"), dir.path());
    let negatives = std::fs::read_to_string(fixture("e2e_wiki80/negatives.tsv")).unwrap();
    let mut checked = 0;
    let claims = py_json(
        r#"
import duckdb, json, sys
rows = duckdb.connect().execute(f"SELECT head, tail, property FROM '{sys.argv[1]}/claims.parquet'").fetchall()
print(json.dumps([list(r) for r in rows]))
"#,
        &[dir.path()],
    );
    let claims: std::collections::HashSet<(String, String, String)> =
        serde_json::from_value::<Vec<(String, String, String)>>(claims)
            .unwrap()
            .into_iter()
            .collect();
    for line in negatives.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if matches!(f[5], "deprecated" | "qualifier" | "reference") {
            let key = (f[2].to_string(), f[3].to_string(), f[4].to_string());
            assert!(!claims.contains(&key), "trap {line} became a claim");
            checked += 1;
        }
    }
    assert_eq!(checked, 32);
    // String, quantity and url statements (P856, P1082, ...) are not item claims.
    assert!(claims.iter().all(|(_, t, _)| t.starts_with('Q')));
}

#[test]
fn every_property_keeps_its_claims_with_relations_all() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = all_lines(&fixture("wikidata/head49.json.bz2"), dir.path());
    opts.relations = RelationsArg::All;
    let stats = wikidata::run(&opts).unwrap();
    assert!(!stats.claims_dropped_by_reason.contains_key("property_not_in_relation_set"));
    let kept: u64 = stats.claims_kept_by_rank.values().sum();
    assert!(kept > 1876, "{kept}");
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::File::create(path).unwrap().write_all(bytes).unwrap();
}

#[test]
fn malformed_lines_are_counted_and_skipped_until_max_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(fixture("e2e_wiki80/wikidata.json")).unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    lines.insert(3, r#"{"type":"item","id":"Q999999999","labels":{"en":"#);
    lines.insert(7, "not json at all,");
    let input = dir.path().join("bad.json");
    write(&input, lines.join("\n").as_bytes());
    let out = dir.path().join("out");
    let stats = run(&input, &out);
    assert_eq!(stats.malformed_lines, 2);
    assert_eq!(stats.entities_by_kind["item"], 2343);

    let mut opts = all_lines(&input, &dir.path().join("strict"));
    opts.max_errors = 1;
    let err = wikidata::run(&opts).expect_err("more than --max-errors must fail").to_string();
    assert!(err.contains("bad.json") && err.contains("--max-errors 1"), "{err}");
    assert!(!dir.path().join("strict/entities.parquet").exists());
}

#[test]
fn truncated_compressed_input_is_an_error_naming_file_and_offset_leaving_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // bzip2 on 1 thread (libbzip2) and on 4 (block-parallel mibz2), gzip on 1 thread (flate2)
    // and on 4 (member-parallel); a file cut in half, and one with a flipped byte in the middle
    // (a block CRC mismatch, or a corrupt deflate stream).
    let cases = [
        ("wikidata.json.gz", 1, false),
        ("wikidata.json.gz", 4, false),
        ("wikidata.json.gz", 1, true),
        ("wikidata.json.gz", 4, true),
        ("wikidata.json.bz2", 1, false),
        ("wikidata.json.bz2", 4, false),
        ("wikidata.json.bz2", 1, true),
        ("wikidata.json.bz2", 4, true),
    ];
    for (i, (name, threads, flip)) in cases.into_iter().enumerate() {
        let mut bytes = std::fs::read(fixture(&format!("e2e_wiki80/{name}"))).unwrap();
        if flip {
            let mid = bytes.len() / 2;
            bytes[mid] ^= 0x55;
        } else {
            bytes.truncate(bytes.len() / 2);
        }
        let input = dir.path().join(format!("bad-{i}-{name}"));
        write(&input, &bytes);
        let out = dir.path().join(format!("out-{i}"));
        let mut o = Options::new(&input, &out);
        o.threads = threads;
        let err = wikidata::run(&o).expect_err("must fail").to_string();
        assert!(err.contains(&input.display().to_string()), "{err}");
        assert!(err.contains("byte offset"), "{err}");
        let left: Vec<_> =
            std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "{name} ({threads} threads, flip {flip}): left behind {left:?}");
    }
}

/// `--input -`: the dump on standard input (plain, gzip and bzip2, told by their first bytes)
/// gives the tables of the file itself; an empty stdin is an empty dump, not a hang.
#[test]
fn standard_input_gives_the_tables_of_the_file() {
    let file_dir = tempfile::tempdir().unwrap();
    run(&fixture("e2e_wiki80/wikidata.json"), file_dir.path());
    for f in ["wikidata.json", "wikidata.json.gz", "wikidata.json.bz2"] {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pipeline"))
            .args(["wikidata", "--input", "-", "--out"])
            .arg(dir.path())
            .stdin(std::fs::File::open(fixture(&format!("e2e_wiki80/{f}"))).unwrap())
            .output()
            .unwrap();
        assert!(out.status.success(), "{f}: {}", String::from_utf8_lossy(&out.stderr));
        let want = if f.ends_with(".gz") {
            "gzip"
        } else if f.ends_with(".bz2") {
            "bzip2"
        } else {
            "plain"
        };
        assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("({want})")), "{f}");
        for t in [ENTITIES, CLAIMS, PROPERTIES] {
            assert!(
                same_rows(&table(file_dir.path(), t), &table(dir.path(), t)),
                "{f}: {} differs",
                t.name
            );
        }
    }
}

/// `--keep enwiki` (the default) parses only lines that can matter to an enwiki-linked dataset:
/// on Wikidata-Toolkit's 101-entity sample (items without sitelinks, properties, P279
/// carriers) the tables hold exactly the items with an enwiki title, the properties and the
/// P279 carriers of the unfiltered run, row for row, and the other lines are counted as
/// skipped. (Malformed lines are only found among parsed lines.)
#[test]
fn prefilter_keeps_exactly_the_lines_that_matter() {
    let all = tempfile::tempdir().unwrap();
    let some = tempfile::tempdir().unwrap();
    let fx = fixture("wikidata/wdtk-sample-101.json.gz");
    let s_all = run(&fx, all.path());
    let s_some = wikidata::run(&Options::new(&fx, some.path())).unwrap();
    assert_eq!((s_all.keep.as_str(), s_some.keep.as_str()), ("all", "enwiki"));
    assert_eq!(s_all.lines_skipped_by_prefilter, 0);
    let v = py_json(
        r#"
import duckdb, json, sys
a, b = sys.argv[1], sys.argv[2]
con = duckdb.connect()
want = f"SELECT * FROM '{a}/entities.parquet' WHERE enwiki_title IS NOT NULL OR kind = 'property' OR len(subclass_of) > 0"
got = f"SELECT * FROM '{b}/entities.parquet'"
n = lambda q: con.execute(f"SELECT count(*) FROM ({q})").fetchone()[0]
print(json.dumps({"want": n(want), "got": n(got), "missing": n(f"{want} EXCEPT {got}"),
                  "lines": n(f"SELECT * FROM '{a}/entities.parquet'")}))
"#,
        &[all.path(), some.path()],
    );
    assert_eq!(v["missing"], 0, "{v}");
    // Lines the byte search let through but that hold nothing kept are parsed and kept as
    // usual (none in this file); every other line was skipped unparsed.
    assert_eq!(v["got"], v["want"], "{v}");
    let skipped = s_some.lines_skipped_by_prefilter;
    assert_eq!(skipped, v["lines"].as_u64().unwrap() - v["got"].as_u64().unwrap(), "{v}");
    assert!(skipped > 0, "{v}");
}

/// The same dump as plain JSON, single- and multi-member gzip, single- and multi-stream bzip2,
/// and gzip on standard input, parsed on 1, 2 and 4 threads (small chunks, so parsing really
/// interleaves), with and without the pre-filter: every run gives the tables of plain JSON on
/// one thread.
#[test]
fn every_compression_layout_and_thread_count_gives_the_same_tables() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let json = std::fs::read(fixture("e2e_wiki80/wikidata.json")).unwrap();
    // Three members/streams cut at line ends, as Wikimedia's batch-wise .gz is.
    let cuts: Vec<usize> = {
        let nl: Vec<usize> =
            json.iter().enumerate().filter(|(_, &b)| b == b'\n').map(|(i, _)| i + 1).collect();
        vec![0, nl[nl.len() / 3], nl[2 * nl.len() / 3], json.len()]
    };
    let mut gz_multi = Vec::new();
    let mut bz_multi = Vec::new();
    for w in cuts.windows(2) {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&json[w[0]..w[1]]).unwrap();
        gz_multi.extend(e.finish().unwrap());
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
        e.write_all(&json[w[0]..w[1]]).unwrap();
        bz_multi.extend(e.finish().unwrap());
    }
    std::fs::write(dir.path().join("multi.json.gz"), &gz_multi).unwrap();
    std::fs::write(dir.path().join("multi.json.bz2"), &bz_multi).unwrap();
    let inputs = [
        fixture("e2e_wiki80/wikidata.json"),
        fixture("e2e_wiki80/wikidata.json.gz"),
        dir.path().join("multi.json.gz"),
        fixture("e2e_wiki80/wikidata.json.bz2"),
        dir.path().join("multi.json.bz2"),
    ];
    let base = dir.path().join("base");
    wikidata::run(&all_lines(&inputs[0], &base)).unwrap();
    let check = |out: &Path, what: &str| {
        for t in [ENTITIES, CLAIMS, PROPERTIES] {
            assert!(same_rows(&table(&base, t), &table(out, t)), "{what}: {} differs", t.name);
        }
    };
    let mut n = 0;
    for input in &inputs {
        for threads in [1usize, 2, 4] {
            for keep in [ItemScope::All, ItemScope::Enwiki] {
                let out = dir.path().join(format!("out-{n}"));
                n += 1;
                let mut o = Options::new(input, &out);
                o.threads = threads;
                o.chunk_size = 16 * 1024;
                o.keep = keep;
                wikidata::run(&o).unwrap();
                // Every e2e_wiki80 item has an enwiki article: the filter keeps every line.
                check(&out, &format!("{} on {threads} threads, {keep:?}", input.display()));
            }
        }
    }
    let out = dir.path().join("stdin");
    let st = std::process::Command::new(env!("CARGO_BIN_EXE_pipeline"))
        .args(["wikidata", "--threads", "4", "--input", "-", "--out"])
        .arg(&out)
        .stdin(std::fs::File::open(dir.path().join("multi.json.gz")).unwrap())
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    check(&out, "multi-member gzip on stdin");
}
