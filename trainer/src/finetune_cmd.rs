//! The `finetune`, `predict`, `score` and `report` subcommands: flags into configurations.
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use trainer::finetune::model::{encode_records, Classifier};
use trainer::finetune::modes::Mode;
use trainer::finetune::splits::{self, DataSpec, Task};
use trainer::finetune::train::{self, FinetuneConfig, Warmup};
use trainer::finetune::{predict, report};
use trainer::metrics::{semeval, tacred};
use trainer::pretrain::input::Markers;
use trainer::{device, run_dir, tokenize::WordPieces};

#[derive(clap::Args)]
pub struct FinetuneArgs {
    #[arg(long, value_enum)]
    task: Task,
    /// Dataset directory (train/dev/test files by their usual names; see --train/--dev/--test).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Training file (overrides the one found in --data).
    #[arg(long)]
    train: Option<PathBuf>,
    #[arg(long)]
    dev: Option<PathBuf>,
    #[arg(long)]
    test: Option<PathBuf>,
    /// Starting encoder: a Hugging Face BERT directory or a pre-training run directory.
    #[arg(long)]
    model: PathBuf,
    /// Share of the training data: 1, 0.1 or 0.01 use the shipped subset files when present;
    /// otherwise ceil(n * ratio) per relation are sampled with --subset-seed.
    #[arg(long, default_value_t = 1.0)]
    train_ratio: f64,
    #[arg(long, default_value_t = 42)]
    subset_seed: u64,
    /// Seeds, each a full run; the median is reported.
    #[arg(long, value_delimiter = ',', default_value = "42,43,44,45,46")]
    seeds: Vec<u64>,
    /// Input mode: context+mention, context+type, only context, only mention, only type.
    #[arg(long, value_enum, default_value = "cm")]
    mode: Mode,
    #[arg(long, default_value_t = 6)]
    epochs: usize,
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    #[arg(long, default_value_t = 3e-5)]
    lr: f64,
    #[arg(long, default_value_t = 100)]
    max_len: usize,
    /// Warm-up as a share of all steps.
    #[arg(long, default_value_t = 0.1, conflicts_with = "warmup_steps")]
    warmup_ratio: f64,
    /// Warm-up as a number of steps (the original code: 500, even for runs shorter than that).
    #[arg(long)]
    warmup_steps: Option<u64>,
    /// Do not keep each seed's best model (saves disk; `predict` then has nothing to load).
    #[arg(long)]
    no_save: bool,
    /// Train without dropout (for lock-step comparisons with a reference implementation).
    #[arg(long, hide = true)]
    no_dropout: bool,
    /// Record the first N steps in seed-N/trace.json (classifier init, batch rows, losses).
    #[arg(long, hide = true, default_value_t = 0)]
    trace_steps: usize,
    /// Skip malformed records (counted in finetune.json) instead of stopping at the first.
    #[arg(long)]
    skip_bad: bool,
    /// Run directory.
    #[arg(long)]
    out: PathBuf,
    /// Continue a run: finished seeds are kept, the rest run.
    #[arg(long)]
    resume: bool,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu", value_parser = device::parse_device)]
    device: tch::Device,
    #[arg(long)]
    quiet: bool,
}

