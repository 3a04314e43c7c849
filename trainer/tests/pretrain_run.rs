//! The pre-training loop end to end on CPU: a tiny random BERT (MiniLM's vocabulary, 2 layers
//! of 32) on the Wiki80 slice imported with `pipeline import` (common/tiny.rs). Falling loss,
//! checkpoint layout, refusal to overwrite a run, the piece store, the MLM-only control.
//! (Resume equivalence and bf16 are in device.rs, on every device.)
mod common;

use std::path::Path;
use std::sync::atomic::AtomicBool;

use common::tiny::{self, config, losses, opts, setup, weights};
use tch::Device;
use trainer::bert;
use trainer::pretrain::config::{Method, PretrainConfig};
use trainer::pretrain::train::{run, Outcome, RunPaths};
use trainer::run_dir;

#[test]
fn cp_loss_falls_on_a_tiny_corpus() {
    let _rng = tiny::lock();
    let tmp = tempfile::tempdir().unwrap();
    let (data, model) = setup(tmp.path());
    let out = tmp.path().join("run");
    let c = PretrainConfig { p_blank: 0.0, ..config(Method::Cp, 80) };
    run(
        &c,
        &RunPaths { data, model, out: out.clone() },
        &opts(false, None),
        &AtomicBool::new(false),
    )
    .unwrap();
    for key in ["cp_loss", "mlm_loss"] {
        let l = losses(&out, key);
        let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
        let (first, last) = (mean(&l[..5]), mean(&l[l.len() - 5..]));
        eprintln!("{key}: first steps {first:.3}, last steps {last:.3}");
        assert!(last < 0.9 * first, "{key}: first steps {first:.3}, last steps {last:.3}");
    }
}

#[test]
fn a_run_directory_is_complete_and_not_overwritten() {
    let _rng = tiny::lock();
    let tmp = tempfile::tempdir().unwrap();
    let (data, model) = setup(tmp.path());
    let out = tmp.path().join("run");
    let paths = RunPaths { data, model, out: out.clone() };
    let c = PretrainConfig { checkpoint_every: 2, keep_checkpoints: 2, ..config(Method::Cp, 5) };
    let stop = AtomicBool::new(false);
    run(&c, &paths, &opts(false, None), &stop).unwrap();
    for f in ["config.toml", "command.txt", "versions.json", "metrics.jsonl", "run.json"] {
        assert!(out.join(f).exists(), "{f}");
    }
    let steps: Vec<u64> = run_dir::checkpoints(&out).into_iter().map(|(s, _)| s).collect();
    assert_eq!(steps, vec![4, 5], "every 2 steps and at the end, keeping 2");
    let ck = run_dir::resolve_model(&out).unwrap();
    for f in [
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "optimizer.safetensors",
        "state.json",
    ] {
        assert!(ck.join(f).exists(), "{f}");
    }
    let loaded = bert::load(&ck, Device::Cpu).unwrap();
    assert!(loaded.extra.keys().any(|k| k.starts_with("cls.predictions.")), "MLM head saved");
    assert_eq!(losses(&out, "step"), vec![1.0, 2.0, 3.0, 4.0, 5.0]);
    let err = run(&c, &paths, &opts(false, None), &stop).unwrap_err().to_string();
    assert!(err.contains("--resume"), "{err}");
    // An interrupt checkpoints the step in progress and reports it.
    let out2 = tmp.path().join("run2");
    let stop = AtomicBool::new(true);
    let o = run(&c, &RunPaths { out: out2.clone(), ..paths }, &opts(false, None), &stop).unwrap();
    assert_eq!(o, Outcome::Interrupted { step: 1 });
    assert_eq!(run_dir::checkpoints(&out2).len(), 1);
}

