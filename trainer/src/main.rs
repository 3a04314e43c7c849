//! `trainer`: the command-line entry point. Parses flags, sets up logging and the device, and
//! hands over to the library.
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use trainer::{bert, device, embed, tokenize::WordPieces};

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
    }
    Ok(())
}
