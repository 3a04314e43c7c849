//! Fine-tuning (issue 8): the readers on real records of every format (tests/fixtures/finetune,
//! facts checked by hand against the files), the five input modes' token layouts on a
//! hand-written sentence, and a tiny end-to-end fine-tune of MiniLM on 4 Wiki80 relations that
//! must beat the majority class, whose saved model `predict` reloads and whose prediction files
//! `trainer score` re-scores to the same number.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use tch::Device;
use trainer::finetune::data::{read, Format, Record};
use trainer::finetune::model::{encode_records, Classifier, HeadInfo};
use trainer::finetune::modes::{encode, Mode, TypeIds};
use trainer::finetune::splits::{self, DataSpec, Task};
use trainer::finetune::train::{self, FinetuneConfig, Warmup};
use trainer::pretrain::input::Markers;
use trainer::tokenize::WordPieces;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures/finetune").join(name)
}

fn minilm() -> PathBuf {
    let dir = repo().join("artifacts/models/all-MiniLM-L6-v2");
    assert!(dir.join("model.safetensors").exists(), "{} missing: run `make model`", dir.display());
    dir
}

fn words(r: &Record, span: (usize, usize)) -> Vec<&str> {
    r.tokens[span.0..span.1].iter().map(String::as_str).collect()
}

#[test]
fn semeval_original_file() {
    let l = read(&fixture("semeval_original_train_first3.txt"), false).unwrap();
    assert_eq!(l.format, Format::SemevalOriginal);
    assert_eq!(l.records.len(), 3);
    let r = &l.records[0];
    assert_eq!((r.id.as_str(), r.label.as_str()), ("1", "Component-Whole(e2,e1)"));
    assert_eq!((words(r, r.head), words(r, r.tail)), (vec!["configuration"], vec!["elements"]));
    assert_eq!(r.tokens.first().map(String::as_str), Some("The"));
    let r = &l.records[2];
    assert_eq!((r.id.as_str(), r.label.as_str()), ("3", "Instrument-Agency(e2,e1)"));
    assert_eq!((words(r, r.head), words(r, r.tail)), (vec!["author"], vec!["disassembler"]));
}

#[test]
fn semeval_cp_json_lines() {
    let l = read(&fixture("semeval_cp_test_first5.txt"), false).unwrap();
    assert_eq!((l.format, l.records.len()), (Format::OpenNre, 5));
    let r = &l.records[0];
    assert_eq!((r.head, r.tail), ((3, 4), (6, 7)));
    assert_eq!((words(r, r.head), words(r, r.tail)), (vec!["audits"], vec!["waste"]));
    assert_eq!(r.label, "Message-Topic(e1,e2)");
}

#[test]
fn chemprot_markers_including_repeated_marker_strings() {
    let l = read(&fixture("chemprot_slice.txt"), false).unwrap();
    assert_eq!((l.format, l.records.len(), l.skipped.len()), (Format::Scibert, 6, 0));
    let want: [(&[&str], &[&str], &str); 6] = [
        (&["Androgen"], &["androgen", "receptor"], "ANTAGONIST"),
        (&["estramustine", "phosphate"], &["androgen", "receptor"], "ANTAGONIST"),
        // `... AS-8112>>[[ metoclopramide ]].`: `>>` glued to the text is not a marker
        (&["5-HT3", "receptor"], &["metoclopramide"], "ANTAGONIST"),
        (&["neurotensin", "receptors"], &["[3H]SR", "142948A"], "ANTAGONIST"),
        // `sulprostone>[[ PGE2 ]], PGE1>STA2>>17-phenyl-trinor-PGE2.`
        (&["HVA", "Ca2+", "channels"], &["PGE2"], "INHIBITOR"),
        // `<< Panx1 >> ... [[ carbenoxolone ]] > ... >> ...`
        (&["Panx1"], &["carbenoxolone"], "INHIBITOR"),
    ];
    for (r, (h, t, label)) in l.records.iter().zip(want) {
        assert_eq!(words(r, r.head), h, "line {}", r.line);
        assert_eq!(words(r, r.tail), t, "line {}", r.line);
        assert_eq!(r.label, label);
    }
}

#[test]
fn tacred_official_json_with_inclusive_ends() {
    let l = read(&fixture("tacred_official_sample_dev.json"), false).unwrap();
    assert_eq!((l.format, l.records.len()), (Format::Tacred, 20));
    let r = &l.records[0];
    // subj_start 9, subj_end 9, obj_start 15, obj_end 15 in the file.
    assert_eq!((r.head, r.tail), ((9, 10), (15, 16)));
    assert_eq!((words(r, r.head), words(r, r.tail)), (vec!["Edwards"], vec!["actress"]));
    assert_eq!((r.head_type.as_deref(), r.tail_type.as_deref()), (Some("PERSON"), Some("TITLE")));
    assert_eq!(r.id, "e779865fb91dc9cef1f3");
    let count = |label: &str| l.records.iter().filter(|r| r.label == label).count();
    assert_eq!((count("no_relation"), count("per:title")), (13, 4)); // as SOURCE.md counts
}

