//! The whole pipeline on e2e_wiki80 (a consistent Wikipedia + Wikidata dump pair built from
//! real Wiki80 sentences), scored against its gold.tsv, and on the real 206-page dump + 49
//! real items, where every row is confirmed independently.
#[path = "support/harness.rs"]
mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::*;
use pipeline::{dataset, link, wikidata, wikipedia};

struct Run {
    _dir: tempfile::TempDir,
    wikidata: PathBuf,
    wikipedia: PathBuf,
    link: PathBuf,
    dataset: PathBuf,
}

fn run_all(dump: &Path, index: Option<&Path>, wd: &Path) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let p = |s: &str| dir.path().join(s);
    wikidata::run(&wikidata::Options::new(wd, &p("wikidata"))).unwrap();
    let mut wp = wikipedia::Options::new(dump, &p("wikipedia"));
    wp.index = index.map(Path::to_path_buf);
    wikipedia::run(&wp).unwrap();
    link::run(&link::Options::new(&[p("wikipedia")], &p("wikidata"), &p("link"))).unwrap();
    dataset::run(&dataset::Options::new(
        &[p("link")],
        &[p("wikipedia")],
        &p("wikidata"),
        &p("dataset"),
    ))
    .unwrap();
    Run {
        wikidata: p("wikidata"),
        wikipedia: p("wikipedia"),
        link: p("link"),
        dataset: p("dataset"),
        _dir: dir,
    }
}

/// `wikidata` on a fixture dump into `out`, every line parsed (so `link --kb all` can use it).
fn wikidata_of(fx: &str, out: &Path) {
    let mut o = wikidata::Options::new(&fixture(fx), out);
    o.keep = wikidata::ItemScope::All;
    wikidata::run(&o).unwrap();
}

/// `wikipedia` on a fixture multistream dump (and its index) into `out`.
fn wikipedia_of(dump: &str, index: &str, out: &Path) {
    let mut wp = wikipedia::Options::new(&fixture(dump), out);
    wp.index = Some(fixture(index));
    wikipedia::run(&wp).unwrap();
}

/// `wikipedia` on e2e_wiki80's dump into `dir/e2e-wp` and on the real 206-page dump into
/// `dir/real-wp`.
fn e2e_and_real_wikipedia(dir: &Path) {
    wikipedia_of(
        "e2e_wiki80/pages-articles-multistream.xml.bz2",
        "e2e_wiki80/pages-articles-multistream-index.txt.bz2",
        &dir.join("e2e-wp"),
    );
    wikipedia_of(
        "wikipedia/enwiki-gensim-multistream.xml.bz2",
        "wikipedia/enwiki-gensim-multistream-index.txt.bz2",
        &dir.join("real-wp"),
    );
}

/// (page title, sentence text, head, tail, relation) of every dataset row, read by DuckDB.
fn rows(run: &Run) -> Vec<(String, String, String, String, String)> {
    let v = py_json(
        r#"
import duckdb, json, sys
wp, ds = sys.argv[1], sys.argv[2]
rows = duckdb.connect().execute(f"""
  SELECT p.title, s.text, s.head.qid, s.tail.qid, s.relation
  FROM '{ds}/relation_instances.parquet' s JOIN '{wp}/pages.parquet' p USING (page_id)
  ORDER BY s.row_id""").fetchall()
print(json.dumps([list(r) for r in rows]))
"#,
        &[&run.wikipedia, &run.dataset],
    );
    serde_json::from_value(v).unwrap()
}