pub fn finetune(a: FinetuneArgs) -> Result<()> {
    let saved = a.out.join("finetune.json");
    if !a.resume && saved.exists() {
        bail!(
            "{} holds a fine-tuning run; --resume continues it (finished seeds are kept), or \
             choose another --out",
            a.out.display()
        );
    }
    if !(a.train_ratio > 0.0 && a.train_ratio <= 1.0) {
        bail!("--train-ratio {}: expected a share in (0, 1]", a.train_ratio);
    }
    let device = a.device;
    let model_dir = run_dir::resolve_model(&a.model)?;
    let mut cfg = FinetuneConfig::paper(a.task, a.mode);
    cfg.train_ratio = a.train_ratio;
    cfg.seeds = a.seeds;
    cfg.epochs = a.epochs;
    cfg.batch_size = a.batch_size;
    cfg.lr = a.lr;
    cfg.max_len = a.max_len;
    cfg.warmup = a.warmup_steps.map_or(Warmup::Ratio(a.warmup_ratio), Warmup::Steps);
    cfg.save_model = !a.no_save;
    cfg.dropout = !a.no_dropout;
    cfg.trace_steps = a.trace_steps;
    if let Ok(text) = std::fs::read_to_string(&saved) {
        let before: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("reading {}", saved.display()))?;
        // Through the type, so that keys added since the run started take their defaults.
        let before: FinetuneConfig = serde_json::from_value(before["config"].clone())
            .with_context(|| format!("{}: its \"config\"", saved.display()))?;
        let (before, now) = (serde_json::to_value(&before)?, serde_json::to_value(&cfg)?);
        // Seeds may be added on resume; everything else must match the finished seeds.
        let strip = |mut v: serde_json::Value| {
            v["seeds"] = serde_json::Value::Null;
            v
        };
        if strip(before.clone()) != strip(now.clone()) {
            bail!(
                "{}: the configuration differs from the run's ({} vs {}); use another --out",
                saved.display(),
                before,
                now
            );
        }
    }
    std::fs::create_dir_all(&a.out)?;
    let spec = DataSpec {
        dir: a.data,
        train: a.train,
        dev: a.dev,
        test: a.test,
        ratio: a.train_ratio,
        subset_seed: a.subset_seed,
        skip_bad: a.skip_bad,
    };
    let data = splits::load(&spec, &a.out)?;
    if a.mode.uses_types() && data.train.iter().any(|r| r.head_type.is_none()) {
        bail!("--mode {}: this dataset has no entity types", a.mode.name());
    }
    eprintln!(
        "{}: {} train / {} dev / {} test, {} labels, mode {}",
        a.task.name(),
        data.train.len(),
        data.dev.len(),
        data.test.len(),
        data.labels.len(),
        a.mode.name()
    );
    let s = train::run(&cfg, &data, &model_dir, &a.out, device, !a.quiet)
        .with_context(|| format!("fine-tuning into {}", a.out.display()))?;
    println!("{}", report::markdown(&[(a.out.display().to_string(), s)]));
    Ok(())
}

#[derive(clap::Args)]
pub struct PredictArgs {
    /// A fine-tuning run directory (its best seed), a seed directory or a saved model.
    #[arg(long)]
    model: PathBuf,
    /// One instance per line: OpenNRE JSON, {"text": ...} or raw text with <e1>..</e1>
    /// <e2>..</e2> (or << .. >> [[ .. ]]) marks. `-` reads standard input.
    #[arg(long)]
    input: PathBuf,
    /// Output JSON lines (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long, default_value = "cpu", value_parser = device::parse_device)]
    device: tch::Device,
    #[arg(long, default_value_t = 128)]
    batch: usize,
}