#[test]
fn the_piece_store_returns_each_rows_marked_pieces_and_is_rebuilt_when_stale() {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::UInt32Type;
    use trainer::pretrain::input::{body, Markers};
    use trainer::pretrain::store::PieceStore;
    use trainer::tokenize::WordPieces;

    let tmp = tempfile::tempdir().unwrap();
    let (data, model) = setup(tmp.path());
    let tok = WordPieces::from_dir(&model).unwrap();
    let markers = Markers::from_vocab(&tok).unwrap();
    let sentences = data.join("relation_instances.parquet");
    let dir = tmp.path().join("pieces");
    let store =
        PieceStore::open_or_build(&dir, &sentences, &model, &tok, &markers, |_, _| {}).unwrap();
    let mut row = 0i64;
    for batch in schemas::open_table(&sentences, schemas::tables::RELATION_INSTANCES, 100).unwrap()
    {
        let batch = batch.unwrap();
        let tokens = batch.column_by_name("tokens").unwrap().as_list::<i32>();
        let span = |col: &str, r: usize| {
            let s = batch.column_by_name(col).unwrap().as_struct();
            let get = |f: &str| {
                s.column_by_name(f).unwrap().as_primitive::<UInt32Type>().value(r) as usize
            };
            (get("token_start"), get("token_end"))
        };
        for r in 0..batch.num_rows() {
            let words = tokens.value(r);
            let words = words.as_string::<i32>();
            let words: Vec<String> = (0..words.len()).map(|i| words.value(i).to_string()).collect();
            let want = body(&tok, &markers, &words, span("head", r), span("tail", r)).unwrap();
            assert_eq!(store.get(row).unwrap(), want, "row {row}");
            row += 1;
        }
    }
    assert_eq!(store.rows(), row as u64);
    assert!(store.get(row).is_err(), "out of range is an error");
    // A store built from another file is rebuilt, not misread.
    let meta = dir.join("meta.json");
    let text = std::fs::read_to_string(&meta)
        .unwrap()
        .replace("\"source_bytes\": ", "\"source_bytes\": 1");
    std::fs::write(&meta, text).unwrap();
    let again =
        PieceStore::open_or_build(&dir, &sentences, &model, &tok, &markers, |_, _| {}).unwrap();
    assert_eq!(again.get(0).unwrap(), store.get(0).unwrap());
    let rebuilt: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&meta).unwrap()).unwrap();
    assert_eq!(rebuilt["source_bytes"], std::fs::metadata(&sentences).unwrap().len());
    // The same size but other contents (here the writer's name in the Parquet footer, which
    // readers ignore) is another source too: rebuilt, and recorded by its SHA-256.
    let bytes = std::fs::read(&sentences).unwrap();
    let at = bytes.windows(13).position(|w| w == b"wikirel 0.1.0").expect("created_by");
    let mut edited = bytes.clone();
    edited[at + 12] = b'9';
    std::fs::write(&sentences, &edited).unwrap();
    let before = std::fs::read_to_string(&meta).unwrap();
    let again =
        PieceStore::open_or_build(&dir, &sentences, &model, &tok, &markers, |_, _| {}).unwrap();
    assert_eq!(again.get(0).unwrap(), store.get(0).unwrap());
    let after_text = std::fs::read_to_string(&meta).unwrap();
    assert_ne!(before, after_text, "a same-size edit was taken for the old source");
    let after: serde_json::Value = serde_json::from_str(&after_text).unwrap();
    assert_eq!(after["source_bytes"], bytes.len());
    use sha2::Digest;
    assert_eq!(after["source_sha256"], hex::encode(sha2::Sha256::digest(&edited)));
    // Unchanged: opened, not rebuilt (a rebuild writes a new meta.json).
    let written = std::fs::metadata(&meta).unwrap().modified().unwrap();
    PieceStore::open_or_build(&dir, &sentences, &model, &tok, &markers, |_, _| {}).unwrap();
    assert_eq!(std::fs::metadata(&meta).unwrap().modified().unwrap(), written, "rebuilt");
}

/// `objective_weight = 0` (the MLM-only control): the same batches as the method's run (step
/// 1's MTB loss, computed from the same initial weights, is equal), `loss` is MLM's alone and
/// the trained weights differ from the full objective's; with weight 1, `loss` is the sum.
#[test]
fn objective_weight_zero_trains_mlm_alone_on_the_same_batches() {
    let _rng = tiny::lock();
    let tmp = tempfile::tempdir().unwrap();
    let (data, model) = setup(tmp.path());
    let never = AtomicBool::new(false);
    let train = |name: &str, weight: f64| {
        let out = tmp.path().join(name);
        let c = PretrainConfig { objective_weight: weight, ..config(Method::Mtb, 3) };
        let paths = RunPaths { data: data.clone(), model: model.clone(), out: out.clone() };
        run(&c, &paths, &opts(false, None), &never).unwrap();
        out
    };
    let (full, mlm_only) = (train("full", 1.0), train("mlm-only", 0.0));
    let (main_full, main_zero) = (losses(&full, "mtb_loss"), losses(&mlm_only, "mtb_loss"));
    assert!((main_full[0] - main_zero[0]).abs() < 1e-6, "{main_full:?} vs {main_zero:?}");
    for (run, w) in [(&full, 1.0), (&mlm_only, 0.0)] {
        let (total, mlm, main) =
            (losses(run, "loss"), losses(run, "mlm_loss"), losses(run, "mtb_loss"));
        for i in 0..3 {
            assert!((total[i] - (w * main[i] + mlm[i])).abs() < 1e-9, "weight {w}, step {}", i + 1);
        }
    }
    let moved = weights(&full)
        .iter()
        .zip(weights(&mlm_only))
        .map(|((_, a), (_, b))| (a - b).abs().max().double_value(&[]))
        .fold(0.0, f64::max);
    assert!(moved > 1e-5, "the MTB loss changed no weight: max |diff| {moved}");
    let bad = PretrainConfig { objective_weight: -1.0, ..PretrainConfig::default() };
    let err = bad.validate(Path::new("x.toml")).unwrap_err().to_string();
    assert!(err.contains("objective_weight") && err.contains("x.toml"), "{err}");
}