#[test]
fn e2e_wiki80_against_gold() {
    let fx = |f: &str| fixture(&format!("e2e_wiki80/{f}"));
    let run = run_all(
        &fx("pages-articles-multistream.xml.bz2"),
        Some(&fx("pages-articles-multistream-index.txt.bz2")),
        &fx("wikidata.json.gz"),
    );
    let ours = rows(&run);
    // gold.tsv: page_title, sentence_index, head, tail, property, head_surface, tail_surface,
    // head_anchored, tail_anchored, sentence_text. Our segmentation may differ from the
    // fixture's (see its README), so a row matches on (page, head, tail, property) with one
    // sentence text containing the other.
    let gold_text = std::fs::read_to_string(fx("gold.tsv")).unwrap();
    let gold: Vec<Vec<&str>> = gold_text.lines().skip(1).map(|l| l.split('\t').collect()).collect();
    let mut by_key: HashMap<(&str, &str, &str, &str), Vec<&str>> = HashMap::new();
    for g in &gold {
        by_key.entry((g[0], g[2], g[3], g[4])).or_default().push(g[9]);
    }
    let overlaps = |a: &str, b: &str| a.contains(b) || b.contains(a);
    let correct = ours
        .iter()
        .filter(|(p, text, h, t, r)| {
            by_key
                .get(&(p.as_str(), h.as_str(), t.as_str(), r.as_str()))
                .is_some_and(|texts| texts.iter().any(|g| overlaps(text, g)))
        })
        .count();
    let mut our_keys: HashMap<(&str, &str, &str, &str), Vec<&str>> = HashMap::new();
    for (p, text, h, t, r) in &ours {
        our_keys.entry((p, h, t, r)).or_default().push(text);
    }
    let found = |g: &Vec<&str>| {
        our_keys
            .get(&(g[0], g[2], g[3], g[4]))
            .is_some_and(|ts| ts.iter().any(|t| overlaps(t, g[9])))
    };
    let anchored: Vec<_> = gold.iter().filter(|g| g[7] == "1" && g[8] == "1").collect();
    let unanchored: Vec<_> = gold.iter().filter(|g| g[7] != "1" || g[8] != "1").collect();
    let rate = |v: &[&Vec<&str>]| v.iter().filter(|g| found(g)).count() as f64 / v.len() as f64;
    let precision = correct as f64 / ours.len() as f64;
    let recall = gold.iter().filter(|g| found(g)).count() as f64 / gold.len() as f64;
    eprintln!(
        "e2e_wiki80: {} rows, precision {precision:.4}; recall {recall:.4} overall, {:.4} on {} \
         rows with both mentions anchored, {:.4} on {} rows with an unanchored mention",
        ours.len(),
        rate(&anchored),
        anchored.len(),
        rate(&unanchored),
        unanchored.len()
    );
    assert!(precision >= 0.95, "precision {precision}");
    assert!(rate(&anchored) >= 0.99, "anchored recall {}", rate(&anchored));
    assert!(recall >= 0.90, "recall {recall}");

    // No trap of negatives.tsv (page_title, sentence_index, head, tail, property, trap, note)
    // may appear. Where the trap's triple is also gold elsewhere on the page, every row we
    // emit for it must be one of the gold sentences.
    let negatives = std::fs::read_to_string(fx("negatives.tsv")).unwrap();
    let mut traps = 0;
    for line in negatives.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let key = (f[0], f[2], f[3], f[4]);
        traps += 1;
        let gold_texts = by_key.get(&key).cloned().unwrap_or_default();
        for text in our_keys.get(&key).cloned().unwrap_or_default() {
            assert!(gold_texts.iter().any(|g| overlaps(text, g)), "trap {line} appears: {text}");
        }
    }
    assert_eq!(traps, 213);

    // DuckDB: counts per relation equal relations.parquet's, and row ranges are contiguous.
    let check = py_json(
        r#"
import duckdb, json, sys
d = sys.argv[1]
con = duckdb.connect()
a = dict(con.execute(f"SELECT relation, count(*) FROM '{d}/relation_instances.parquet' GROUP BY relation").fetchall())
b = dict(con.execute(f"SELECT relation, num_sentences FROM '{d}/relations.parquet'").fetchall())
bad = con.execute(f"""SELECT count(*) FROM '{d}/relations.parquet' r WHERE r.row_end - r.row_start != r.num_sentences
  OR (SELECT count(*) FROM '{d}/relation_instances.parquet' s WHERE s.row_id >= r.row_start AND s.row_id < r.row_end AND s.relation = r.relation) != r.num_sentences""").fetchone()[0]
pairs = con.execute(f"SELECT count(*), sum(row_end - row_start) FROM '{d}/pairs.parquet'").fetchone()
print(json.dumps({"same": a == b, "bad": bad, "pairs": list(pairs), "rows": sum(a.values())}))
"#,
        &[&run.dataset],
    );
    assert_eq!(check["same"], true);
    assert_eq!(check["bad"], 0);
    assert_eq!(check["pairs"][1], check["rows"]);

    // The original implementation's formats load with Python's json and agree with ours.
    let export = run.dataset.join("export");
    pipeline::export_cp::run(&run.dataset, &export).unwrap();
    let cp = py_json(
        r#"
import duckdb, json, sys
d, ds = sys.argv[1], sys.argv[2]
data = json.load(open(f"{d}/CP/cpdata.json"))
scope = json.load(open(f"{d}/CP/rel2scope.json"))
mtb = json.load(open(f"{d}/MTB/mtbdata.json"))
es = json.load(open(f"{d}/MTB/entpair2scope.json"))
neg = json.load(open(f"{d}/MTB/entpair2negpair.json"))
rel = {r: [a, b] for r, a, b in duckdb.connect().execute(f"SELECT relation, row_start, row_end FROM '{ds}/relations.parquet'").fetchall()}
ok_rel = all(all(x["r"] == r for x in data[a:b]) for r, (a, b) in scope.items())
nospace = lambda s: "".join(s.split())
# A mention may cover part of a token ("Emperor" in "Emperor–as"): its name lies within the
# tokens at its span.
ok_pos = all(nospace(x[e]["name"]) in nospace("".join(x["tokens"][i] for i in x[e]["pos"][0])) for x in data for e in ("h", "t"))
ok_mtb = all(2 <= b - a <= 8 and all(f'{x["h"]["id"]}#{x["t"]["id"]}' == p for x in mtb[a:b]) for p, (a, b) in es.items())
ok_neg = all(q in es and q != p for p, qs in neg.items() for q in qs)
print(json.dumps({"n": len(data), "scope_same": scope == rel, "rel": ok_rel, "pos": ok_pos, "mtb": ok_mtb, "neg": ok_neg}))
"#,
        &[&export, &run.dataset],
    );
    assert_eq!(cp["n"], check["rows"]);
    for k in ["scope_same", "rel", "pos", "mtb", "neg"] {
        assert_eq!(cp[k], true, "{k}");
    }
}

#[test]
fn rerunning_link_alone_reproduces_identical_bytes() {
    let fx = |f: &str| fixture(&format!("e2e_wiki80/{f}"));
    let run = run_all(&fx("pages-articles.xml.bz2"), None, &fx("wikidata.json"));
    let before = std::fs::read(run.link.join("mentions.parquet")).unwrap();
    link::run(&link::Options::new(std::slice::from_ref(&run.wikipedia), &run.wikidata, &run.link))
        .unwrap();
    assert_eq!(before, std::fs::read(run.link.join("mentions.parquet")).unwrap());
}

