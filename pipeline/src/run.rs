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
use crate::settings::{DatasetSettings, LinkSettings, WikidataSettings, WikipediaSettings};
use crate::wikidata::relations::RelationsArg;
use crate::{dataset, link, wikidata, wikipedia};

/// A run: where the outputs go, the dumps, and each stage's settings (the same types the
/// stages' flags parse into, `crate::settings`).
#[derive(Debug, Clone)]
pub struct Config {
    /// Root of the stage outputs: `<out>/wikidata`, `<out>/wikipedia`, `<out>/link`, `<out>/dataset`.
    pub out: PathBuf,
    pub threads: Option<usize>,
    /// `[wikidata] input`: the Wikidata JSON dump.
    pub wikidata_input: PathBuf,
    pub wikidata: WikidataSettings,
    /// `[wikipedia] input` and `index`: the Wikipedia dump and its multistream index.
    pub wikipedia_input: PathBuf,
    pub wikipedia_index: Option<PathBuf>,
    pub wikipedia: WikipediaSettings,
    pub link: LinkSettings,
    pub dataset: DatasetSettings,
}

/// The file as written: each stage's section is a table whose input paths are taken out before
/// the rest is read as that stage's settings (which refuse unknown keys).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    out: PathBuf,
    #[serde(default)]
    threads: Option<usize>,
    wikidata: toml::Table,
    wikipedia: toml::Table,
    #[serde(default)]
    link: toml::Table,
    #[serde(default)]
    dataset: toml::Table,
}

/// Reads a config; relative paths in it are relative to the config file's folder.
pub fn load(path: &Path) -> Result<Config, StageError> {
    let invalid = |msg: String| StageError::Invalid { path: path.to_path_buf(), msg };
    let text = std::fs::read_to_string(path).map_err(|e| StageError::io(path, e))?;
    let mut f: File = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let fix = |p: PathBuf| if p.is_relative() { base.join(p) } else { p };
    let take_path = |section: &mut toml::Table, name: &str, key: &str| match section.remove(key) {
        None => Ok(None),
        Some(toml::Value::String(p)) => Ok(Some(fix(PathBuf::from(p)))),
        Some(v) => Err(invalid(format!("[{name}] {key}: expected a path string, found {v}"))),
    };
    let wikidata_input = take_path(&mut f.wikidata, "wikidata", "input")?
        .ok_or_else(|| invalid("[wikidata] needs input = \"...\"".into()))?;
    let wikipedia_input = take_path(&mut f.wikipedia, "wikipedia", "input")?
        .ok_or_else(|| invalid("[wikipedia] needs input = \"...\"".into()))?;
    let wikipedia_index = take_path(&mut f.wikipedia, "wikipedia", "index")?;
    fn settings<T: serde::de::DeserializeOwned>(
        t: toml::Table,
        name: &str,
        invalid: &dyn Fn(String) -> StageError,
    ) -> Result<T, StageError> {
        T::deserialize(toml::Value::Table(t)).map_err(|e| invalid(format!("[{name}] {e}")))
    }
    let mut dataset: DatasetSettings = settings(f.dataset, "dataset", &invalid)?;
    dataset.exclude = dataset.exclude.into_iter().map(fix).collect();
    dataset.exclude_relations = dataset.exclude_relations.map(fix);
    let mut wikidata: WikidataSettings = settings(f.wikidata, "wikidata", &invalid)?;
    if let RelationsArg::File(p) = &wikidata.relations {
        wikidata.relations = RelationsArg::File(fix(p.clone()));
    }
    Ok(Config {
        out: fix(f.out),
        threads: f.threads,
        wikidata_input,
        wikidata,
        wikipedia_input,
        wikipedia_index,
        wikipedia: settings(f.wikipedia, "wikipedia", &invalid)?,
        link: settings(f.link, "link", &invalid)?,
        dataset,
    })
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

    // A stage's fingerprint holds its settings whole (`Serialize`), so no setting can be left
    // out of the up-to-date check, and the identities of the files it reads.
    let keep = c.wikidata.keep_for(c.link.kb);
    let mut relations_file = Value::Null;
    if let RelationsArg::File(p) = &c.wikidata.relations {
        relations_file = file_facts(p)?;
    }
    let wd_fp = json!({"stage": "wikidata", "input": file_facts(&c.wikidata_input)?,
                       "settings": c.wikidata, "keep": keep, "relations_file": relations_file});
    let wd_fp = stage("wikidata", wd_fp, &mut |out| {
        let mut o = wikidata::Options::new(&c.wikidata_input, out);
        c.wikidata.apply(&mut o, c.link.kb);
        o.threads = threads;
        Ok(wikidata::summary(&wikidata::run(&o)?, &dirs("wikidata")))
    })?;

    let mut inputs = vec![file_facts(&c.wikipedia_input)?];
    if let Some(i) = &c.wikipedia_index {
        inputs.push(file_facts(i)?);
    }
    let wp_fp = json!({"stage": "wikipedia", "inputs": inputs, "settings": c.wikipedia});
    let wp_fp = stage("wikipedia", wp_fp, &mut |out| {
        let mut o = wikipedia::Options::new(&c.wikipedia_input, out);
        o.index = c.wikipedia_index.clone();
        c.wikipedia.apply(&mut o);
        o.threads = threads;
        Ok(wikipedia::summary(&wikipedia::run(&o)?, &dirs("wikipedia")))
    })?;

    let ln_fp = json!({"stage": "link", "after": [wd_fp, wp_fp], "settings": c.link});
    let ln_fp = stage("link", ln_fp, &mut |out| {
        let mut o = link::Options::new(&[dirs("wikipedia")], &dirs("wikidata"), out);
        c.link.apply(&mut o);
        o.threads = threads;
        Ok(link::summary(&link::run(&o)?, &dirs("link")))
    })?;

    let excluded: Vec<Value> =
        c.dataset.exclude.iter().map(|p| file_facts(p)).collect::<Result<_, _>>()?;
    let ds_fp = json!({"stage": "dataset", "after": ln_fp, "settings": c.dataset,
                       "exclude": excluded,
                       "exclude_relations": c.dataset.exclude_relations.as_ref().map(|p| file_facts(p)).transpose()?});
    stage("dataset", ds_fp, &mut |out| {
        let mut o =
            dataset::Options::new(&[dirs("link")], &[dirs("wikipedia")], &dirs("wikidata"), out);
        c.dataset.apply(&mut o);
        Ok(dataset::summary(&dataset::run(&o)?, &dirs("dataset")))
    })?;
    Ok(report)
}
