//! Few-shot evaluation on the vendored FewRel slice (16 relations x 6-7 instances of the real
//! val_wiki.json) with MiniLM: the cached evaluation predicts exactly what re-encoding every
//! episode predicts, and a short episode training run writes its best checkpoint.
mod common;

use std::path::{Path, PathBuf};

use tch::Device;
use trainer::bert;
use trainer::fewshot::data::FewRel;
use trainer::fewshot::episode::episodes;
use trainer::fewshot::eval::{eval_cached, eval_reencode, Encoder};
use trainer::fewshot::proto::Distance;
use trainer::pretrain::input::Markers;
use trainer::tokenize::WordPieces;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn slice() -> FewRel {
    FewRel::read(&repo().join("tests/fixtures/fewrel/val_wiki_6_per_relation.json")).unwrap()
}

#[test]
fn cached_evaluation_equals_reencoding_every_episode() {
    let model = repo().join("artifacts/models/all-MiniLM-L6-v2");
    assert!(model.exists(), "run `make model`");
    let data = slice();
    assert_eq!(data.relations.len(), 16);
    let loaded = bert::load(&model, Device::Cpu).unwrap();
    let tok = WordPieces::from_dir(&model).unwrap();
    let enc = Encoder {
        model: &loaded.model,
        tok: &tok,
        markers: Markers::from_vocab(&tok).unwrap(),
        max_len: 128,
        device: Device::Cpu,
    };
    let reps = enc.encode_all(&data, 16).unwrap();
    for (n, k) in [(5, 1), (3, 2)] {
        let eps = episodes(&data.sizes(), n, k, 1, 12, 5).unwrap();
        for distance in [Distance::Dot, Distance::Euclidean] {
            let cached = eval_cached(&reps, &eps, k, distance);
            let re = eval_reencode(&enc, &data, &eps, k, distance).unwrap();
            assert_eq!(cached.per_episode, re.per_episode, "{n}-way {k}-shot {distance:?}");
        }
    }
    // The representations themselves agree to float precision.
    let one = enc.encode(&[&data.instances[3][2]], Some(128), false).unwrap();
    let diff = (one.get(0) - reps[3].get(2)).abs().max().double_value(&[]);
    assert!(diff < 1e-4, "{diff}");
}

#[test]
fn episode_training_writes_the_best_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let minilm = repo().join("artifacts/models/all-MiniLM-L6-v2");
    let data = slice();
    let cfg = trainer::fewshot::train::FewshotTrain {
        n: 3,
        k: 1,
        q: 1,
        iterations: 4,
        episodes_per_batch: 2,
        lr: 2e-5,
        max_len: 64,
        val_every: 2,
        val_episodes: 10,
        seed: 1,
        distance: Distance::Dot,
    };
    let out = tmp.path().join("run");
    let s = trainer::fewshot::train::train(&minilm, &data, &data, &cfg, &out, Device::Cpu, false)
        .unwrap();
    // The best validation accuracy is the first maximum of those the log records, at its
    // iteration (in 1/10 steps: 10 episodes of one query per class).
    let logged: Vec<(u64, f64)> = std::fs::read_to_string(out.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter_map(|v| Some((v["iteration"].as_u64()?, v.get("val_accuracy")?.as_f64()?)))
        .collect();
    let best = logged.iter().fold((0, -1.0), |b, &(i, a)| if a > b.1 { (i, a) } else { b });
    assert_eq!((s.best_iteration as u64, s.best_val_accuracy), best, "{logged:?}");
    assert!([2, 4].contains(&s.best_iteration));
    assert_eq!(trainer::run_dir::resolve_model(&out).unwrap(), out.join("best"));
    bert::load(&out.join("best"), Device::Cpu).unwrap();
    let lines = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 4);
    assert_eq!(lines.matches("val_accuracy").count(), 2);
}