#[test]
fn real_dump_rows_are_confirmed_independently() {
    let run = run_all(
        &fixture("wikipedia/enwiki-gensim-multistream.xml.bz2"),
        Some(&fixture("wikipedia/enwiki-gensim-multistream-index.txt.bz2")),
        &fixture("wikidata/head49.json.bz2"),
    );
    // Python re-reads the Wikidata dump itself and checks each row: both mentions are in the
    // sentence at their spans, and the dump holds the claim as a non-deprecated main snak.
    let v = py_json(
        r#"
import bz2, duckdb, json, sys
ds, wd = sys.argv[1], sys.argv[2]
claims = set()
for line in bz2.decompress(open(wd, "rb").read()).decode().splitlines():
    line = line.strip().rstrip(",")
    if line in ("[", "]", ""):
        continue
    e = json.loads(line)
    for pid, sts in e.get("claims", {}).items():
        for st in sts:
            v = st["mainsnak"].get("datavalue", {}).get("value")
            if st.get("rank") != "deprecated" and isinstance(v, dict) and "numeric-id" in v:
                claims.add((e["id"], pid, "Q%d" % v["numeric-id"]))
rows = duckdb.connect().execute(f"""SELECT text, relation, head.qid, head.name, head.char_start, head.char_end,
  tail.qid, tail.name, tail.char_start, tail.char_end FROM '{ds}/relation_instances.parquet'""").fetchall()
bad = [r for r in rows if (r[2], r[1], r[6]) not in claims
       or r[0][r[4]:r[5]] != r[3] or r[0][r[8]:r[9]] != r[7]]
print(json.dumps({"rows": len(rows), "bad": [list(map(str, b)) for b in bad]}))
"#,
        &[&run.dataset, &fixture("wikidata/head49.json.bz2")],
    );
    eprintln!("real dump: {} rows", v["rows"]);
    assert!(v["rows"].as_u64().unwrap() > 0, "the real dump yields rows");
    assert_eq!(v["bad"], serde_json::json!([]));
}

#[test]
fn link_shards_then_one_dataset_merge_equal_the_whole_run() {
    use schemas::tables::{MENTIONS, RELATION_INSTANCES};
    let fx = |f: &str| fixture(&format!("e2e_wiki80/{f}"));
    let run = run_all(&fx("pages-articles.xml.bz2"), None, &fx("wikidata.json"));
    let n = 3;
    let shard_dirs: Vec<PathBuf> =
        (0..n).map(|i| run.dataset.join(format!("../link-{i}"))).collect();
    for (i, dir) in shard_dirs.iter().enumerate() {
        let mut o = link::Options::new(std::slice::from_ref(&run.wikipedia), &run.wikidata, dir);
        o.shard = Some(pipeline::shard::Shard::new(i, n).unwrap());
        link::run(&o).unwrap();
    }
    let joined: Vec<_> = shard_dirs.iter().flat_map(|d| table(d, MENTIONS)).collect();
    assert!(same_rows(&table(&run.link, MENTIONS), &joined), "mentions of the shards differ");
    let merged = run.dataset.join("../dataset-merged");
    dataset::run(&dataset::Options::new(
        &shard_dirs,
        std::slice::from_ref(&run.wikipedia),
        &run.wikidata,
        &merged,
    ))
    .unwrap();
    let rows = |d: &Path| {
        schemas::read_all(&d.join("relation_instances.parquet"), RELATION_INSTANCES).unwrap()
    };
    let (a, b) = (rows(&run.dataset), rows(&merged));
    assert!(a.iter().map(|x| x.num_rows()).sum::<usize>() > 1000);
    assert!(same_rows(&a, &b), "the dataset from link shards differs");
}

/// The scale generator (bench/scale/gen.py, what `make bench-scale` measures with) at a tiny
/// fraction: its dumps go through every stage with the CLI's defaults and the dataset finds its
/// gold (scored by bench/scale/score.py with DuckDB), so generator and stages stay consistent.
/// The generator is also deterministic whatever its worker count.
#[test]
fn scale_generator_dumps_through_all_stages_find_the_gold() {
    let dir = tempfile::tempdir().unwrap();
    let gen = |out: &Path, workers: &str| {
        let st = std::process::Command::new("python3")
            .arg(repo().join("bench/scale/gen.py"))
            .args([
                "--fraction",
                "0.00003",
                "--line-kb",
                "2",
                "--relational-share",
                "0.3",
                "--workers",
                workers,
                "--out",
            ])
            .arg(out)
            .output()
            .unwrap();
        assert!(st.status.success(), "gen.py: {}", String::from_utf8_lossy(&st.stderr));
    };
    let d = dir.path().join("dumps");
    gen(&d, "2");
    gen(&dir.path().join("dumps-1"), "1");
    for f in [
        "wikidata.json",
        "wikidata.json.gz",
        "pages-articles-multistream.xml.bz2",
        "pages-articles-multistream-index.txt.bz2",
        "gold.tsv",
    ] {
        let a = std::fs::read(d.join(f)).unwrap();
        let b = std::fs::read(dir.path().join("dumps-1").join(f)).unwrap();
        assert!(a == b, "{f} differs between 1 and 2 workers");
    }
    // run_all runs every stage with the CLI's defaults (name matches inside detector spans).
    let run = run_all(
        &d.join("pages-articles-multistream.xml.bz2"),
        Some(&d.join("pages-articles-multistream-index.txt.bz2")),
        &d.join("wikidata.json.gz"),
    );
    let out = std::process::Command::new(python())
        .arg(repo().join("bench/scale/score.py"))
        .args([d.join("gold.tsv"), run.wikipedia.clone(), run.dataset.clone()])
        .output()
        .unwrap();
    assert!(out.status.success(), "score.py: {}", String::from_utf8_lossy(&out.stderr));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("scale generator at F=0.00003: {s}");
    let (prec, rec) = (s["precision"].as_f64().unwrap(), s["recall"].as_f64().unwrap());
    assert!(s["rows"].as_u64().unwrap() > 500, "{s}");
    // The issue asked for P >= 0.95, R >= 0.90; the gold is exact and 1.000 / 1.000 is
    // measured, so the floor is tighter: counting deprecated claims as gold (a mutation of the
    // generator) gives recall 0.958 and must fail here.
    assert!(prec >= 0.98 && rec >= 0.98, "precision {prec}, recall {rec}");
}

