//! `pipeline`: the dataset stages as subcommands. Flags are parsed and validated here, then
//! handed to the library as an options struct.
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use pipeline::scope::ItemScope;
use pipeline::settings::{DatasetSettings, LinkSettings, WikidataSettings, WikipediaSettings};
use pipeline::{dataset, link, wikidata, wikipedia};

/// mimalloc instead of glibc malloc: the stages allocate many short-lived rows on all cores,
/// and glibc's arenas spent more than half of `link`'s CPU time (perf, docs/SCALE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option: its index in mimalloc 3's `mi_option_e` (libmimalloc-sys
/// =0.1.49, pinned) and the value it reads as by default there, 1000 ms (the header comment
/// says 10; `mi_option_get` reads 1000).
const MI_OPTION_PURGE_DELAY: i32 = 15;
const MI_PURGE_DELAY_DEFAULT: std::os::raw::c_long = 1000;

/// Keeps freed memory for reuse instead of giving it back to the OS after a delay. The
/// `wikipedia` stage frees and allocates page-sized strings all the time, and the kernel
/// zeroing pages it had just given back was 8% of the stage's CPU (perf, the real 206-page
/// dump x20, 1 thread); the stage's working set is small and bounded, so holding its high-water
/// mark costs ~10 MB. The option is set only if it reads as that default, so a mimalloc whose
/// options were renumbered is left alone (and `MIMALLOC_PURGE_DELAY` set by a user wins).
fn keep_freed_memory() {
    // SAFETY: mi_option_get/set only read and write mimalloc's option table.
    unsafe {
        if libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) == MI_PURGE_DELAY_DEFAULT {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
        }
    }
}

/// Marks this thread, and the threads it starts from now on, as a batch job (`SCHED_BATCH`):
/// the kernel then preempts it less eagerly when its other threads wake. The `wikipedia`
/// stage's cleaner, writer and reader threads hand work to each other through channels; with
/// fewer cores than busy threads, wakeup preemption switched them often enough that each
/// evicted the others' tables from the shared cache. Pinned to one core, `SCHED_BATCH` took
/// 0.78x and 0.92x the CPU (paired runs in either order, the real dump x20; issue 19); on 2
/// cores, multistream, no measurable change (0.91x and 1.11x the wall time in the two orders).
/// Any user may move a normal thread to `SCHED_BATCH`; if the call fails nothing changes.
#[cfg(target_os = "linux")]
fn run_as_batch_job() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: sched_setscheduler reads `param` and changes only this thread's policy.
    let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) };
    if rc != 0 {
        tracing::debug!("SCHED_BATCH not set: {}", std::io::Error::last_os_error());
    }
}

#[cfg(not(target_os = "linux"))]
fn run_as_batch_job() {}

/// Turns transparent huge pages off for this process (`PR_SET_THP_DISABLE`; it overrides the
/// `MADV_HUGEPAGE` mimalloc gives its arenas). On this project's VM the first touch of a 2 MiB
/// huge page costs ~2.5 ms per MB against ~0.4 ms for 4 KiB pages (`bench/thp_probe.py`; a
/// huge page freed and touched again within a process costs 0.13 ms, so the cost is the host
/// backing fresh memory), and that first touch of the `wikipedia` stage's ~200 MB working set
/// was 15% of its samples (perf, the real dump x20, 1 thread). The stage's buffers are small
/// and reused, so the TLB reach huge pages buy is worth little there: paired runs took 0.82x
/// the CPU on x20 and ~55 MB less peak RSS (issue 19). It is a fixed cost per process, ~0.5 s:
/// nothing at a full dump's scale. Only for this stage: `link`'s and `wikidata`'s tables of
/// several GB are probed at random, where huge pages spare TLB misses. If the call fails
/// nothing changes.
#[cfg(target_os = "linux")]
fn no_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE sets a flag of this process's memory map and reads no memory.
    let rc = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    if rc != 0 {
        tracing::debug!("PR_SET_THP_DISABLE not set: {}", std::io::Error::last_os_error());
    }
}

#[cfg(not(target_os = "linux"))]
fn no_huge_pages() {}

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

/// The inputs, output and page shard of `link` and `prior`, which cut the same page ranges.
#[derive(clap::Args)]
struct PageArgs {
    /// Output directories of `pipeline wikipedia` (several for sharded runs, in order).
    #[arg(long, required = true, num_args = 1..)]
    sentences: Vec<PathBuf>,
    /// Output directory of `pipeline wikidata`.
    #[arg(long)]
    wikidata: PathBuf,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    /// Only shard I of --of N (contiguous ranges of pages, the same for `prior` and `link`);
    /// `dataset --link` then takes the N link shard directories in order.
    #[arg(long, requires = "of")]
    shard: Option<usize>,
    /// Number of shards (with `link --dry-run`, the number of tasks to plan).
    #[arg(long)]
    of: Option<usize>,
}

