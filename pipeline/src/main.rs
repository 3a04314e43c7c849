//! `pipeline`: the dataset stages as subcommands. Flags are parsed and validated here, then
//! handed to the library as an options struct.
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use pipeline::wikidata::{self, relations::RelationsArg};

#[derive(Parser)]
#[command(
    name = "pipeline",
    version,
    about = "Build the wikirel relation dataset from Wikipedia and Wikidata dumps",
    long_about = "Build the wikirel relation dataset from Wikipedia and Wikidata dumps.\n\n\
        Each stage reads the dumps or the previous stages' Parquet tables and writes its own \
        tables into --out; outputs appear only when a stage completes."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Stream a Wikidata JSON dump into entities, claims and properties tables.
    Wikidata {
        /// The dump: plain JSON, .gz or .bz2 (detected by content).
        #[arg(long)]
        input: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Relation set: `bundled` (FewRel's 744 properties), `all`, or a file (pid2name JSON
        /// or one property id per line).
        #[arg(long, default_value = "bundled")]
        relations: RelationsArg,
        /// Parser threads (default: all cores). Decompression runs on one more thread.
        #[arg(long)]
        threads: Option<usize>,
        /// Stop with an error after this many malformed lines.
        #[arg(long, default_value_t = 1000)]
        max_errors: u64,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match Cli::parse().command {
        Command::Wikidata { input, out, relations, threads, max_errors } => {
            let mut opts = wikidata::Options::new(&input, &out);
            opts.relations = relations;
            opts.max_errors = max_errors;
            if let Some(t) = threads {
                opts.threads = t.max(1);
            }
            let stats = wikidata::run(&opts)
                .with_context(|| format!("stage wikidata failed on {}", input.display()))?;
            println!("{}", wikidata::summary(&stats, &out));
        }
    }
    Ok(())
}