/// `link` after the knowledge base became compact (enwiki items by default, names in an `fst`
/// transducer instead of an Aho-Corasick automaton): the mentions tables of e2e_wiki80 and of
/// the real 206-page dump (with the 49 real items, and with e2e_wiki80's 2,343 items) are the
/// ones the earlier code wrote, in every matching mode. The digests in
/// tests/fixtures/link/mentions-digests.txt were taken with the earlier `pipeline link`.
#[test]
fn link_mentions_equal_the_earlier_implementation() {
    let dir = tempfile::tempdir().unwrap();
    let p = |s: &str| dir.path().join(s);
    wikidata_of("e2e_wiki80/wikidata.json.gz", &p("e2e-wd"));
    wikidata_of("wikidata/head49.json.bz2", &p("h49-wd"));
    e2e_and_real_wikipedia(dir.path());
    let golden = std::fs::read_to_string(fixture("link/mentions-digests.txt")).unwrap();
    let mut checked = 0;
    for line in golden.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        // link.<sentences>.<wikidata>[.<flag>] <rows> <md5>
        let parts: Vec<&str> = f[0].splitn(4, '.').collect();
        for kb in [link::ItemScope::Enwiki, link::ItemScope::All] {
            let out = p(&format!("{}-{}", f[0], kb.as_str()));
            let mut o = link::Options::new(&[p(parts[1])], &p(parts[2]), &out);
            o.kb = kb;
            match parts.get(3) {
                Some(&"--names-anywhere") => o.link.require_detector_span = false,
                Some(&"--ignore-case") => o.link.case_sensitive = false,
                _ => {}
            }
            link::run(&o).unwrap();
            let v = py_json(
                r#"
import duckdb, json, sys
r = duckdb.connect().execute(f"""SELECT count(*), md5(string_agg(concat_ws('|', page_id, sentence_index, qid, surface, source, entity_type, char_start, char_end, token_start, token_end), chr(10) ORDER BY page_id, sentence_index, char_start, char_end, qid, source)) FROM '{sys.argv[1]}/mentions.parquet'""").fetchone()
print(json.dumps([str(r[0]), r[1]]))
"#,
                &[&out],
            );
            assert_eq!(v, serde_json::json!([f[1], f[2]]), "{} with --kb {}", f[0], kb.as_str());
            checked += 1;
        }
    }
    assert_eq!(checked, 18);
}

/// A knowledge base over the budget is refused before it is built, and the error names the
/// sizes; `--kb all` and the default agree on e2e_wiki80, whose items all have an article.
#[test]
fn link_refuses_a_knowledge_base_over_its_memory_budget() {
    let dir = tempfile::tempdir().unwrap();
    let p = |s: &str| dir.path().join(s);
    wikidata::run(&wikidata::Options::new(&fixture("e2e_wiki80/wikidata.json"), &p("wd"))).unwrap();
    wikipedia::run(&wikipedia::Options::new(
        &fixture("e2e_wiki80/pages-articles.xml.bz2"),
        &p("wp"),
    ))
    .unwrap();
    let mut o = link::Options::new(&[p("wp")], &p("wd"), &p("link"));
    o.memory_budget = 100_000;
    let err = link::run(&o).unwrap_err().to_string();
    for want in ["2343 items", "--memory-budget is 0.0 GB", "entities.parquet", "would need ~0.0"] {
        assert!(err.contains(want), "{want:?} not in: {err}");
    }
    assert!(!p("link/mentions.parquet").exists());
    o.memory_budget = link::default_memory_budget();
    let stats = link::run(&o).unwrap();
    assert_eq!(stats.kb_items, 2343);
    // The estimate the budget is checked against bounds what the built structures hold.
    assert!(
        stats.kb_heap_bytes > 0 && stats.kb_heap_bytes <= stats.kb_estimated_bytes,
        "{stats:?}"
    );
}