#[test]
fn malformed_records_are_named_or_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("bad.json");
    let good = r#"{"id": "a", "relation": "no_relation", "token": ["x", "y"], "subj_start": 0, "subj_end": 0, "obj_start": 1, "obj_end": 1, "subj_type": "PERSON", "obj_type": "CITY"}"#;
    let bad = good.replace(r#""obj_end": 1"#, r#""obj_end": 5"#);
    std::fs::write(&p, format!("[{good},\n{bad}]")).unwrap();
    let err = read(&p, false).unwrap_err().to_string();
    assert!(err.contains("bad.json") && err.contains("line 2") && err.contains("outside"), "{err}");
    let l = read(&p, true).unwrap();
    assert_eq!((l.records.len(), l.skipped.len()), (1, 1));
}

fn ids(tok: &WordPieces, tokens: &str) -> Vec<i64> {
    tokens
        .split(' ')
        .map(|t| tok.token_id(t).unwrap_or_else(|| panic!("{t} not in vocab")))
        .collect()
}

#[test]
fn mode_layouts_on_a_hand_checked_sentence() {
    let model = minilm();
    let tok = WordPieces::from_dir(&model).unwrap();
    let markers = Markers::from_vocab(&tok).unwrap();
    let types: TypeIds = [("UNK", 0), ("subj_UNK", 1), ("obj_UNK", 2), ("subj_PERSON", 3)]
        .into_iter()
        .chain([("obj_PERSON", 4), ("subj_MISC", 5), ("obj_MISC", 6)])
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let mut rec = Record {
        id: "1".into(),
        line: 1,
        tokens: ["bob", "plays", "the", "guitar", "."].map(String::from).to_vec(),
        head: (0, 1),
        tail: (3, 4),
        head_type: Some("PERSON".into()),
        tail_type: Some("MISC".into()),
        named: Default::default(),
        label: "instrument".into(),
    };
    // Type tokens: [unused{10 + type id}]: subj_PERSON -> 13, obj_MISC -> 16.
    let want = [
        (
            Mode::Cm,
            "[CLS] [unused0] bob [unused1] plays the [unused2] guitar [unused3] . [SEP]",
            1,
            6,
        ),
        (
            Mode::Ct,
            "[CLS] [unused0] [unused13] [unused1] plays the [unused2] [unused16] [unused3] . [SEP]",
            1,
            6,
        ),
        (
            Mode::Oc,
            "[CLS] [unused0] [unused4] [unused1] plays the [unused2] [unused5] [unused3] . [SEP]",
            1,
            6,
        ),
        (Mode::Om, "[CLS] [unused0] bob [unused1] [unused2] guitar [unused3] [SEP]", 1, 4),
        (
            Mode::Ot,
            "[CLS] [unused0] [unused13] [unused1] [unused2] [unused16] [unused3] [SEP]",
            1,
            4,
        ),
    ];
    for (mode, layout, h, t) in want {
        let m = encode(&tok, &markers, &rec, mode, &types, 100).unwrap();
        assert_eq!(m.ids, ids(&tok, layout), "{mode:?}");
        assert_eq!((m.head_start, m.tail_start), (Some(h), Some(t)), "{mode:?}");
    }
    // Tail first: only-mention keeps sentence order.
    (rec.head, rec.tail) = ((3, 4), (0, 1));
    let m = encode(&tok, &markers, &rec, Mode::Om, &types, 100).unwrap();
    assert_eq!(m.ids, ids(&tok, "[CLS] [unused2] bob [unused3] [unused0] guitar [unused1] [SEP]"));
    assert_eq!((m.head_start, m.tail_start), (Some(4), Some(1)));
    // A record without types cannot be encoded in a type mode.
    rec.head_type = None;
    assert!(encode(&tok, &markers, &rec, Mode::Ct, &types, 100).is_err());
}

