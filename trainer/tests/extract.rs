//! `trainer extract` (issue 22) end to end: the KB is the bundled sample's (`pipeline run` on
//! configs/sample.toml), the model MiniLM fine-tuned in the test on 5 Wiki80 relations
//! (tests/fixtures/wiki80/cp_train_0.1.txt minus the sample's own sentences, ~1 min on 2 cores),
//! the text the sample's prose. Truth: the fixture's gold.tsv (hand-checked ids below), Python
//! + DuckDB over the KB's claims, and `scripts/extract_eval.py` (standard library).
mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use common::{python, repo};
use serde_json::Value;

/// The test model's relations (P-ids and Wiki80 names): 5 with 9-12 gold rows each in the sample.
const RELATIONS: [(&str, &str); 5] = [
    ("P131", "located in the administrative territorial entity"),
    ("P22", "father"),
    ("P460", "said to be the same as"),
    ("P86", "composer"),
    ("P937", "work location"),
];

struct Setup {
    dir: PathBuf,
    kb: PathBuf,
    model: PathBuf,
    /// The sample's sentences of the pages holding the 5 relations' gold rows plus as many
    /// other pages (distractors), as sentences.tsv rows and as `extract` input.
    sentences: PathBuf,
    /// `extract --threshold 0` on them: every classified pair.
    pairs: PathBuf,
}

fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures/e2e_wiki80").join(rel)
}

fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().expect("command starts");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn eval_script(args: &[&str]) -> std::process::Output {
    run(Command::new(python()).arg(repo().join("scripts/extract_eval.py")).args(args))
}

fn trainer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trainer"))
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        // The KB: the sample through the pipeline.
        let mut c = pipeline::run::load(&repo().join("configs/sample.toml")).unwrap();
        c.out = dir.join("kb");
        pipeline::run::run(&c, |_, _| {}).unwrap();
        // The model.
        let train = dir.join("train.txt");
        let sentences_tsv = fixture("sentences.tsv");
        let mut args = vec![
            "train-file".to_string(),
            repo().join("tests/fixtures/wiki80/cp_train_0.1.txt").display().to_string(),
            sentences_tsv.display().to_string(),
            train.display().to_string(),
        ];
        args.extend(RELATIONS.iter().map(|r| r.1.to_string()));
        eval_script(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let model = dir.join("model");
        let train = train.display().to_string();
        run(trainer()
            .args(["--threads", "2", "finetune", "--task", "wiki80", "--train", &train])
            .args(["--dev", &train, "--test", &train, "--seeds", "42", "--epochs", "4"])
            .args(["--lr", "1e-4", "--max-len", "64", "--quiet", "--no-dropout"])
            .arg("--model")
            .arg(common::minilm())
            .arg("--out")
            .arg(&model));
        // The text: pages with the relations' gold rows, then as many others.
        let gold = std::fs::read_to_string(fixture("gold.tsv")).unwrap();
        let with: BTreeSet<&str> = gold
            .lines()
            .skip(1)
            .map(|l| l.split('\t').collect::<Vec<_>>())
            .filter(|f| RELATIONS.iter().any(|r| r.0 == f[4]))
            .map(|f| f[0])
            .collect();
        let all = std::fs::read_to_string(&sentences_tsv).unwrap();
        let mut others: Vec<&str> = Vec::new();
        for l in all.lines().skip(1) {
            let page = l.split('\t').nth(1).unwrap();
            if !with.contains(page) && !others.contains(&page) && others.len() < with.len() {
                others.push(page);
            }
        }
        let mut kept = vec![all.lines().next().unwrap()];
        kept.extend(all.lines().skip(1).filter(|l| {
            let page = l.split('\t').nth(1).unwrap();
            with.contains(page) || others.contains(&page)
        }));
        let sentences = dir.join("sentences.tsv");
        std::fs::write(&sentences, kept.join("\n") + "\n").unwrap();
        let input = dir.join("sentences.jsonl");
        eval_script(&["input", sentences.to_str().unwrap(), input.to_str().unwrap()]);
        let pairs = dir.join("pairs.jsonl");
        run(trainer()
            .args(["extract", "--threshold", "0", "--model"])
            .arg(&model)
            .arg("--kb")
            .arg(dir.join("kb"))
            .arg("--input")
            .arg(&input)
            .arg("--out")
            .arg(&pairs));
        Setup { kb: dir.join("kb"), dir, model, sentences, pairs }
    })
}