/// The anchor prior as a table: N `prior` shards merged equal the prior a whole `link` run
/// writes, `link` shards that load it equal one run, and the table equals a count done in
/// Python over the sentences' anchors (resolved through redirects and enwiki titles).
#[test]
fn persisted_prior_shards_merge_to_the_whole_and_match_python() {
    use schemas::tables::{ANCHOR_PRIOR, MENTIONS};
    let dir = tempfile::tempdir().unwrap();
    let p = |s: &str| dir.path().join(s);
    wikidata_of("e2e_wiki80/wikidata.json.gz", &p("wd"));
    wikipedia_of(
        "e2e_wiki80/pages-articles-multistream.xml.bz2",
        "e2e_wiki80/pages-articles-multistream-index.txt.bz2",
        &p("wp"),
    );
    link::run(&link::Options::new(&[p("wp")], &p("wd"), &p("link"))).unwrap();
    let n = 3;
    let shards: Vec<PathBuf> = (0..n).map(|i| p(&format!("prior-{i}"))).collect();
    for (i, d) in shards.iter().enumerate() {
        let mut o = link::PriorOptions::new(&[p("wp")], &p("wd"), d);
        o.shard = Some(pipeline::shard::Shard::new(i, n).unwrap());
        let s = link::run_prior(&o).unwrap();
        assert!(s.rows > 0 && s.rows < 2000, "{s:?}");
    }
    link::merge_priors(&shards, &p("prior")).unwrap();
    let whole = table(&p("link"), ANCHOR_PRIOR);
    assert!(whole.iter().map(|b| b.num_rows()).sum::<usize>() > 1000);
    assert!(same_rows(&whole, &table(&p("prior"), ANCHOR_PRIOR)), "merged shards differ");
    let mut joined = Vec::new();
    for i in 0..n {
        let mut o = link::Options::new(&[p("wp")], &p("wd"), &p(&format!("link-{i}")));
        o.shard = Some(pipeline::shard::Shard::new(i, n).unwrap());
        o.prior = Some(p("prior"));
        link::run(&o).unwrap();
        joined.extend(table(&p(&format!("link-{i}")), MENTIONS));
    }
    assert!(same_rows(&table(&p("link"), MENTIONS), &joined), "link shards with the prior differ");

    let v = py_json(
        r#"
import duckdb, json, sys
from collections import Counter
wp, wd, link = sys.argv[1], sys.argv[2], sys.argv[3]
con = duckdb.connect()
def norm(t):
    t = t.replace("_", " ").strip()
    return t[:1].upper() + t[1:]
items = {norm(t): q for q, t in con.execute(f"SELECT qid, enwiki_title FROM '{wd}/entities.parquet' WHERE kind = 'item' AND enwiki_title IS NOT NULL").fetchall()}
redirects = dict(con.execute(f"SELECT title, target FROM '{wp}/redirects.parquet'").fetchall())
def resolve(t):
    seen = [t]
    for _ in range(9):
        if t in items:
            return items[t]
        if t not in redirects or redirects[t] in seen:
            return None
        t = redirects[t]
        seen.append(t)
    return None
counts = Counter()
for text, anchors in con.execute(f"SELECT text, anchors FROM '{wp}/sentences.parquet'").fetchall():
    for a in anchors:
        q = resolve(a["target"])
        if q is not None and a["char_end"] > a["char_start"]:
            counts[(text[a["char_start"]:a["char_end"]], q)] += 1
ours = {(s, q): n for s, q, n in con.execute(f"SELECT surface, qid, count FROM '{link}/anchor_prior.parquet'").fetchall()}
print(json.dumps({"same": ours == dict(counts), "rows": len(ours), "python": len(counts),
                  "sorted": con.execute(f"SELECT count(*) FROM (SELECT surface, qid, lag(surface) OVER () ps, lag(qid) OVER () pq FROM '{link}/anchor_prior.parquet') WHERE ps IS NOT NULL AND (encode(ps) > encode(surface) OR (ps = surface AND encode(pq) >= encode(qid)))").fetchone()[0]}))
"#,
        &[&p("wp"), &p("wd"), &p("link")],
    );
    assert_eq!(v["same"], true, "{v}");
    assert_eq!(v["sorted"], 0, "{v}");
}

/// `link --of N --dry-run` prints the N prior tasks, the merge, the N link tasks and the
/// dataset merge, and runs nothing.
#[test]
fn link_dry_run_prints_the_task_list() {
    let t = link::task_list(
        &[PathBuf::from("wp/0"), PathBuf::from("wp/1")],
        Path::new("wd"),
        Path::new("L"),
        3,
        "",
    );
    let lines: Vec<&str> = t.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(lines.len(), 3 + 1 + 3 + 1, "{t}");
    assert_eq!(
        lines[0],
        "pipeline prior --sentences wp/0 wp/1 --wikidata wd --shard 0 --of 3 --out L/prior-0"
    );
    assert_eq!(lines[3], "pipeline prior-merge L/prior-0 L/prior-1 L/prior-2 --out L/prior");
    assert_eq!(lines[6], "pipeline link --sentences wp/0 wp/1 --wikidata wd --prior L/prior --shard 2 --of 3 --out L/link-2");
    assert!(lines[7].starts_with("pipeline dataset --link L/link-0 L/link-1 L/link-2 "));
}