impl PageArgs {
    /// The shard (I, N), checked: `--of` needs `--shard` except where `allow_of_alone` (a
    /// dry run plans N tasks and runs none).
    fn shard(&self, allow_of_alone: bool) -> Result<Option<pipeline::shard::Shard>> {
        if self.of.is_some() && self.shard.is_none() && !allow_of_alone {
            anyhow::bail!("--of needs --shard I (or, for `link`, --dry-run)");
        }
        pipeline::shard::Shard::from_flags(self.shard, self.of).map_err(anyhow::Error::msg)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Stream a Wikidata JSON dump into entities, claims and properties tables.
    Wikidata {
        /// The dump: plain JSON, .gz or .bz2 (detected by content); `-` reads standard input,
        /// e.g. `lbzip2 -dc latest-all.json.bz2 | pipeline wikidata --input - ...` to decode the
        /// single-stream .bz2 on all cores.
        #[arg(long)]
        input: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Parser threads (default: all cores). Decompression runs on one more thread.
        #[arg(long)]
        threads: Option<usize>,
        #[command(flatten)]
        settings: WikidataSettings,
    },
    /// Parse a Wikipedia XML dump into pages, redirects and clean sentences with anchor spans.
    Wikipedia {
        /// The dump: plain XML, single-stream .bz2, or multistream .bz2 (with --index).
        #[arg(long)]
        input: PathBuf,
        /// The multistream index (`offset:page_id:title` lines, .txt or .txt.bz2): decodes
        /// streams on all cores and enables --shard.
        #[arg(long)]
        index: Option<PathBuf>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Process only shard I of --of N (contiguous ranges of streams; needs --index).
        #[arg(long, requires = "of", requires = "index")]
        shard: Option<usize>,
        /// Number of shards.
        #[arg(long, requires = "shard")]
        of: Option<usize>,
        #[command(flatten)]
        settings: WikipediaSettings,
    },
    /// Link anchors and unanchored mentions of the sentences to Wikidata items.
    Link {
        #[command(flatten)]
        pages: PageArgs,
        #[command(flatten)]
        settings: LinkSettings,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// A directory with `anchor_prior.parquet` (from `pipeline prior` + `prior-merge`): a
        /// shard then reads only its own pages instead of counting every page's anchors.
        #[arg(long)]
        prior: Option<PathBuf>,
        /// With --of N: print the commands of a run split into N tasks under --out (N prior
        /// tasks, one merge, N link tasks, the dataset merge) and exit.
        #[arg(long, requires = "of")]
        dry_run: bool,
    },
    /// Count the anchor prior (anchor text -> item) of one shard of pages (or all) into
    /// anchor_prior.parquet; `prior-merge` adds shards up for `link --prior`.
    Prior {
        #[command(flatten)]
        pages: PageArgs,
        /// Linking targets, as for `link --kb`.
        #[arg(long, default_value_t)]
        kb: ItemScope,
    },
    /// Add up `pipeline prior` outputs into one anchor_prior.parquet.
    PriorMerge {
        /// `pipeline prior` output directories.
        #[arg(required = true, num_args = 1..)]
        priors: Vec<PathBuf>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// Run every stage from one TOML config, skipping stages that are complete and up to date
    /// (an interrupted run resumes). See configs/sample.toml.
    Run {
        /// The config file (paths in it are relative to its folder).
        #[arg(long)]
        config: PathBuf,
    },
    /// Import FewRel JSON or OpenNRE/Wiki80 JSON lines into the dataset layout (for
    /// pre-training on your own data).
    Import {
        /// Input format.
        #[arg(long, value_enum)]
        format: pipeline::import::Format,
        /// Input files.
        #[arg(required = true, num_args = 1..)]
        files: Vec<PathBuf>,
        /// Output directory (relation_instances.parquet, relations.parquet, pairs.parquet, ...).
        #[arg(long)]
        out: PathBuf,
        /// Keep relations with at least this many sentences.
        #[arg(long, default_value_t = pipeline::dataset::DEFAULT_MIN_BAG)]
        min_bag: usize,
    },
    /// Write a dataset in the original Python implementation's JSON formats (CP/, MTB/).
    ExportCp {
        /// A `pipeline dataset` output directory.
        #[arg(long)]
        dataset: PathBuf,
        /// Output directory (CP/cpdata.json, CP/rel2scope.json, MTB/mtbdata.json, ...).
        #[arg(long)]
        out: PathBuf,
    },
    /// Diagnostic: run the NER-style mention detector alone and write its spans (JSON lines).
    Detect {
        /// Output directory of `pipeline wikipedia`.
        #[arg(long)]
        sentences: PathBuf,
        /// Output file (JSON lines: page_id, sentence_index, spans [[char_start, char_end, type]]).
        #[arg(long)]
        out: PathBuf,
    },
    /// Turn linked sentences and claims into relation bags (the dataset).
    Dataset {
        /// Output directory of `pipeline link`, or its N shard directories in order.
        #[arg(long, required = true, num_args = 1..)]
        link: Vec<PathBuf>,
        /// The `wikipedia` output directories that `link` read (default: those it recorded).
        #[arg(long, num_args = 1..)]
        sentences: Vec<PathBuf>,
        /// Output directory of `pipeline wikidata`.
        #[arg(long)]
        wikidata: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        settings: DatasetSettings,
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
        Command::Wikidata { input, out, threads, settings } => {
            let mut opts = wikidata::Options::new(&input, &out);
            settings.apply(&mut opts, ItemScope::default());
            if let Some(t) = threads {
                opts.threads = t.max(1);
            }
            let stats = wikidata::run(&opts)
                .with_context(|| format!("stage wikidata failed on {}", input.display()))?;
            println!("{}", wikidata::summary(&stats, &out));
        }
        Command::Wikipedia { input, index, out, threads, shard, of, settings } => {
            keep_freed_memory();
            run_as_batch_job();
            no_huge_pages();
            let mut opts = wikipedia::Options::new(&input, &out);
            opts.index = index;
            opts.shard =
                pipeline::shard::Shard::from_flags(shard, of).map_err(anyhow::Error::msg)?;
            settings.apply(&mut opts);
            if let Some(t) = threads {
                opts.threads = t.max(1);
            }
            let stats = wikipedia::run(&opts)
                .with_context(|| format!("stage wikipedia failed on {}", input.display()))?;
            println!("{}", wikipedia::summary(&stats, &out));
        }
        Command::Link { pages, settings, threads, prior, dry_run } => {
            let shard = pages.shard(dry_run)?;
            let PageArgs { sentences, wikidata, out, of, .. } = pages;
            if dry_run {
                let flags = settings.to_flags();
                print!("{}", link::task_list(&sentences, &wikidata, &out, of.unwrap_or(1), &flags));
                return Ok(());
            }
            let mut opts = link::Options::new(&sentences, &wikidata, &out);
            opts.prior = prior;
            opts.shard = shard;
            settings.apply(&mut opts);
            if let Some(t) = threads {
                opts.threads = t.max(1);
            }
            let stats = link::run(&opts).context("stage link failed")?;
            println!("{}", link::summary(&stats, &out));
        }
        Command::Prior { pages, kb } => {
            let shard = pages.shard(false)?;
            let PageArgs { sentences, wikidata, out, .. } = pages;
            let mut o = link::PriorOptions::new(&sentences, &wikidata, &out);
            o.shard = shard;
            o.kb = kb;
            let s = link::run_prior(&o).context("stage prior failed")?;
            println!(
                "prior: {} (surface, item) rows, {} surfaces -> {}",
                s.rows,
                s.surfaces,
                out.display()
            );
        }
        Command::PriorMerge { priors, out } => {
            let s = link::merge_priors(&priors, &out).context("prior-merge failed")?;
            println!(
                "prior-merge: {} inputs, {} rows, {} surfaces -> {}",
                priors.len(),
                s.rows,
                s.surfaces,
                out.display()
            );
        }
        Command::Run { config } => {
            let cfg = pipeline::run::load(&config)?;
            pipeline::run::run(&cfg, |stage, summary| {
                if summary.contains('\n') {
                    println!("{summary}");
                } else {
                    println!("{stage}: {summary}");
                }
            })
            .with_context(|| format!("run {}", config.display()))?;
        }
        Command::Import { format, files, out, min_bag } => {
            let stats =
                pipeline::import::run(format, &files, &out, min_bag).context("import failed")?;
            println!("{}", dataset::summary(&stats, &out));
        }
        Command::ExportCp { dataset, out } => {
            let (cp, mtb) = pipeline::export_cp::run(&dataset, &out)
                .with_context(|| format!("exporting {}", dataset.display()))?;
            println!("export-cp: {cp} CP sentences, {mtb} MTB sentences -> {}", out.display());
        }
        Command::Detect { sentences, out } => {
            let (n, spent) = link::detect::run(&sentences, &out)?;
            let secs = spent.as_secs_f64().max(1e-9);
            println!(
                "detect: {n} sentences in {secs:.3} s of detector time ({:.0} sentences/s, one core)",
                n as f64 / secs
            );
        }
        Command::Dataset { link, sentences, wikidata, out, settings } => {
            let sentences = if sentences.is_empty() {
                let stats = link[0].join("stats.json");
                let text = std::fs::read_to_string(&stats).with_context(|| {
                    format!("reading {} (or pass --sentences)", stats.display())
                })?;
                let v: serde_json::Value = serde_json::from_str(&text)?;
                serde_json::from_value::<Vec<PathBuf>>(v["sentence_dirs"].clone())?
            } else {
                sentences
            };
            let mut opts = dataset::Options::new(&link, &sentences, &wikidata, &out);
            settings.apply(&mut opts);
            let stats = dataset::run(&opts).context("stage dataset failed")?;
            println!("{}", dataset::summary(&stats, &out));
        }
    }
    Ok(())
}
