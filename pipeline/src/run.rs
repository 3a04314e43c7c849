//! `pipeline run --config FILE`: every stage for real dumps from one TOML file, skipping stages
//! whose outputs are complete and up to date, so a crashed or interrupted run resumes where it
//! stopped.
//!
//! A stage is up to date when its directory holds `.done.json` with the same fingerprint as
//! now: its settings, the size and modification time of its input files, and the fingerprints
//! of the stages it reads; written by the same `pipeline` executable (its size and
//! modification time: a rebuilt or upgraded wikirel reruns every stage); and with its output
//! files as the marker recorded them (size and modification time to the nanosecond: a stage
//! rerun by hand, or an output edited, is not taken for this run's). The marker is written only
//! after the stage finished (its outputs are renamed into place before), so a half-run stage is
//! never skipped.
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::StageError;
use crate::{dataset, link, wikidata, wikipedia};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Root of the stage outputs: `<out>/wikidata`, `<out>/wikipedia`, `<out>/link`, `<out>/dataset`.
    pub out: PathBuf,
    #[serde(default)]
    pub threads: Option<usize>,
    pub wikidata: WikidataConfig,
    pub wikipedia: WikipediaConfig,
    #[serde(default)]
    pub link: LinkConfig,
    #[serde(default)]
    pub dataset: DatasetConfig,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WikidataConfig {
    pub input: PathBuf,
    #[serde(default = "bundled")]
    pub relations: String,
    /// `enwiki` or `all` (see `pipeline wikidata --keep`); default: `all` when `[link] kb` is
    /// `all`, else `enwiki`.
    #[serde(default)]
    pub keep: Option<String>,
}

fn bundled() -> String {
    "bundled".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WikipediaConfig {
    pub input: PathBuf,
    #[serde(default)]
    pub index: Option<PathBuf>,
    #[serde(default)]
    pub contexts: crate::wikipedia::Contexts,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkConfig {
    #[serde(default)]
    pub ignore_case: bool,
    #[serde(default)]
    pub names_anywhere: bool,
    /// `enwiki` (default) or `all`: see `pipeline link --kb`.
    #[serde(default)]
    pub kb: Option<String>,
    /// e.g. "12G" (default: 75% of RAM): see `pipeline link --memory-budget`.
    #[serde(default)]
    pub memory_budget: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetConfig {
    #[serde(default)]
    pub exclude: Vec<PathBuf>,
    #[serde(default)]
    pub exclude_relations: Option<PathBuf>,
    #[serde(default = "two")]
    pub min_bag: usize,
    #[serde(default = "eight")]
    pub max_per_pair: usize,
}

impl Default for DatasetConfig {
    fn default() -> Self {
        DatasetConfig {
            exclude: Vec::new(),
            exclude_relations: None,
            min_bag: two(),
            max_per_pair: eight(),
        }
    }
}

fn two() -> usize {
    crate::dataset::DEFAULT_MIN_BAG
}
fn eight() -> usize {
    crate::dataset::DEFAULT_MAX_PER_PAIR
}

/// Reads a config; relative paths in it are relative to the config file's folder.
pub fn load(path: &Path) -> Result<Config, StageError> {
    let text = std::fs::read_to_string(path).map_err(|e| StageError::io(path, e))?;
    let mut c: Config = toml::from_str(&text)
        .map_err(|e| StageError::Invalid { path: path.to_path_buf(), msg: e.to_string() })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let fix = |p: &mut PathBuf| {
        if p.is_relative() {
            *p = base.join(&*p);
        }
    };
    fix(&mut c.out);
    fix(&mut c.wikidata.input);
    fix(&mut c.wikipedia.input);
    c.wikipedia.index.iter_mut().for_each(fix);
    c.dataset.exclude.iter_mut().for_each(fix);
    c.dataset.exclude_relations.iter_mut().for_each(fix);
    Ok(c)
}

fn file_facts(p: &Path) -> Result<Value, StageError> {
    let m = std::fs::metadata(p).map_err(|e| StageError::io(p, e))?;
    let mtime = m
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs());
    Ok(json!({"path": p.display().to_string(), "bytes": m.len(), "mtime": mtime}))
}

fn marker(dir: &Path) -> PathBuf {
    dir.join(".done.json")
}

/// The running `pipeline` executable's size and modification time: what tells one build of
/// wikirel from another (the crate version does not change with the code).
pub fn tool_identity() -> Value {
    std::env::current_exe()
        .ok()
        .and_then(|p| file_facts(&p).ok())
        .map(|mut f| {
            f.as_object_mut().map(|o| o.remove("path"));
            f
        })
        .unwrap_or(Value::Null)
}

/// Size and modification time (seconds and nanoseconds) of each file in a stage directory,
/// hidden files (the marker, temporary directories) left out.
fn output_facts(dir: &Path) -> Value {
    let mut out = serde_json::Map::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return Value::Null };
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().to_string();
        let Ok(m) = e.metadata() else { continue };
        if name.starts_with('.') || !m.is_file() {
            continue;
        }
        let t = m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
        out.insert(
            name,
            json!({"bytes": m.len(), "mtime": t.map(|d| [d.as_secs(), u64::from(d.subsec_nanos())])}),
        );
    }
    Value::Object(out)
}