/// `extract` on `input` (bytes, one document per line) with extra flags; its JSON lines.
fn extract(s: &Setup, name: &str, input: &[u8], flags: &[&str]) -> Vec<Value> {
    let path = s.dir.join(format!("{name}.in"));
    std::fs::write(&path, input).unwrap();
    let out = run(trainer()
        .arg("extract")
        .arg("--model")
        .arg(&s.model)
        .arg("--kb")
        .arg(&s.kb)
        .arg("--input")
        .arg(&path)
        .args(flags));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn paragraph(page: &str) -> String {
    let all = std::fs::read_to_string(fixture("sentences.tsv")).unwrap();
    let text: Vec<&str> = all
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f[1] == page)
        .map(|f| f[3])
        .collect();
    serde_json::json!({"title": page, "text": text.join(" ")}).to_string()
}

fn mentions(facts: &[Value]) -> HashMap<String, Value> {
    let mut m = HashMap::new();
    for f in facts {
        for end in ["head", "tail"] {
            m.insert(f[end]["surface"].as_str().unwrap().to_string(), f[end]["qid"].clone());
        }
    }
    m
}

#[test]
fn a_hand_checked_paragraph_gives_its_mentions_links_and_a_correct_fact() {
    let s = setup();
    let para = paragraph("Mount Kosciuszko");
    let all = extract(s, "para", para.as_bytes(), &["--threshold", "0"]);
    let m = mentions(&all);
    // Hand-checked against gold.tsv and wikidata.json: each name is one item's label.
    for (surface, qid) in [
        ("Mount Kosciuszko", "Q178167"),
        ("New South Wales", "Q3224"),
        ("Lac Témiscamingue", "Q2118285"),
        ("Quebec", "Q176"),
        ("Haute-Savoie", "Q12751"),
        ("Mission Bay", "Q6878535"),
        ("San Francisco", "Q62"),
        ("Kāhala", "Q6454270"),
        ("Honolulu", "Q18094"),
    ] {
        assert_eq!(m.get(surface), Some(&Value::from(qid)), "{surface}: {:?}", m.get(surface));
    }
    // Spans point at the surface in the sentence (code points).
    for f in &all {
        for end in ["head", "tail"] {
            let e = &f[end];
            let text: String = f["sentence"]
                .as_str()
                .unwrap()
                .chars()
                .skip(e["start"].as_u64().unwrap() as usize)
                .take((e["end"].as_u64().unwrap() - e["start"].as_u64().unwrap()) as usize)
                .collect();
            assert_eq!(text, e["surface"].as_str().unwrap());
        }
    }
    // At the default threshold (0.5; the test model has no calibration file), at least one
    // fact is a gold row of the page.
    let facts = extract(s, "para", para.as_bytes(), &[]);
    assert!(facts.iter().all(|f| f["score"].as_f64().unwrap() >= 0.5));
    let gold = std::fs::read_to_string(fixture("gold.tsv")).unwrap();
    let gold: BTreeSet<(String, String, String)> = gold
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f[0] == "Mount Kosciuszko")
        .map(|f| (f[2].to_string(), f[4].to_string(), f[3].to_string()))
        .collect();
    let correct = facts
        .iter()
        .filter(|f| {
            let k = (
                f["head"]["qid"].as_str().unwrap_or("").to_string(),
                f["relation"]["pid"].as_str().unwrap_or("").to_string(),
                f["tail"]["qid"].as_str().unwrap_or("").to_string(),
            );
            gold.contains(&k)
        })
        .count();
    assert!(correct >= 1, "no gold fact among {} facts: {facts:#?}", facts.len());
}

