//! `trainer`: the command-line entry point. Parses flags, sets up logging and the device, and
//! hands over to the library.
use std::path::PathBuf;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use trainer::fewshot::{self, data::FewRel, proto::Distance};
use trainer::pretrain::config::{Method, PretrainConfig};
use trainer::pretrain::input::Markers;
use trainer::pretrain::train;
use trainer::{bert, device, embed, run_dir, tokenize::WordPieces};

mod cli_io;
mod extract_cmd;
mod finetune_cmd;

#[derive(Parser)]
#[command(
    name = "trainer",
    version,
    about = "Relation-encoder pre-training and evaluation on libtorch"
)]
struct Cli {
    /// CPU threads for libtorch's intra-op parallelism (default: libtorch's choice).
    #[arg(long, global = true)]
    threads: Option<i32>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print mean-pooled, L2-normalised sentence embeddings' pairwise cosines.
    Embed {
        /// A Hugging Face BERT checkpoint directory (config.json, model.safetensors, tokenizer).
        #[arg(long)]
        model: PathBuf,
        /// cpu, cuda or cuda:N.
        #[arg(long, default_value = "cpu", value_parser = device::parse_device)]
        device: tch::Device,
        /// Also print each embedding's first dimensions.
        #[arg(long)]
        show_vectors: bool,
        /// Matrix products in fp32, or in bf16 with fp32 weights (as pre-training's autocast).
        #[arg(long, value_enum, default_value = "fp32")]
        precision: EmbedPrecision,
        /// Print one JSON line per sentence with its whole embedding instead of the cosines
        /// (what scripts/gpu-check.sh compares with transformers).
        #[arg(long)]
        json: bool,
        /// Two or more sentences.
        #[arg(required = true, num_args = 1..)]
        sentences: Vec<String>,
    },
    /// Write a randomly initialised BERT checkpoint (Hugging Face layout) from a config.json and
    /// a tokenizer: the paper's model shape (configs/bert-base-uncased.json) for speed and
    /// device checks without its 440 MB of weights.
    InitModel {
        /// A BERT config.json; its vocab_size must equal the tokenizer's.
        #[arg(long)]
        config: PathBuf,
        /// A model directory whose tokenizer files (tokenizer.json, vocab.txt, ...) are copied.
        #[arg(long)]
        tokenizer: PathBuf,
        /// The new model directory (must not exist or be empty).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 0)]
        seed: i64,
    },
    /// Print the libtorch version, thread count and the CUDA devices it sees.
    Info,
    /// CP or MTB pre-training on a dataset directory, into a run directory (resumable).
    Pretrain(PretrainArgs),
    /// Few-shot relation classification on FewRel (prototypical networks, N-way K-shot).
    #[command(subcommand)]
    Fewshot(FewshotCmd),
    /// Fine-tune a relation classifier (TACRED, SemEval, Wiki80, ChemProt) over seeds.
    Finetune(finetune_cmd::FinetuneArgs),
    /// Label sentences with a fine-tuned model (JSON lines or marked raw text in, JSON lines out).
    Predict(finetune_cmd::PredictArgs),
    /// Relation extraction from plain text: mentions linked to Wikidata, every pair classified,
    /// one JSON line per fact (README: "Relation extraction from text").
    Extract(extract_cmd::ExtractArgs),
    /// Score a prediction file against a gold file (SemEval official, TACRED micro-F1, accuracy).
    Score(finetune_cmd::ScoreArgs),
    /// Fine-tuning results of run directories as a markdown table next to the paper's numbers.
    Report(finetune_cmd::ReportArgs),
    /// Time one CP training step on fixed inputs (used by `make bench-train`).
    BenchStep {
        #[arg(long)]
        model: PathBuf,
        /// JSON written by bench/cp_step_inputs.py.
        #[arg(long)]
        inputs: PathBuf,
        #[arg(long, default_value_t = 10)]
        steps: usize,
        /// `fixed` pads every sequence to 64 (as the original code), `longest` to the batch's
        /// longest sequence.
        #[arg(long, default_value = "longest")]
        pad: String,
        #[arg(long, default_value = "cpu", value_parser = device::parse_device)]
        device: tch::Device,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum EmbedPrecision {
    Fp32,
    Bf16,
}

/// `trainer init-model`: random weights (seeded) in the layout `bert::load` and transformers read.
fn init_model(
    config: &std::path::Path,
    tokenizer: &std::path::Path,
    out: &std::path::Path,
    seed: i64,
) -> Result<()> {
    let cfg = bert::BertConfig::from_file(config)?;
    let tok = WordPieces::from_dir(tokenizer)?;
    if tok.vocab_size() as i64 != cfg.vocab_size {
        bail!(
            "{}: vocab_size {} but the tokenizer in {} has {} entries",
            config.display(),
            cfg.vocab_size,
            tokenizer.display(),
            tok.vocab_size()
        );
    }
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        bail!("{} exists and is not empty; choose a new directory", out.display());
    }
    tch::manual_seed(seed);
    let vs = tch::nn::VarStore::new(tch::Device::Cpu);
    let _model = bert::BertModel::new(&vs.root(), &cfg, false);
    bert::save(&vs, &cfg, &[], out)?;
    run_dir::copy_tokenizer(tokenizer, out)?;
    let params: i64 = vs.variables().values().map(|t| t.numel() as i64).sum();
    eprintln!("{}: {} parameters, seed {seed}", out.display(), params);
    Ok(())
}

#[derive(clap::Args)]
struct PretrainArgs {
    /// Objective (overrides the config file's `method`).
    #[arg(long, value_enum)]
    method: Option<Method>,
    /// Dataset directory with relation_instances.parquet, relations.parquet and pairs.parquet
    /// (from `pipeline dataset` or `pipeline import`). Taken from the run directory on --resume.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Starting model: a Hugging Face BERT directory. Taken from the run directory on --resume.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Run directory (config, metrics.jsonl, checkpoints).
    #[arg(long)]
    out: PathBuf,
    /// TOML file with configuration keys (see configs/pretrain-*.toml); defaults are the paper's.
    #[arg(long)]
    config: Option<PathBuf>,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu", value_parser = device::parse_device)]
    device: tch::Device,
    /// Continue from the run directory's latest checkpoint with its saved configuration.
    #[arg(long)]
    resume: bool,
    /// Optimizer steps (overrides the config's `steps`).
    #[arg(long)]
    steps: Option<u64>,
    /// Seed (overrides the config's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Stop with a checkpoint at this step (the schedule still targets `steps`): resume later.
    #[arg(long)]
    stop_at: Option<u64>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(clap::Args)]
struct EpisodeArgs {
    /// Classes per episode.
    #[arg(long, default_value_t = 5)]
    n: usize,
    /// Support instances per class.
    #[arg(long, default_value_t = 1)]
    k: usize,
    /// Query instances per class.
    #[arg(long, default_value_t = 1)]
    q: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Prototype scoring: dot product (the paper's code) or negative squared distance.
    #[arg(long, value_enum, default_value = "dot")]
    distance: Distance,
    #[arg(long, default_value_t = 128)]
    max_len: usize,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu", value_parser = device::parse_device)]
    device: tch::Device,
    /// Model: a Hugging Face BERT directory, or a run directory (its best/ or latest checkpoint).
    #[arg(long)]
    model: PathBuf,
    /// Output directory (results.json / metrics.jsonl, best/).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Subcommand)]
enum FewshotCmd {
    /// Evaluate a frozen encoder on episodes of a FewRel file (cached representations).
    Eval {
        /// FewRel JSON (e.g. val_wiki.json).
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value_t = 10_000)]
        episodes: usize,
        /// Also re-encode the first this-many episodes (the toolkit's way): checks equal
        /// predictions and times it against the cached evaluation.
        #[arg(long, default_value_t = 100)]
        reencode_episodes: usize,
        /// Several N-K settings from one encoding of the file, e.g. `5-1,5-5,10-1,10-5`
        /// (overrides --n/--k).
        #[arg(long, value_delimiter = ',')]
        settings: Vec<String>,
        #[command(flatten)]
        ep: EpisodeArgs,
    },
    /// Train the encoder on episodes of a training file, validating on another; the best
    /// checkpoint goes to OUT/best/.
    Train {
        /// FewRel-format training file.
        #[arg(long)]
        data: PathBuf,
        /// FewRel-format validation file.
        #[arg(long)]
        val: PathBuf,
        #[arg(long, default_value_t = 10_000)]
        iterations: usize,
        #[arg(long, default_value_t = 4)]
        episodes_per_batch: usize,
        #[arg(long, default_value_t = 2e-5)]
        lr: f64,
        #[arg(long, default_value_t = 1000)]
        val_every: usize,
        #[arg(long, default_value_t = 1000)]
        val_episodes: usize,
        #[arg(long)]
        quiet: bool,
        #[command(flatten)]
        ep: EpisodeArgs,
    },
}

fn fewshot(cmd: FewshotCmd) -> Result<()> {
    match cmd {
        FewshotCmd::Eval { data, episodes: count, reencode_episodes, settings, ep } => {
            let device = ep.device;
            let model_dir = run_dir::resolve_model(&ep.model)?;
            let set = FewRel::read(&data)?;
            let mut nk = Vec::new();
            for s in &settings {
                let (n, k) = s
                    .split_once('-')
                    .and_then(|(n, k)| Some((n.parse::<usize>().ok()?, k.parse::<usize>().ok()?)))
                    .with_context(|| format!("--settings {s}: expected N-K such as 5-1"))?;
                nk.push((n, k));
            }
            if nk.is_empty() {
                nk.push((ep.n, ep.k));
            }
            let loaded = bert::load(&model_dir, device)
                .with_context(|| format!("loading {}", model_dir.display()))?;
            let tok = WordPieces::from_dir(&model_dir)?;
            let enc = fewshot::eval::Encoder {
                model: &loaded.model,
                tok: &tok,
                markers: Markers::from_vocab(&tok)?,
                max_len: ep.max_len,
                device,
            };
            let t = std::time::Instant::now();
            let reps = enc.encode_all(&set, 64)?;
            let encode_s = t.elapsed().as_secs_f64();
            std::fs::create_dir_all(&ep.out)?;
            run_dir::record_invocation(&ep.out, device)?;
            for (n, k) in nk {
                let eps = fewshot::episode::episodes(&set.sizes(), n, k, ep.q, count, ep.seed)
                    .map_err(|m| anyhow::anyhow!("{}: {m}", data.display()))?;
                let (mut report, per_episode) = fewshot::eval::frozen_report(
                    &enc,
                    &set,
                    &reps,
                    encode_s,
                    &eps,
                    k,
                    ep.distance,
                    reencode_episodes,
                )?;
                report["setting"] = format!("{n}-way {k}-shot").into();
                report["data"] = data.display().to_string().into();
                report["model"] = model_dir.display().to_string().into();
                report["seed"] = ep.seed.into();
                // One accuracy per line, in episode order: episodes are the same for every
                // model given the data and seed, so two runs can be compared pair by pair.
                let per_name = format!("episodes-{n}way{k}shot.txt");
                let lines: String = per_episode.iter().map(|a| format!("{a}\n")).collect();
                run_dir::write_atomic(&ep.out.join(&per_name), &lines)?;
                report["per_episode_file"] = per_name.into();
                let name = format!("results-{n}way{k}shot.json");
                run_dir::write_atomic(
                    &ep.out.join(&name),
                    &serde_json::to_string_pretty(&report)?,
                )?;
                println!("{report}");
            }
        }
        FewshotCmd::Train {
            data,
            val,
            iterations,
            episodes_per_batch,
            lr,
            val_every,
            val_episodes,
            quiet,
            ep,
        } => {
            let device = ep.device;
            let model_dir = run_dir::resolve_model(&ep.model)?;
            let cfg = fewshot::train::FewshotTrain {
                n: ep.n,
                k: ep.k,
                q: ep.q,
                iterations,
                episodes_per_batch,
                lr,
                max_len: ep.max_len,
                val_every,
                val_episodes,
                seed: ep.seed,
                distance: ep.distance,
            };
            let summary = fewshot::train::train(
                &model_dir,
                &FewRel::read(&data)?,
                &FewRel::read(&val)?,
                &cfg,
                &ep.out,
                device,
                !quiet,
            )?;
            println!("{}", serde_json::to_string(&summary)?);
        }
    }
    Ok(())
}

fn pretrain(args: PretrainArgs) -> Result<()> {
    let device = args.device;
    let saved = if args.resume { train::saved_run(&args.out) } else { None };
    if args.resume && saved.is_none() && !args.out.join("config.toml").exists() {
        eprintln!("note: {} has no saved run; starting a new one", args.out.display());
    }
    let mut config = match (&args.config, &saved) {
        (Some(path), _) => PretrainConfig::from_file(path)?,
        (None, Some((saved, _))) => saved.clone(),
        (None, None) => PretrainConfig::default(),
    };
    if let Some(m) = args.method {
        config.method = m;
    }
    if let Some(s) = args.steps {
        config.steps = s;
    }
    if let Some(s) = args.seed {
        config.seed = s;
    }
    if let Some((saved, _)) = &saved {
        if *saved != config {
            bail!(
                "{}: the configuration differs from the one this run was started with; \
                 resume without --config/--method/--steps/--seed, or start a new --out\n\
                 saved:\n{}\nnow:\n{}",
                args.out.join("config.toml").display(),
                saved.to_toml(),
                config.to_toml()
            );
        }
    }
    let pick = |given: Option<PathBuf>, saved: Option<PathBuf>, flag: &str| {
        given.or(saved).with_context(|| format!("--{flag} is required for a new run"))
    };
    let paths = train::RunPaths {
        data: pick(args.data, saved.as_ref().map(|s| s.1.data.clone()), "data")?,
        model: pick(args.model, saved.as_ref().map(|s| s.1.model.clone()), "model")?,
        out: args.out.clone(),
    };
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) {
                eprintln!("second interrupt: exiting without a checkpoint");
                std::process::exit(130);
            }
            eprintln!("interrupt: finishing this step and saving a checkpoint (again to abort)");
        })
        .context("installing the Ctrl-C handler")?;
    }
    let opts = train::RunOptions {
        device,
        resume: args.resume,
        stop_at: args.stop_at,
        progress: !args.quiet,
    };
    let outcome = train::run(&config, &paths, &opts, &stop)
        .with_context(|| format!("pre-training into {}", paths.out.display()))?;
    let last = run_dir::checkpoints(&paths.out).pop().map(|(_, p)| p);
    let where_ = last.map(|p| p.display().to_string()).unwrap_or_default();
    match outcome {
        train::Outcome::Finished { step } => println!("finished at step {step}: {where_}"),
        train::Outcome::Stopped { step } => {
            println!("stopped at step {step}: {where_} (continue with --resume)")
        }
        train::Outcome::Interrupted { step } => {
            eprintln!("interrupted at step {step}: {where_} (continue with --resume)");
            std::process::exit(130);
        }
    }
    Ok(())
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Some(n) = cli.threads {
        tch::set_num_threads(n);
    }
    match cli.command {
        Command::Embed { model, device, show_vectors, precision, json, sentences } => {
            let mut loaded = bert::load(&model, device)
                .with_context(|| format!("loading the model in {}", model.display()))?;
            if precision == EmbedPrecision::Bf16 {
                loaded.model.set_autocast(Some(tch::Kind::BFloat16));
            }
            let tok = WordPieces::from_dir(&model)?;
            let refs: Vec<&str> = sentences.iter().map(String::as_str).collect();
            let emb = embed::embed(&loaded.model, &tok, &refs, device)?;
            if json {
                for (i, s) in refs.iter().enumerate() {
                    let v: Vec<f32> = Vec::try_from(emb.get(i as i64))?;
                    println!("{}", serde_json::json!({"sentence": s, "embedding": v}));
                }
                return Ok(());
            }
            let cos = embed::cosine_matrix(&emb);
            let n = refs.len() as i64;
            for i in 0..n {
                for j in (i + 1)..n {
                    let c = cos.double_value(&[i, j]);
                    println!("{c:.4}\t{}\t{}", refs[i as usize], refs[j as usize]);
                }
            }
            if show_vectors {
                for i in 0..n {
                    let v: Vec<f32> = Vec::try_from(emb.get(i).narrow(0, 0, 8))?;
                    println!("{i}\t{v:?}");
                }
            }
        }
        Command::Info => {
            println!("libtorch {}", trainer::LIBTORCH_VERSION);
            println!("cpu threads {}", tch::get_num_threads());
            println!("cuda available {}", tch::Cuda::is_available());
            println!("cuda devices {}", tch::Cuda::device_count());
            println!("cudnn available {}", tch::Cuda::cudnn_is_available());
        }
        Command::InitModel { config, tokenizer, out, seed } => {
            init_model(&config, &tokenizer, &out, seed)?
        }
        Command::Pretrain(args) => pretrain(args)?,
        Command::Fewshot(cmd) => fewshot(cmd)?,
        Command::Finetune(a) => finetune_cmd::finetune(a)?,
        Command::Predict(a) => finetune_cmd::predict(a)?,
        Command::Extract(a) => extract_cmd::extract(a)?,
        Command::Score(a) => finetune_cmd::score(a)?,
        Command::Report(a) => finetune_cmd::report_cmd(a)?,
        Command::BenchStep { model, inputs, steps, pad, device } => {
            let width = match pad.as_str() {
                "fixed" => Some(64),
                "longest" => None,
                other => bail!("--pad {other}: expected fixed or longest"),
            };
            let precision = trainer::pretrain::config::Precision::Auto;
            let rate = trainer::pretrain::bench::cp_step(
                &model, &inputs, steps, width, device, precision,
            )?;
            println!(
                "{}",
                serde_json::json!({"impl": "wikirel", "pad": pad, "seqs_per_s": rate,
                                   "device": device::describe(device)})
            );
        }
    }
    Ok(())
}
