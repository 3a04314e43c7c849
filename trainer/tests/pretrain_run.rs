//! The pre-training loop end to end on CPU: a tiny random BERT (MiniLM's vocabulary, 2 layers
//! of 32) on the Wiki80 slice imported with `pipeline import`. Resume equivalence, falling
//! loss, checkpoint layout, refusal to overwrite a run.
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use tch::{nn, Device, Tensor};
use trainer::bert::{self, BertConfig, BertModel};
use trainer::pretrain::config::{Method, Precision, PretrainConfig};
use trainer::pretrain::train::{run, Outcome, RunOptions, RunPaths};
use trainer::run_dir;

/// libtorch's dropout RNG is process-global: runs in parallel test threads would draw from
/// each other's streams, so every test that trains holds this lock.
static TORCH_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The imported Wiki80 slice (280 sentences x 2, 80 relations) and a tiny random BERT.
fn setup(tmp: &Path) -> (PathBuf, PathBuf) {
    let data = tmp.join("data");
    let fixture = repo().join("tests/fixtures/wiki80/cp_dev_every20th.txt");
    // Imported twice so that every entity pair has a bag of two sentences (MTB positives).
    pipeline::import::run(pipeline::import::Format::Opennre, &[fixture.clone(), fixture], &data, 1)
        .unwrap();
    let minilm = repo().join("artifacts/models/all-MiniLM-L6-v2");
    assert!(minilm.exists(), "run `make model`");
    let model = tmp.join("tiny");
    tch::manual_seed(7);
    let vs = nn::VarStore::new(Device::Cpu);
    let config = BertConfig::tiny(30522);
    let _m = BertModel::new(&vs.root(), &config, false);
    bert::save(&vs, &config, &[], &model).unwrap();
    run_dir::copy_tokenizer(&minilm, &model).unwrap();
    (data, model)
}

fn config(method: Method, steps: u64) -> PretrainConfig {
    PretrainConfig {
        method,
        steps,
        batch_pairs: 16,
        micro_batch: 8,
        warmup_steps: 2,
        lr: 1e-3,
        checkpoint_every: 100,
        keep_checkpoints: 0,
        ..PretrainConfig::default()
    }
}

fn opts(resume: bool, stop_at: Option<u64>) -> RunOptions {
    RunOptions { device: Device::Cpu, resume, stop_at, progress: false }
}

fn weights(run: &Path) -> Vec<(String, Tensor)> {
    let (_, dir) = run_dir::checkpoints(run).pop().expect("a checkpoint");
    let mut w = Tensor::read_safetensors(dir.join("model.safetensors")).unwrap();
    w.sort_by(|a, b| a.0.cmp(&b.0));
    w
}

fn losses(run: &Path, key: &str) -> Vec<f64> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()[key].as_f64().unwrap())
        .collect()
}

#[test]
fn resuming_after_five_steps_equals_ten_steps_straight() {
    let _rng = TORCH_RNG.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let (data, model) = setup(tmp.path());
    let never = AtomicBool::new(false);
    for method in [Method::Cp, Method::Mtb] {
        let c = config(method, 10);
        let straight = tmp.path().join(format!("{method:?}-straight"));
        let paths =
            |out: &Path| RunPaths { data: data.clone(), model: model.clone(), out: out.into() };
        let o = run(&c, &paths(&straight), &opts(false, None), &never).unwrap();
        assert_eq!(o, Outcome::Finished { step: 10 });

        let split = tmp.path().join(format!("{method:?}-split"));
        let o = run(&c, &paths(&split), &opts(false, Some(5)), &never).unwrap();
        assert_eq!(o, Outcome::Stopped { step: 5 });
        let o = run(&c, &paths(&split), &opts(true, None), &never).unwrap();
        assert_eq!(o, Outcome::Finished { step: 10 });

        let (a, b) = (weights(&straight), weights(&split));
        assert_eq!(a.len(), b.len());
        for ((na, ta), (nb, tb)) in a.iter().zip(&b) {
            assert_eq!(na, nb);
            let diff = (ta - tb).abs().max().double_value(&[]);
            assert!(diff <= 1e-6, "{method:?} {na}: max |diff| {diff}");
        }
        // The split run's metrics continue the straight run's exactly.
        assert_eq!(losses(&straight, "loss"), losses(&split, "loss"), "{method:?}");
        let changed = a.iter().any(|(n, t)| {
            n.ends_with("query.weight") && {
                let orig = Tensor::read_safetensors(model.join("model.safetensors")).unwrap();
                let o = &orig.iter().find(|(m, _)| m == n).unwrap().1;
                (t - o).abs().max().double_value(&[]) > 1e-4
            }
        });
        assert!(changed, "{method:?}: training changed no attention weight");
    }
}

#[test]
fn cp_loss_falls_on_a_tiny_corpus() {
    let _rng = TORCH_RNG.lock().unwrap_or_else(|e| e.into_inner());
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
    let _rng = TORCH_RNG.lock().unwrap_or_else(|e| e.into_inner());
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
fn bf16_autocast_trains_with_fp32_weights_and_matches_fp32_losses() {
    let _rng = TORCH_RNG.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let (data, model) = setup(tmp.path());
    let never = AtomicBool::new(false);
    let mut first = Vec::new();
    for precision in [Precision::Fp32, Precision::Bf16] {
        let out = tmp.path().join(format!("{precision:?}"));
        let c = PretrainConfig { precision, ..config(Method::Cp, 2) };
        run(
            &c,
            &RunPaths { data: data.clone(), model: model.clone(), out: out.clone() },
            &opts(false, None),
            &never,
        )
        .unwrap();
        first.push(losses(&out, "loss")[0]);
        for (name, t) in weights(&out) {
            assert_eq!(t.kind(), tch::Kind::Float, "{name} saved in fp32");
        }
    }
    let rel = (first[0] - first[1]).abs() / first[0];
    assert!(first[1].is_finite() && rel < 0.02, "fp32 {} vs bf16 {}", first[0], first[1]);
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
    let sentences = data.join("sentences.parquet");
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
}

/// `objective_weight = 0` (the MLM-only control): the same batches as the method's run (step
/// 1's MTB loss, computed from the same initial weights, is equal), `loss` is MLM's alone and
/// the trained weights differ from the full objective's; with weight 1, `loss` is the sum.
#[test]
fn objective_weight_zero_trains_mlm_alone_on_the_same_batches() {
    let _rng = TORCH_RNG.lock().unwrap_or_else(|e| e.into_inner());
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