#[test]
fn unlinkable_names_give_null_qids_and_their_pairs_are_classified() {
    let s = setup();
    let facts = extract(
        s,
        "unlinkable",
        b"Zorblax Quentavian was born in Quebec and later moved to Honolulu.\n",
        &["--threshold", "0"],
    );
    let m = mentions(&facts);
    assert_eq!(m.get("Zorblax Quentavian"), Some(&Value::Null), "{m:?}");
    assert_eq!(m.get("Quebec"), Some(&Value::from("Q176")));
    assert!(facts.iter().any(|f| f["head"]["qid"].is_null()
        && f["head"]["source"] == "detector"
        && f["wikidata"] == "unlinked"));
    // Every ordered pair of the 3 mentions.
    assert_eq!(facts.len(), 6);
}

#[test]
fn bad_lines_get_an_error_line_and_the_output_stays_aligned() {
    let s = setup();
    let input = b"Quebec is a province of Canada.\n\n\xff\xfe broken\n{\"text\": \"Haute-Savoie borders Switzerland.\", \"title\": \"Haute-Savoie\"}\n{not json\n";
    let out = extract(s, "bad", input, &["--threshold", "0"]);
    let lines: Vec<u64> = out.iter().map(|v| v["line"].as_u64().unwrap()).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "out of order: {lines:?}");
    let errors: Vec<(u64, &str)> =
        out.iter().filter_map(|v| Some((v["line"].as_u64()?, v.get("error")?.as_str()?))).collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(errors[0], (2, "empty line"));
    assert!(errors[1].0 == 3 && errors[1].1.starts_with("not UTF-8"), "{errors:?}");
    assert!(errors[2].0 == 5 && errors[2].1.starts_with("invalid JSON"), "{errors:?}");
    for line in [1, 4] {
        assert!(
            out.iter().any(|v| v["line"] == line && v.get("relation").is_some()),
            "line {line}"
        );
    }
}

#[test]
fn known_and_new_agree_with_the_kb_claims_read_by_duckdb() {
    let s = setup();
    let script = r#"
import duckdb, json, sys
claims = set(duckdb.sql(f"SELECT head, property, tail FROM '{sys.argv[1]}'").fetchall())
bad, seen = 0, {}
for line in open(sys.argv[2]):
    f = json.loads(line)
    h, t, p = f["head"]["qid"], f["tail"]["qid"], f["relation"]["pid"]
    want = "unlinked" if h is None or t is None else ("known" if (h, p, t) in claims else "new")
    seen[want] = seen.get(want, 0) + 1
    bad += want != f["wikidata"]
print(json.dumps({"mismatches": bad, "seen": seen}))
"#;
    let out = run(Command::new(python())
        .args(["-c", script])
        .arg(s.kb.join("wikidata/claims.parquet"))
        .arg(&s.pairs));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["mismatches"], 0, "{v}");
    for k in ["known", "new", "unlinked"] {
        assert!(v["seen"][k].as_u64().unwrap_or(0) > 0, "no {k} pair: {v}");
    }
}

#[test]
fn precision_and_recall_against_gold_stay_above_the_measured_floor() {
    let s = setup();
    let rels: Vec<&str> = RELATIONS.iter().map(|r| r.0).collect();
    let out = eval_script(&[
        "eval",
        s.sentences.to_str().unwrap(),
        fixture("gold.tsv").to_str().unwrap(),
        fixture("wikidata.json").to_str().unwrap(),
        s.pairs.to_str().unwrap(),
        "--relations",
        &rels.join(","),
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("{v}");
    let (p, r) = (v["precision"].as_f64().unwrap(), v["recall"].as_f64().unwrap());
    assert!(p >= PRECISION_FLOOR && r >= RECALL_FLOOR, "precision {p}, recall {r}: {v}");
}

/// About two thirds of what the test model measured (precision 0.18, recall 0.41 on 29 gold
/// rows of the evaluation pages; issue 22): a broken linker, pairing or classifier drops below.
const PRECISION_FLOOR: f64 = 0.12;
const RECALL_FLOOR: f64 = 0.28;
