//! `pipeline run --config`: all stages from one file; a second run skips every stage, a
//! changed input or setting reruns exactly the stages downstream of it, an output rewritten by
//! hand reruns its stage, and another build of wikirel reruns them all.
#[path = "../../tests/support/harness.rs"]
mod common;

use common::*;

/// `DIR/run.toml` over the e2e_wiki80 dumps with outputs in `DIR/out`, plus `extra` TOML.
fn sample_config(dir: &std::path::Path, extra: &str) -> pipeline::run::Config {
    let fx = |f: &str| fixture(&format!("e2e_wiki80/{f}")).display().to_string();
    let text = format!(
        "out = \"out\"\n[wikidata]\ninput = \"{}\"\n[wikipedia]\ninput = \"{}\"\n{extra}",
        fx("wikidata.json"),
        fx("pages-articles.xml.bz2"),
    );
    let p = dir.join("run.toml");
    std::fs::write(&p, text).unwrap();
    pipeline::run::load(&p).unwrap()
}

#[test]
fn second_run_skips_and_changes_rerun_downstream() {
    let dir = tempfile::tempdir().unwrap();
    let write_config =
        |min_bag: usize| sample_config(dir.path(), &format!("[dataset]\nmin_bag = {min_bag}\n"));
    let run = |c: &pipeline::run::Config| pipeline::run::run(c, |_, _| {}).unwrap();
    let c = write_config(2);
    let all_ran =
        vec![("wikidata", "ran"), ("wikipedia", "ran"), ("link", "ran"), ("dataset", "ran")];
    assert_eq!(run(&c), all_ran);
    assert!(dir.path().join("out/dataset/relation_instances.parquet").exists());
    let skipped: Vec<_> = all_ran.iter().map(|(s, _)| (*s, "up to date")).collect();
    assert_eq!(run(&c), skipped);
    // A dataset setting changes: only the dataset stage runs again.
    let c = write_config(3);
    assert_eq!(
        run(&c),
        vec![
            ("wikidata", "up to date"),
            ("wikipedia", "up to date"),
            ("link", "up to date"),
            ("dataset", "ran")
        ]
    );
    // An output rewritten by hand (here: the same bytes, written again) is not this run's: the
    // stage runs again; its settings are unchanged, so the stages after it stay up to date.
    let stats = dir.path().join("out/wikipedia/stats.json");
    std::fs::write(&stats, std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(
        run(&c),
        vec![
            ("wikidata", "up to date"),
            ("wikipedia", "ran"),
            ("link", "up to date"),
            ("dataset", "up to date")
        ]
    );
    // Another build of wikirel reruns everything, and is then up to date itself.
    let other = serde_json::json!({"bytes": 1, "mtime": 2});
    assert_eq!(pipeline::run::run_as(&c, &other, |_, _| {}).unwrap(), all_ran);
    let again: Vec<_> = all_ran.iter().map(|(s, _)| (*s, "up to date")).collect();
    assert_eq!(pipeline::run::run_as(&c, &other, |_, _| {}).unwrap(), again);
    assert_eq!(run(&c), all_ran, "back to this build");
    // A stage interrupted after it removed its marker is not taken as done.
    std::fs::remove_file(dir.path().join("out/link/.done.json")).unwrap();
    assert_eq!(
        run(&c),
        vec![
            ("wikidata", "up to date"),
            ("wikipedia", "up to date"),
            ("link", "ran"),
            ("dataset", "up to date")
        ]
    );
}

/// Name -> (bytes, mtime) of every file in `dir`, the marker included.
fn listing(
    dir: &std::path::Path,
) -> std::collections::BTreeMap<String, (u64, std::time::SystemTime)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            (e.file_name().to_string_lossy().to_string(), (m.len(), m.modified().unwrap()))
        })
        .collect()
}

#[test]
fn a_failed_stage_leaves_the_last_complete_output_whole() {
    let dir = tempfile::tempdir().unwrap();
    let write_config = |link: &str| sample_config(dir.path(), &format!("[link]\n{link}\n"));
    pipeline::run::run(&write_config(""), |_, _| {}).unwrap();
    let link = dir.path().join("out/link");
    let before = listing(&link);
    assert!(before.contains_key("mentions.parquet") && before.contains_key(".done.json"));
    // Another link setting (so the stage runs again), and it fails: its knowledge base is over
    // a 1 KB budget.
    let failing = write_config("names_anywhere = true\nmemory_budget = \"1K\"");
    let err = pipeline::run::run(&failing, |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("memory-budget"), "{err}");
    assert_eq!(listing(&link), before, "the failed run changed the last complete output");
    assert!(dir.path().join("out/.link.partial").exists());
    // So the first configuration finds its link output complete and up to date.
    let report = pipeline::run::run(&write_config(""), |_, _| {}).unwrap();
    assert!(report.contains(&("link", "up to date")), "{report:?}");
    // A good run of the new setting replaces the stage directory whole, partial one cleared.
    let report = pipeline::run::run(&write_config("names_anywhere = true"), |_, _| {}).unwrap();
    assert!(report.contains(&("link", "ran")), "{report:?}");
    assert_ne!(listing(&link), before);
    assert!(link.join("mentions.parquet").exists());
    assert!(!dir.path().join("out/.link.partial").exists());
}

#[test]
fn an_unknown_contexts_value_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.toml");
    std::fs::write(
        &p,
        "out = \"o\"\n[wikidata]\ninput = \"w\"\n[wikipedia]\ninput = \"x\"\ncontexts = \"paragraphs + lists\"\n",
    )
    .unwrap();
    let err = pipeline::run::load(&p).unwrap_err().to_string();
    assert!(err.contains("bad.toml") && err.contains("paragraphs + lists"), "{err}");
}

/// The CLI of `link --of N --dry-run` (the task list of a split run) works without `--shard`,
/// while `--of` without `--shard` in a real run is refused with a message.
#[test]
fn link_dry_run_needs_no_shard_and_a_real_run_does() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pipeline")).args(args).output().unwrap()
    };
    let base = ["link", "--sentences", "wp/0", "--wikidata", "wd", "--out", "L", "--of", "3"];
    let dry = run(&[&base[..], &["--dry-run"]].concat());
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    let text = String::from_utf8(dry.stdout).unwrap();
    for i in 0..3 {
        assert!(text.contains(&format!("--shard {i} --of 3 --out L/link-{i}")), "{text}");
    }
    let real = run(&base);
    assert!(!real.status.success());
    assert!(String::from_utf8_lossy(&real.stderr).contains("--of needs --shard"));
}
