//! `pipeline run --config`: all stages from one file; a second run skips every stage, and a
//! changed input or setting reruns exactly the stages downstream of it.
#[path = "../../tests/support/harness.rs"]
mod common;

use common::*;

#[test]
fn second_run_skips_and_changes_rerun_downstream() {
    let dir = tempfile::tempdir().unwrap();
    let fx = |f: &str| fixture(&format!("e2e_wiki80/{f}")).display().to_string();
    let write_config = |min_bag: usize| {
        let text = format!(
            "out = \"out\"\n[wikidata]\ninput = \"{}\"\n[wikipedia]\ninput = \"{}\"\n[dataset]\nmin_bag = {min_bag}\n",
            fx("wikidata.json"),
            fx("pages-articles.xml.bz2"),
        );
        let p = dir.path().join("run.toml");
        std::fs::write(&p, text).unwrap();
        pipeline::run::load(&p).unwrap()
    };
    let run = |c: &pipeline::run::Config| pipeline::run::run(c, |_, _| {}).unwrap();
    let c = write_config(2);
    let all_ran =
        vec![("wikidata", "ran"), ("wikipedia", "ran"), ("link", "ran"), ("dataset", "ran")];
    assert_eq!(run(&c), all_ran);
    assert!(dir.path().join("out/dataset/sentences.parquet").exists());
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