/// The `wikidata` pre-filter (`--keep enwiki`, the default) changes no dataset: on e2e_wiki80,
/// the real 206-page dump with its 49 items, and the scale generator's dumps (where it skips
/// ~90% of the lines), the dataset tables equal those built with every line parsed.
#[test]
fn wikidata_prefilter_leaves_every_dataset_unchanged() {
    use schemas::tables::{PAIRS, RELATIONS, RELATION_INSTANCES};
    let gen = tempfile::tempdir().unwrap();
    let st = std::process::Command::new("python3")
        .arg(repo().join("bench/scale/gen.py"))
        .args(["--fraction", "0.00003", "--line-kb", "2", "--relational-share", "0.3", "--out"])
        .arg(gen.path())
        .output()
        .unwrap();
    assert!(st.status.success(), "gen.py: {}", String::from_utf8_lossy(&st.stderr));
    let g = |f: &str| gen.path().join(f);
    let cases = [
        (
            fixture("e2e_wiki80/pages-articles-multistream.xml.bz2"),
            Some(fixture("e2e_wiki80/pages-articles-multistream-index.txt.bz2")),
            fixture("e2e_wiki80/wikidata.json.gz"),
        ),
        (
            fixture("wikipedia/enwiki-gensim-multistream.xml.bz2"),
            Some(fixture("wikipedia/enwiki-gensim-multistream-index.txt.bz2")),
            fixture("wikidata/head49.json.bz2"),
        ),
        (
            g("pages-articles-multistream.xml.bz2"),
            Some(g("pages-articles-multistream-index.txt.bz2")),
            g("wikidata.json.gz"),
        ),
    ];
    for (dump, index, wd) in cases {
        let filtered = run_all(&dump, index.as_deref(), &wd);
        let all = tempfile::tempdir().unwrap();
        let mut o = wikidata::Options::new(&wd, &all.path().join("wd"));
        o.keep = wikidata::ItemScope::All;
        let s_all = wikidata::run(&o).unwrap();
        let d = all.path().join("ds");
        link::run(&link::Options::new(
            std::slice::from_ref(&filtered.wikipedia),
            &all.path().join("wd"),
            &all.path().join("ln"),
        ))
        .unwrap();
        dataset::run(&dataset::Options::new(
            &[all.path().join("ln")],
            std::slice::from_ref(&filtered.wikipedia),
            &all.path().join("wd"),
            &d,
        ))
        .unwrap();
        let read =
            |dir: &Path, t: schemas::Table| schemas::read_all(&dir.join(t.file_name()), t).unwrap();
        let rows: usize = read(&d, RELATION_INSTANCES).iter().map(|b| b.num_rows()).sum();
        assert!(rows > 0, "{}", wd.display());
        for t in [RELATION_INSTANCES, RELATIONS, PAIRS] {
            assert!(
                same_rows(&read(&filtered.dataset, t), &read(&d, t)),
                "{} differs on {}",
                t.name,
                wd.display()
            );
        }
        let stats: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(filtered.wikidata.join("stats.json")).unwrap(),
        )
        .unwrap();
        let skipped = stats["lines_skipped_by_prefilter"].as_u64().unwrap();
        assert_eq!(s_all.lines_skipped_by_prefilter, 0);
        if wd.starts_with(gen.path()) {
            assert!(skipped * 10 > s_all.lines * 8, "skipped {skipped} of {}", s_all.lines);
        }
    }
}

/// `dataset` after it moved to compact claims, a polars plan and a bucketed gather (issue
/// 17): its tables (every column but the input path), its stats, and `export-cp`'s files
/// are the ones the earlier in-memory code wrote, on e2e_wiki80 (plain; with exclusion
/// files, excluded relations, `--max-per-pair 1 --min-bag 3`; with loose linking) and on
/// the real 206-page dump (with 49 real items; with e2e_wiki80's items).
/// tests/fixtures/dataset/dataset-digests.json was taken with the earlier `pipeline dataset`
/// and `export-cp` (commit 1b126b0) by tests/fixtures/dataset/digest.py.
#[test]
fn dataset_output_equals_the_earlier_implementation() {
    let dir = tempfile::tempdir().unwrap();
    let p = |s: &str| dir.path().join(s);
    for (fx, out) in
        [("e2e_wiki80/wikidata.json.gz", "e2e-wd"), ("wikidata/head49.json.bz2", "h49-wd")]
    {
        wikidata::run(&wikidata::Options::new(&fixture(fx), &p(out))).unwrap();
    }
    e2e_and_real_wikipedia(dir.path());
    let link_of = |wp: &str, wd: &str, out: &str, loose: bool| {
        let mut o = link::Options::new(&[p(wp)], &p(wd), &p(out));
        if loose {
            o.link.require_detector_span = false;
            o.link.case_sensitive = false;
        }
        link::run(&o).unwrap();
    };
    link_of("e2e-wp", "e2e-wd", "l-e2e", false);
    link_of("e2e-wp", "e2e-wd", "l-e2e-any", true);
    link_of("real-wp", "h49-wd", "l-h49", false);
    link_of("real-wp", "e2e-wd", "l-re2e", false);
    let exrel = p("exrel.txt");
    std::fs::write(&exrel, "P17 P131\n").unwrap();
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("dataset/dataset-digests.json")).unwrap(),
    )
    .unwrap();
    let configs: [(&str, &str, &str, &str); 5] = [
        ("ds-e2e", "l-e2e", "e2e-wp", "e2e-wd"),
        ("ds-e2e-ex", "l-e2e", "e2e-wp", "e2e-wd"),
        ("ds-e2e-any", "l-e2e-any", "e2e-wp", "e2e-wd"),
        ("ds-h49", "l-h49", "real-wp", "h49-wd"),
        ("ds-re2e", "l-re2e", "real-wp", "e2e-wd"),
    ];
    for (name, l, wp, wd) in configs {
        let mut o = dataset::Options::new(&[p(l)], &[p(wp)], &p(wd), &p(name));
        if name == "ds-e2e-ex" {
            o.exclude = vec![
                fixture("wiki80/cp_dev_every20th.txt"),
                fixture("fewrel/val_wiki_6_per_relation.json"),
            ];
            o.exclude_relations = Some(exrel.clone());
            o.max_per_pair = 1;
            o.min_bag = 3;
        }
        dataset::run(&o).unwrap();
        let want = &golden[name];
        let tables =
            py_json(&std::fs::read_to_string(fixture("dataset/digest.py")).unwrap(), &[&p(name)]);
        assert_eq!(tables, want["tables"], "{name}: tables");
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p(name).join("manifest.json")).unwrap())
                .unwrap();
        assert_eq!(manifest["stats"], want["stats"], "{name}: stats");
        assert!(!p(name).join(".dataset-tmp").exists(), "{name}: temporary files left");
        if let Some(files) = want.get("export_cp").and_then(|v| v.as_object()) {
            let cp = p(&format!("cp-{name}"));
            pipeline::export_cp::run(&p(name), &cp).unwrap();
            for (file, md5) in files {
                let digest = py_json(
                    "import hashlib, json, sys; print(json.dumps(hashlib.md5(open(sys.argv[1], 'rb').read()).hexdigest()))",
                    &[&cp.join(file)],
                );
                assert_eq!(&digest, md5, "{name}: export-cp {file}");
            }
        }
    }
}