pub fn predict(a: PredictArgs) -> Result<()> {
    let device = a.device;
    let dir = train::resolve_finetuned(&a.model)?;
    let tok = WordPieces::from_dir(&dir)?;
    let (model, info) = Classifier::load(&dir, tok.pad_id(), device)?;
    let markers = Markers::from_vocab(&tok)?;
    let reader = crate::cli_io::input(&a.input)?;
    let mut lines: Vec<(usize, Result<_, String>)> = Vec::new();
    for (i, l) in reader.lines().enumerate() {
        let l = l.with_context(|| format!("{}: line {}", a.input.display(), i + 1))?;
        if l.trim().is_empty() {
            continue;
        }
        let rec = predict::parse_line(&l, i + 1).and_then(|r| {
            encode_records(&tok, &markers, &info, std::slice::from_ref(&r), false)
                .map_err(|e| e.to_string())
        });
        lines.push((i + 1, rec));
    }
    let mut all = trainer::finetune::model::Encoded::default();
    for (_, r) in &lines {
        if let Ok(e) = r {
            all.ids.extend(e.ids.iter().cloned());
            all.starts.extend(&e.starts);
        }
    }
    let (pred, prob) = model.predict(&all, a.batch);
    let mut out = crate::cli_io::output(a.out.as_deref())?;
    let (mut k, mut bad) = (0, 0);
    for (line, r) in &lines {
        let v = match r {
            Ok(_) => {
                k += 1;
                serde_json::json!({"line": line, "label": info.labels[pred[k - 1]],
                    "score": prob[k - 1]})
            }
            Err(e) => {
                bad += 1;
                serde_json::json!({"line": line, "error": e})
            }
        };
        writeln!(out, "{v}")?;
    }
    if bad > 0 {
        eprintln!("{bad} line(s) could not be read (\"error\" in their output line)");
    }
    Ok(())
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ScoreTask {
    Semeval,
    Tacred,
    Accuracy,
}

#[derive(clap::Args)]
pub struct ScoreArgs {
    #[arg(long, value_enum)]
    task: ScoreTask,
    /// Gold file: SemEval `id<TAB>label` key, or one label per line.
    #[arg(long)]
    gold: PathBuf,
    /// Predictions in the same format.
    #[arg(long)]
    pred: PathBuf,
    /// Negative label for --task tacred.
    #[arg(long, default_value = "no_relation")]
    negative: String,
    /// Label set (a rel2id.json); predictions outside it are rejected.
    #[arg(long)]
    labels: Option<PathBuf>,
}

fn label_lines(path: &Path, known: Option<&[String]>) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let l = l.trim();
        if l.is_empty() {
            bail!("{}: line {}: empty line (one label per line)", path.display(), i + 1);
        }
        if known.is_some_and(|k| !k.iter().any(|x| x == l)) {
            bail!("{}: line {}: unknown label {l:?}", path.display(), i + 1);
        }
        out.push(l.to_string());
    }
    Ok(out)
}

pub fn score(a: ScoreArgs) -> Result<()> {
    if let ScoreTask::Semeval = a.task {
        let key = semeval::read(&a.gold, None)?;
        let answer = semeval::read(&a.pred, Some(&key))?;
        let s = semeval::score(&key, &answer);
        println!("{}", serde_json::to_string_pretty(&s)?);
        let o = &s.official;
        eprintln!(
            "official (9+1-way, directionality taken into account): macro-F1 {:.2}%",
            100.0 * o.macro_avg.f1
        );
        return Ok(());
    }
    let known = match &a.labels {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            let m: std::collections::BTreeMap<String, usize> = serde_json::from_str(&text)
                .with_context(|| format!("{}: a {{label: id}} map", p.display()))?;
            Some(m.into_keys().collect::<Vec<_>>())
        }
        None => None,
    };
    let gold = label_lines(&a.gold, known.as_deref())?;
    let pred = label_lines(&a.pred, known.as_deref())?;
    if gold.len() != pred.len() {
        let line = gold.len().min(pred.len()) + 1;
        bail!(
            "{} has {} labels and {} has {}: the files differ from line {line}",
            a.gold.display(),
            gold.len(),
            a.pred.display(),
            pred.len()
        );
    }
    let g: Vec<&str> = gold.iter().map(String::as_str).collect();
    let p: Vec<&str> = pred.iter().map(String::as_str).collect();
    let v = match a.task {
        ScoreTask::Tacred => {
            let m = tacred::micro(&g, &p, &a.negative);
            serde_json::json!({"precision": m.p, "recall": m.r, "f1": m.f1, "rows": g.len()})
        }
        _ => serde_json::json!({"accuracy": tacred::accuracy(&g, &p), "rows": g.len()}),
    };
    println!("{v}");
    Ok(())
}

#[derive(clap::Args)]
pub struct ReportArgs {
    /// Fine-tuning run directories.
    #[arg(required = true, num_args = 1..)]
    runs: Vec<PathBuf>,
    /// Also draw the results as a PNG bar chart (next to the paper's numbers).
    #[arg(long)]
    png: Option<PathBuf>,
}

pub fn report_cmd(a: ReportArgs) -> Result<()> {
    let mut runs = Vec::new();
    for r in &a.runs {
        let name =
            r.file_name().map_or(r.display().to_string(), |f| f.to_string_lossy().to_string());
        runs.push((name, report::load(r)?));
    }
    println!("{}", report::markdown(&runs));
    if let Some(p) = &a.png {
        trainer::finetune::plot::bars(&runs, p)?;
        eprintln!("wrote {}", p.display());
    }
    Ok(())
}