fn marker_value(dir: &Path, fingerprint: &Value, tool: &Value) -> Value {
    json!({"fingerprint": fingerprint, "tool": tool, "outputs": output_facts(dir)})
}

/// Puts the complete directory `tmp` in the place of `dir` (the old one is moved aside first
/// and removed after, so `dir` never holds files of two runs).
fn replace_dir(tmp: &Path, dir: &Path) -> Result<(), StageError> {
    let name = dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let old = dir.with_file_name(format!(".{name}.old"));
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(|e| StageError::io(&old, e))?;
    }
    if dir.exists() {
        std::fs::rename(dir, &old).map_err(|e| StageError::io(dir, e))?;
    }
    std::fs::rename(tmp, dir).map_err(|e| StageError::io(tmp, e))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(|e| StageError::io(&old, e))?;
    }
    Ok(())
}

fn is_done(dir: &Path, fingerprint: &Value, tool: &Value) -> bool {
    std::fs::read_to_string(marker(dir))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .is_some_and(|v| v == marker_value(dir, fingerprint, tool))
}

/// What happened to each stage: `ran` or `up to date`.
pub type Report = Vec<(&'static str, &'static str)>;

/// Runs the stages in order, skipping those that are up to date.
pub fn run(c: &Config, on_stage: impl FnMut(&str, &str)) -> Result<Report, StageError> {
    run_as(c, &tool_identity(), on_stage)
}