/// `--exclude`: the rows whose entity pair (either order) or exact token sequence occurs in
/// the evaluation files are exactly the rows missing from the dataset built with them, as
/// Python reads the files and DuckDB the tables (with every other setting the same).
#[test]
fn excluded_pairs_and_sentences_are_absent_and_nothing_else_is() {
    let run = run_all(
        &fixture("e2e_wiki80/pages-articles-multistream.xml.bz2"),
        Some(&fixture("e2e_wiki80/pages-articles-multistream-index.txt.bz2")),
        &fixture("e2e_wiki80/wikidata.json.gz"),
    );
    let ex = run.dataset.with_file_name("dataset-ex");
    let files =
        [fixture("wiki80/cp_dev_every20th.txt"), fixture("fewrel/val_wiki_6_per_relation.json")];
    let mut o = dataset::Options::new(
        std::slice::from_ref(&run.link),
        std::slice::from_ref(&run.wikipedia),
        &run.wikidata,
        &ex,
    );
    o.exclude = files.to_vec();
    let stats = dataset::run(&o).unwrap();
    let v = py_json(
        r#"
import duckdb, json, sys
full, ex, opennre, fewrel = sys.argv[1:5]
pairs, toks = set(), set()
for line in open(opennre):
    if line.strip():
        r = json.loads(line)
        pairs.add(frozenset([r["h"]["id"], r["t"]["id"]])); toks.add(" ".join(r["token"]))
for rel in json.load(open(fewrel)).values():
    for r in rel:
        pairs.add(frozenset([r["h"][1], r["t"][1]])); toks.add(" ".join(r["tokens"]))
q = "SELECT page_id, sentence_index, relation, head.qid, tail.qid, array_to_string(tokens, ' ') FROM '{}/relation_instances.parquet'"
con = duckdb.connect()
a = {tuple(r) for r in con.execute(q.format(full)).fetchall()}
b = {tuple(r) for r in con.execute(q.format(ex)).fetchall()}
hit = lambda r: frozenset([r[3], r[4]]) in pairs or r[5] in toks
print(json.dumps({"full": len(a), "kept": len(b), "kept_hits": sum(map(hit, b)),
                  "missing": len(a - b), "missing_hits": sum(map(hit, a - b)),
                  "extra": len(b - a)}))
"#,
        &[&run.dataset, &ex, &files[0], &files[1]],
    );
    let n = |k: &str| v[k].as_u64().unwrap();
    assert!(n("missing") > 0, "the files exclude some rows: {v}");
    assert_eq!(n("kept_hits"), 0, "no kept row has an excluded pair or sentence: {v}");
    assert_eq!(n("missing_hits"), n("missing"), "only excluded rows are missing: {v}");
    assert_eq!(n("extra"), 0, "{v}");
    assert_eq!(stats.rows_dropped_excluded_pair_or_tokens, n("missing"), "{v}");
}

/// Writes one contract table from its columns (in the table's order).
fn write_table(dir: &Path, table: schemas::Table, columns: Vec<arrow::array::ArrayRef>) {
    let prov = schemas::Provenance::new("wikirel-e2e", "test");
    let mut sink = schemas::ParquetSink::create(
        &dir.join(table.file_name()),
        table,
        &prov,
        &schemas::SinkOptions::default(),
    )
    .unwrap();
    let batch = arrow::array::RecordBatch::try_new(table.schema(), columns).unwrap();
    sink.write(&batch).unwrap();
    sink.finish().unwrap();
}