/// `scripts/gpu-check.sh --dry-run` runs every check of the GPU run end to end on the CPU at
/// tiny sizes, so the script cannot rot between GPU runs; a trainer that does not start fails it.
#[test]
fn gpu_check_dry_run_writes_every_check() {
    let _rng = tiny::lock();
    let tmp = tempfile::tempdir().unwrap();
    let (data, _) = setup(tmp.path());
    let results = tmp.path().join("results.jsonl");
    let script = |trainer: &std::ffi::OsStr| {
        std::process::Command::new(common::repo().join("scripts/gpu-check.sh"))
            .arg("--dry-run")
            .env("DEVICE", "cpu")
            .env("TRAINER", trainer)
            .env("DATASET", &data)
            .env("TOKENIZER", common::tokenizer_dir())
            .env("BUNDLE", tmp.path().join("no-bundle"))
            .env("RESULTS", &results)
            .env("TMPDIR", tmp.path())
            .output()
            .unwrap()
    };
    let out = script(std::ffi::OsStr::new(env!("CARGO_BIN_EXE_trainer")));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&results)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let get = |check: &str| -> Vec<&serde_json::Value> {
        rows.iter().filter(|r| r["check"] == check).collect()
    };
    let status = |check: &str| get(check)[0]["status"].as_str().unwrap().to_string();
    assert_eq!(status("info"), "ok");
    assert_eq!(status("tests"), "skipped", "cargo runs device.rs itself in make test");
    assert_eq!(status("model"), "ok");
    // Without torch here the embed check compares bf16 with fp32: different, within 2e-2.
    let embed = get("embed")[0];
    if embed["status"] == "skipped" {
        let d = embed["bf16_vs_fp32_max_abs_diff"].as_f64().unwrap();
        assert!(d > 0.0 && d <= 2e-2, "{embed}");
    }
    // On the CPU a resumed run is bitwise the straight one.
    let resume = get("resume")[0];
    assert_eq!(resume["status"], "ok", "{resume}");
    assert_eq!(resume["max_abs_diff"].as_f64(), Some(0.0), "{resume}");
    // Two micro-batch sizes x two paddings, each timed.
    let rates = get("throughput");
    assert_eq!(rates.len(), 4, "{rows:?}");
    let best = rates
        .iter()
        .map(|r| {
            assert_eq!(r["status"], "ok", "{r}");
            r["seqs_per_s"].as_f64().unwrap()
        })
        .fold(0.0, f64::max);
    assert!(best > 0.0);
    let paper = get("paper-run")[0];
    let hours = paper["hours"].as_f64().unwrap();
    assert!((hours - 3500.0 * 2048.0 * 2.0 / best / 3600.0).abs() < 1e-6 * hours, "{paper}");
    // 40 rows in batches of 8: 5 steps, the same on both runs (both on the CPU here).
    let ft = get("finetune")[0];
    assert_eq!(ft["status"], "ok", "{ft}");
    assert_eq!(ft["steps"].as_u64(), Some(5), "{ft}");
    assert_eq!(ft["max_rel_diff"].as_f64(), Some(0.0), "{ft}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("| resume | ok |"), "the summary table is printed: {stdout}");

    let broken = script(std::ffi::OsStr::new("/bin/false"));
    assert!(!broken.status.success());
    let first = std::fs::read_to_string(&results).unwrap();
    assert!(first.contains(r#""check": "info", "status": "fail""#), "{first}");
}