/// [`run`], with the identity of the tool given (tests stand in for a rebuilt wikirel).
pub fn run_as(
    c: &Config,
    tool: &Value,
    mut on_stage: impl FnMut(&str, &str),
) -> Result<Report, StageError> {
    let mut report = Vec::new();
    let dirs = |s: &str| c.out.join(s);
    // A stage writes into `.NAME.partial/`, which replaces `NAME/` whole once the stage is
    // complete: a failed run leaves the last complete output as it was (never files of two
    // runs side by side), and its partial directory is cleared by the next run.
    let mut stage = |name: &'static str,
                     fp: Value,
                     work: &mut dyn FnMut(&Path) -> Result<String, StageError>|
     -> Result<Value, StageError> {
        let dir = dirs(name);
        if is_done(&dir, &fp, tool) {
            on_stage(name, "up to date, skipped");
            report.push((name, "up to date"));
            return Ok(fp);
        }
        let tmp = c.out.join(format!(".{name}.partial"));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(|e| StageError::io(&tmp, e))?;
        }
        std::fs::create_dir_all(&tmp).map_err(|e| StageError::io(&tmp, e))?;
        let summary = work(&tmp)?;
        replace_dir(&tmp, &dir)?;
        on_stage(name, &summary);
        crate::stats::write_json(&marker(&dir), &marker_value(&dir, &fp, tool))?;
        report.push((name, "ran"));
        Ok(fp)
    };
    let threads = c.threads.unwrap_or_else(rayon::current_num_threads).max(1);

    let keep: crate::scope::ItemScope = match (&c.wikidata.keep, c.link.kb.as_deref()) {
        (Some(k), _) => {
            k.parse().map_err(|msg| StageError::Invalid { path: "wikidata.keep".into(), msg })?
        }
        (None, Some("all")) => crate::scope::ItemScope::All,
        (None, _) => crate::scope::ItemScope::Enwiki,
    };
    let wd_fp = json!({"stage": "wikidata", "input": file_facts(&c.wikidata.input)?,
                       "relations": c.wikidata.relations, "keep": keep.as_str()});
    let wd_fp = stage("wikidata", wd_fp, &mut |out| {
        let mut o = wikidata::Options::new(&c.wikidata.input, out);
        o.relations = c.wikidata.relations.parse().expect("infallible");
        o.keep = keep;
        o.threads = threads;
        Ok(wikidata::summary(&wikidata::run(&o)?, &dirs("wikidata")))
    })?;

    let mut inputs = vec![file_facts(&c.wikipedia.input)?];
    if let Some(i) = &c.wikipedia.index {
        inputs.push(file_facts(i)?);
    }
    let wp_fp = json!({"stage": "wikipedia", "inputs": inputs, "contexts": c.wikipedia.contexts});
    let wp_fp = stage("wikipedia", wp_fp, &mut |out| {
        let mut o = wikipedia::Options::new(&c.wikipedia.input, out);
        o.index = c.wikipedia.index.clone();
        o.keep_lists = c.wikipedia.contexts.keep_lists();
        o.threads = threads;
        Ok(wikipedia::summary(&wikipedia::run(&o)?, &dirs("wikipedia")))
    })?;

    let ln_fp = json!({"stage": "link", "after": [wd_fp, wp_fp], "ignore_case": c.link.ignore_case,
                       "names_anywhere": c.link.names_anywhere,
                       "kb": c.link.kb.as_deref().unwrap_or("enwiki")});
    let ln_fp = stage("link", ln_fp, &mut |out| {
        let mut o = link::Options::new(&[dirs("wikipedia")], &dirs("wikidata"), out);
        o.link.case_sensitive = !c.link.ignore_case;
        o.link.require_detector_span = !c.link.names_anywhere;
        if let Some(k) = &c.link.kb {
            o.kb = k.parse().map_err(|msg| StageError::Invalid { path: "link.kb".into(), msg })?;
        }
        if let Some(b) = &c.link.memory_budget {
            o.memory_budget = link::parse_size(b)
                .map_err(|msg| StageError::Invalid { path: "link.memory_budget".into(), msg })?;
        }
        o.threads = threads;
        Ok(link::summary(&link::run(&o)?, &dirs("link")))
    })?;

    let excluded: Vec<Value> =
        c.dataset.exclude.iter().map(|p| file_facts(p)).collect::<Result<_, _>>()?;
    let ds_fp = json!({"stage": "dataset", "after": ln_fp, "exclude": excluded,
                       "exclude_relations": c.dataset.exclude_relations.as_ref().map(|p| file_facts(p)).transpose()?,
                       "min_bag": c.dataset.min_bag, "max_per_pair": c.dataset.max_per_pair});
    stage("dataset", ds_fp, &mut |out| {
        let mut o =
            dataset::Options::new(&[dirs("link")], &[dirs("wikipedia")], &dirs("wikidata"), out);
        o.exclude = c.dataset.exclude.clone();
        o.exclude_relations = c.dataset.exclude_relations.clone();
        o.min_bag = c.dataset.min_bag;
        o.max_per_pair = c.dataset.max_per_pair;
        Ok(dataset::summary(&dataset::run(&o)?, &dirs("dataset")))
    })?;
    Ok(report)
}