/// `trainer fewshot eval` writes each setting's per-episode accuracies next to its results
/// (one line per episode, in order), and their mean is the reported accuracy; two runs with
/// the same seed give `scripts/paired_episodes.py` the same episodes (a model against itself:
/// difference 0).
#[test]
fn eval_writes_per_episode_accuracies_for_paired_comparison() {
    let tmp = tempfile::tempdir().unwrap();
    let data = repo().join("tests/fixtures/fewrel/val_wiki_6_per_relation.json");
    let model = repo().join("artifacts/models/all-MiniLM-L6-v2");
    let run = |name: &str| {
        let out = tmp.path().join(name);
        let st = std::process::Command::new(env!("CARGO_BIN_EXE_trainer"))
            .args(["fewshot", "eval", "--settings", "5-1,3-2", "--episodes", "20"])
            .args(["--reencode-episodes", "0", "--seed", "3", "--data"])
            .arg(&data)
            .arg("--model")
            .arg(&model)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
        out
    };
    let (a, b) = (run("a"), run("b"));
    for s in ["5way1shot", "3way2shot"] {
        let r: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(a.join(format!("results-{s}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(r["per_episode_file"], format!("episodes-{s}.txt"));
        let per: Vec<f64> = std::fs::read_to_string(a.join(format!("episodes-{s}.txt")))
            .unwrap()
            .lines()
            .map(|l| l.parse().unwrap())
            .collect();
        assert_eq!(per.len(), 20, "{s}");
        let mean = per.iter().sum::<f64>() / 20.0;
        assert!((mean - r["accuracy"].as_f64().unwrap()).abs() < 1e-12, "{s}");
    }
    let py = std::env::var("WIKIREL_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(py)
        .arg(repo().join("scripts/paired_episodes.py"))
        .args([&a, &b])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        text.matches("A - B = +0.00 ± 0.00 points over 20 paired episodes").count(),
        2,
        "{text}"
    );
}

/// Tokens joined by spaces, head span, tail span.
type Spans = (String, (usize, usize), (usize, usize));

/// One FewRel record means the same spans in the pre-training corpus (`pipeline import`) and in
/// the evaluation (`trainer fewshot`): both read it through `formats::fewrel`. The records
/// include a mention whose indices skip a token and one listed twice.
#[test]
fn a_fewrel_record_has_the_same_spans_in_import_and_fewshot() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("fewrel.json");
    let slice =
        std::fs::read_to_string(repo().join("tests/fixtures/fewrel/val_wiki_6_per_relation.json"))
            .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&slice).unwrap();
    v["P9999"] = serde_json::json!([
        {"tokens": ["Anna", "von", "Berg", "was", "born", "in", "Graz", "."],
         "h": ["Anna Berg", "Q1", [[0, 2]]], "t": ["Graz", "Q2", [[6], [0]]]},
        {"tokens": ["Graz", "lies", "in", "Styria", "and", "Graz", "grew", "."],
         "h": ["Graz", "Q2", [[0], [5]]], "t": ["Styria", "Q3", [[3]]]}
    ]);
    std::fs::write(&src, v.to_string()).unwrap();
    let fewshot = FewRel::read(&src).unwrap();
    let mut want: Vec<Spans> =
        fewshot.instances.iter().flatten().map(|i| (i.tokens.join(" "), i.head, i.tail)).collect();
    want.sort();
    let got = imported_spans(pipeline::import::Format::Fewrel, &src);
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
    // The hand-checked spans of the two added records.
    assert!(want.contains(&("Anna von Berg was born in Graz .".into(), (0, 3), (6, 7))));
    assert!(want.contains(&("Graz lies in Styria and Graz grew .".into(), (0, 1), (3, 4))));
}

/// `pipeline import` of `src` into a temporary directory, its rows' tokens and spans as DuckDB
/// reads them back, sorted.
fn imported_spans(format: pipeline::import::Format, src: &std::path::Path) -> Vec<Spans> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("imported");
    pipeline::import::run(format, &[src.to_path_buf()], &out, 1).unwrap();
    let script = r#"
import duckdb, json, sys
rows = duckdb.sql(f"SELECT tokens, head.token_start, head.token_end, tail.token_start, tail.token_end FROM '{sys.argv[1]}/relation_instances.parquet'").fetchall()
print(json.dumps(sorted([" ".join(t), [a, b], [c, d]] for t, a, b, c, d in rows)))
"#;
    let o = std::process::Command::new(common::python())
        .args(["-c", script])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// One OpenNRE (Wiki80) line means the same tokens and spans in the pre-training corpus
/// (`pipeline import`) and in fine-tuning (`trainer finetune`'s reader): both read it through
/// `formats::supervised`.
#[test]
fn an_opennre_record_has_the_same_spans_in_import_and_finetune() {
    let src = repo().join("tests/fixtures/wiki80/cp_dev_every20th.txt");
    let loaded = trainer::finetune::data::read(&src, false).unwrap();
    let mut want: Vec<Spans> =
        loaded.records.iter().map(|r| (r.tokens.join(" "), r.head, r.tail)).collect();
    want.sort();
    assert!(want.len() > 100, "{}", want.len());
    assert_eq!(imported_spans(pipeline::import::Format::Opennre, &src), want);
    // Python's reading of the file's first record (OpenNRE's `pos` is already [start, end)).
    let first: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&src).unwrap().lines().next().unwrap())
            .unwrap();
    let pos = |e: &str| {
        let p = first[e]["pos"].as_array().unwrap();
        (p[0].as_u64().unwrap() as usize, p[1].as_u64().unwrap() as usize)
    };
    assert_eq!((loaded.records[0].head, loaded.records[0].tail), (pos("h"), pos("t")));
}
