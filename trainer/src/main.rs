//! `trainer`: the command-line entry point. Parses flags, sets up logging and the device, and
//! hands over to the library.
use std::path::PathBuf;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use trainer::pretrain::config::{Method, PretrainConfig};
use trainer::pretrain::train;
use trainer::{bert, device, embed, run_dir, tokenize::WordPieces};

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
        #[arg(long, default_value = "cpu")]
        device: String,
        /// Also print each embedding's first dimensions.
        #[arg(long)]
        show_vectors: bool,
        /// Two or more sentences.
        #[arg(required = true, num_args = 1..)]
        sentences: Vec<String>,
    },
    /// Print the libtorch version, thread count and the CUDA devices it sees.
    Info,
    /// CP or MTB pre-training on a dataset directory, into a run directory (resumable).
    Pretrain(PretrainArgs),
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
        #[arg(long, default_value = "cpu")]
        device: String,
    },
}

#[derive(clap::Args)]
struct PretrainArgs {
    /// Objective (overrides the config file's `method`).
    #[arg(long, value_enum)]
    method: Option<Method>,
    /// Dataset directory with sentences.parquet, relations.parquet and pairs.parquet
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
    #[arg(long, default_value = "cpu")]
    device: String,
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

fn pretrain(args: PretrainArgs) -> Result<()> {
    let device = device::parse_device(&args.device)?;
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
        Command::Embed { model, device, show_vectors, sentences } => {
            let device = device::parse_device(&device)?;
            let loaded = bert::load(&model, device)
                .with_context(|| format!("loading the model in {}", model.display()))?;
            let tok = WordPieces::from_dir(&model)?;
            let refs: Vec<&str> = sentences.iter().map(String::as_str).collect();
            let emb = embed::embed(&loaded.model, &tok, &refs, device)?;
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
        Command::Pretrain(args) => pretrain(args)?,
        Command::BenchStep { model, inputs, steps, pad, device } => {
            let device = device::parse_device(&device)?;
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