/// A hub: one tail (Q1, "Hubland") shared by 200,000 bags, each sentence "Head<i> is in
/// Hubland ." with its own head item, all holding Q1 under P17. The stage finishes in seconds
/// and every bag gets at most 64 negatives, all sharing its head or its tail but not both,
/// as DuckDB reads pairs.parquet.
#[test]
fn a_hub_shared_by_200000_bags_gets_capped_negatives_in_seconds() {
    use arrow::array::{new_empty_array, ArrayRef, Int32Array, Int64Array, ListArray, UInt32Array};
    use arrow::buffer::OffsetBuffer;
    use arrow::datatypes::DataType;
    use pipeline::columns::{string_lists, strings, u32_lists};
    use schemas::tables::{CLAIMS, MENTIONS, PAGES, PROPERTIES, SENTENCES};
    use std::sync::Arc;

    let n = 200_000usize;
    let dir = tempfile::tempdir().unwrap();
    let p = |s: &str| dir.path().join(s);
    for d in ["wp", "link", "wd"] {
        std::fs::create_dir_all(p(d)).unwrap();
    }
    let heads: Vec<String> = (0..n).map(|i| format!("Head{i}")).collect();
    let tokens: Vec<Vec<String>> = heads
        .iter()
        .map(|h| [h.as_str(), "is", "in", "Hubland", "."].map(String::from).to_vec())
        .collect();
    let starts: Vec<Vec<u32>> = heads
        .iter()
        .map(|h| {
            let l = h.len() as u32;
            vec![0, l + 1, l + 4, l + 7, l + 15]
        })
        .collect();
    let ends: Vec<Vec<u32>> = starts
        .iter()
        .zip(&tokens)
        .map(|(s, t)| s.iter().zip(t).map(|(a, w)| a + w.len() as u32).collect())
        .collect();
    let pages: ArrayRef = Arc::new(Int64Array::from_iter_values(0..n as i64));
    let zeros: ArrayRef = Arc::new(UInt32Array::from(vec![0u32; n]));
    let DataType::List(anchor) =
        SENTENCES.schema().field_with_name("anchors").unwrap().data_type().clone()
    else {
        unreachable!()
    };
    let anchors = ListArray::new(
        anchor.clone(),
        OffsetBuffer::new_zeroed(n),
        new_empty_array(anchor.data_type()),
        None,
    );
    write_table(
        &p("wp"),
        SENTENCES,
        vec![
            pages.clone(),
            zeros.clone(),
            strings(&vec!["paragraph"; n]),
            strings(&tokens.iter().map(|t| t.join(" ")).collect::<Vec<_>>()),
            string_lists(&tokens),
            u32_lists(&starts),
            u32_lists(&ends),
            Arc::new(anchors),
        ],
    );
    write_table(
        &p("wp"),
        PAGES,
        vec![
            pages.clone(),
            strings(&heads),
            Arc::new(Int32Array::from(vec![0; n])),
            Arc::new(Int64Array::from_iter_values(1000..1000 + n as i64)),
            strings(&vec!["2026-01-01T00:00:00Z"; n]),
            Arc::new(UInt32Array::from(vec![1u32; n])),
        ],
    );
    // Two mentions per sentence: the head, then the hub.
    let rep = |v: Vec<u32>| -> ArrayRef { Arc::new(UInt32Array::from(v)) };
    let both = |h: &dyn Fn(usize) -> String, t: &str| -> Vec<String> {
        (0..n).flat_map(|i| [h(i), t.to_string()]).collect()
    };
    write_table(
        &p("link"),
        MENTIONS,
        vec![
            Arc::new(Int64Array::from_iter_values((0..n as i64).flat_map(|i| [i, i]))),
            rep(vec![0; 2 * n]),
            strings(&both(&|i| format!("Q{}", 1000 + i), "Q1")),
            strings(&both(&|i| heads[i].clone(), "Hubland")),
            strings(&vec!["anchor"; 2 * n]),
            strings(&vec!["UNK"; 2 * n]),
            rep((0..n).flat_map(|i| [0, starts[i][3]]).collect()),
            rep((0..n).flat_map(|i| [ends[i][0], ends[i][3]]).collect()),
            rep((0..n).flat_map(|_| [0, 3]).collect()),
            rep((0..n).flat_map(|_| [1, 4]).collect()),
        ],
    );
    write_table(
        &p("wd"),
        CLAIMS,
        vec![
            strings(&(0..n).map(|i| format!("Q{}", 1000 + i)).collect::<Vec<_>>()),
            strings(&vec!["P17"; n]),
            strings(&vec!["Q1"; n]),
            strings(&vec!["normal"; n]),
        ],
    );
    write_table(
        &p("wd"),
        PROPERTIES,
        vec![
            strings(&["P17"]),
            strings(&["country"]),
            strings(&["sovereign state of this item"]),
            strings(&["dump"]),
        ],
    );
    let start = std::time::Instant::now();
    let stats =
        dataset::run(&dataset::Options::new(&[p("link")], &[p("wp")], &p("wd"), &p("ds"))).unwrap();
    let took = start.elapsed();
    assert_eq!((stats.rows, stats.pairs), (n as u64, n as u64));
    let v = py_json(
        r#"
import duckdb, json, sys
con = duckdb.connect()
pairs = f"'{sys.argv[1]}/pairs.parquet'"
print(json.dumps(con.execute(f"""
  WITH n AS (SELECT p.pair_id, p.head, p.tail, unnest(p.negatives) AS neg FROM {pairs} p)
  SELECT (SELECT max(len(negatives)) FROM {pairs}),
         (SELECT min(len(negatives)) FROM {pairs}),
         count(*),
         count(*) FILTER (WHERE (q.head = n.head) = (q.tail = n.tail))
  FROM n JOIN {pairs} q ON q.pair_id = n.neg""").fetchone()))
"#,
        &[&p("ds")],
    );
    // [most negatives, fewest, all negatives, negatives sharing both or neither end]
    assert_eq!(v, serde_json::json!([64, 64, n * 64, 0]), "{v}");
    // Seconds, even in a debug build; the earlier neighbour sets were quadratic in the hub's
    // degree (200,000 sets of 200,000 bags).
    assert!(took.as_secs() < 120, "dataset took {took:?}");
    eprintln!("hub of {n} bags: dataset in {took:?}");
}