#[test]
fn tiny_fine_tune_beats_the_majority_class_and_predict_reloads_it() {
    let model = minilm();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    std::fs::create_dir_all(&out).unwrap();
    let spec = DataSpec { dir: Some(fixture("wiki80_4rel")), ratio: 1.0, ..Default::default() };
    let data = splits::load(&spec, &out).unwrap();
    assert_eq!((data.train.len(), data.dev.len(), data.test.len()), (32, 24, 40));
    assert_eq!(data.labels.len(), 4);
    let mut cfg = FinetuneConfig::paper(Task::Wiki80, Mode::Cm);
    cfg.seeds = vec![42];
    cfg.epochs = 8;
    cfg.batch_size = 8;
    cfg.lr = 2e-4;
    cfg.warmup = Warmup::Ratio(0.1);
    let s = train::run(&cfg, &data, &model, &out, Device::Cpu, false).unwrap();
    let majority = 10.0 / 40.0; // each test relation has 10 records
    assert!(
        s.median_test > majority + 0.25,
        "test accuracy {} vs majority {majority}",
        s.median_test
    );
    let seed = out.join("seed-42");
    for f in [
        "metrics.jsonl",
        "result.json",
        "per_relation.tsv",
        "confusion.tsv",
        "best/finetune-head.json",
    ] {
        assert!(seed.join(f).exists(), "{f}");
    }
    // The confusion matrix counts every test record once.
    let conf = std::fs::read_to_string(seed.join("confusion.tsv")).unwrap();
    let total: usize = conf
        .lines()
        .skip(1)
        .flat_map(|l| l.split('\t').skip(1).map(|v| v.parse::<usize>().unwrap()))
        .sum();
    assert_eq!(total, 40);

    // The saved model predicts what the run recorded for the test set.
    let best = train::resolve_finetuned(&out).unwrap();
    let tok = WordPieces::from_dir(&best).unwrap();
    let (clf, info): (Classifier, HeadInfo) =
        Classifier::load(&best, tok.pad_id(), Device::Cpu).unwrap();
    let markers = Markers::from_vocab(&tok).unwrap();
    let enc = encode_records(&tok, &markers, &info, &data.test, true).unwrap();
    let (pred, _) = clf.predict(&enc, 16);
    let recorded: Vec<String> = std::fs::read_to_string(seed.join("test_predictions.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["label"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let reloaded: Vec<String> = pred.iter().map(|&i| info.labels[i].clone()).collect();
    assert_eq!(reloaded, recorded);

    // `trainer score` on the run's label files gives the run's test score.
    let bin = env!("CARGO_BIN_EXE_trainer");
    let o = Command::new(bin)
        .args(["score", "--task", "accuracy", "--gold"])
        .arg(seed.join("test_gold.txt"))
        .arg("--pred")
        .arg(seed.join("test_pred.txt"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!((v["accuracy"].as_f64().unwrap() - s.seeds[0].test).abs() < 1e-12);

    // `trainer predict` on raw marked text and OpenNRE JSON lines.
    let input = tmp.path().join("in.txt");
    std::fs::write(
        &input,
        "The <e1>Tanout Airport</e1> serves <e2>Tanout</e2> in Niger.\nno markers\n",
    )
    .unwrap();
    let o = Command::new(bin)
        .args(["predict", "--model"])
        .arg(&out)
        .arg("--input")
        .arg(&input)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(info.labels.iter().any(|l| l == lines[0]["label"].as_str().unwrap()));
    assert!(lines[1]["error"].is_string() && lines[1]["line"] == 2);

    // A second run with --resume semantics reuses the finished seed.
    let again = train::run(&cfg, &data, &model, &out, Device::Cpu, false).unwrap();
    assert_eq!(again.seeds[0].test, s.seeds[0].test);
}

#[test]
fn score_cli_rejects_malformed_files_with_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (gold, pred) = (tmp.path().join("gold.txt"), tmp.path().join("pred.txt"));
    std::fs::write(&gold, "a\nb\nno_relation\n").unwrap();
    std::fs::write(&pred, "a\nno_relation\n").unwrap();
    let bin = env!("CARGO_BIN_EXE_trainer");
    let run = |task: &str| {
        Command::new(bin)
            .args(["score", "--task", task, "--gold"])
            .arg(&gold)
            .arg("--pred")
            .arg(&pred)
            .output()
            .unwrap()
    };
    let o = run("tacred");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("line 3"));
    std::fs::write(&pred, "a\nno_relation\nb\n").unwrap();
    let o = run("tacred");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // gold positives a, b; guessed a, b; correct a -> P 1/2, R 1/2.
    assert!((v["f1"].as_f64().unwrap() - 0.5).abs() < 1e-12, "{v}");
    // SemEval key/answer: an id not in the key is rejected with its line.
    std::fs::write(&gold, "1\tOther\n2\tCause-Effect(e1,e2)\n").unwrap();
    std::fs::write(&pred, "1\tOther\n7\tOther\n").unwrap();
    let o = run("semeval");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(err.contains("pred.txt") && err.contains('2'), "{err}");
}

#[test]
fn cli_fine_tunes_tacred_json_and_reports_with_a_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = fixture("tacred_official_sample_dev.json");
    let out = tmp.path().join("tacred");
    let bin = env!("CARGO_BIN_EXE_trainer");
    let finetune = |extra: &[&str]| {
        Command::new(bin)
            .args(["finetune", "--task", "tacred", "--train"])
            .arg(&sample)
            .arg("--dev")
            .arg(&sample)
            .arg("--test")
            .arg(&sample)
            .arg("--model")
            .arg(minilm())
            .args(["--seeds", "42", "--epochs", "1", "--batch-size", "8", "--no-save", "--quiet"])
            .arg("--out")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let o = finetune(&["--mode", "ct"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(r["metric"], "micro-F1 (TACRED rule)");
    assert_eq!(r["mode"], "ct");
    let labels: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(out.join("labels.json")).unwrap()).unwrap();
    assert_eq!(labels.len(), 5); // the sample's dev labels
                                 // The same --out without --resume is refused; with another configuration too.
    let o = finetune(&["--mode", "ct"]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("--resume"));
    let o = finetune(&["--mode", "cm", "--resume"]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("differs"));

    let png = tmp.path().join("table.png");
    let o = Command::new(bin).arg("report").arg(&out).arg("--png").arg(&png).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = String::from_utf8(o.stdout).unwrap();
    assert!(md.contains("| tacred | 100% | ct |"), "{md}");
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");

    // ChemProt has no entity types: the type modes are refused up front.
    let chem = fixture("chemprot_slice.txt");
    let o = Command::new(bin)
        .args(["finetune", "--task", "chemprot", "--mode", "ot", "--train"])
        .arg(&chem)
        .arg("--dev")
        .arg(&chem)
        .arg("--test")
        .arg(&chem)
        .arg("--model")
        .arg(minilm())
        .arg("--out")
        .arg(tmp.path().join("chem"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no entity types"));
}

#[test]
fn semeval_release_files_are_found_by_their_names() {
    let tmp = tempfile::tempdir().unwrap();
    let release = fixture("semeval_original_train_first3.txt");
    for name in ["TRAIN_FILE.TXT", "TEST_FILE_FULL.TXT"] {
        std::fs::copy(&release, tmp.path().join(name)).unwrap();
    }
    let out = tmp.path().join("run");
    std::fs::create_dir_all(&out).unwrap();
    let spec = DataSpec {
        dir: Some(tmp.path().to_path_buf()),
        dev: Some(release.clone()),
        ratio: 1.0,
        ..Default::default()
    };
    let s = splits::load(&spec, &out).unwrap();
    assert_eq!((s.train.len(), s.dev.len(), s.test.len()), (3, 3, 3));
    assert_eq!(s.labels, ["Component-Whole(e2,e1)", "Instrument-Agency(e2,e1)", "Other"]);
    // The release has no dev file: the error says what to give.
    let err = splits::load(&DataSpec { dev: None, ..spec }, &out).unwrap_err().to_string();
    assert!(err.contains("no dev file") && err.contains("--dev"), "{err}");
}

/// With `WIKIREL_REF_PYTHON` (torch 2.11 + transformers 4.57.1; `make test-ref`): a run without
/// dropout that records its first steps is replayed by the PyTorch reference
/// (tests/reference/finetune_ref.py --lockstep) with the same classifier initialisation and
/// batches; every step's loss must agree. This is what makes the reference comparison in
/// RESULTS.md a comparison of the same protocol.
#[test]
fn pytorch_reference_replays_the_same_losses_step_by_step() {
    let Some(python) = common::ref_python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    std::fs::create_dir_all(&out).unwrap();
    let spec = DataSpec { dir: Some(fixture("wiki80_4rel")), ratio: 1.0, ..Default::default() };
    let data = splits::load(&spec, &out).unwrap();
    let mut cfg = FinetuneConfig::paper(Task::Wiki80, Mode::Cm);
    (cfg.seeds, cfg.epochs, cfg.batch_size, cfg.lr) = (vec![7], 2, 8, 1e-4);
    (cfg.dropout, cfg.trace_steps, cfg.save_model) = (false, 8, false);
    train::run(&cfg, &data, &minilm(), &out, Device::Cpu, false).unwrap();
    let report = tmp.path().join("lockstep.json");
    let o = Command::new(python)
        .arg(repo().join("tests/reference/finetune_ref.py"))
        .arg("--run")
        .arg(&out)
        .arg("--model")
        .arg(minilm())
        .args(["--seeds", "7", "--lockstep", "--out"])
        .arg(&report)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(v[0]["steps"], 8);
    let diff = v[0]["max_abs_diff"].as_f64().unwrap();
    assert!(diff < 1e-4, "losses differ by {diff}: {v}");
}
