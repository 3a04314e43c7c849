//! Files written by every readable schema version must keep loading (as tantivy's
//! `compat_tests.rs` does for its formats): `golden/v{N}/<table>.parquet` is a file of table
//! version N as that version's build wrote it, committed and never rewritten. When a table's
//! version is bumped, run the ignored test below once to add the new version's file, commit
//! it, and keep the older ones for as long as `oldest_readable` reaches them.
use std::path::PathBuf;

use schemas::{open_table, ParquetSink, Provenance, SinkOptions, Table, ALL_TABLES};

fn golden(version: u32, table: &Table) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/golden/v{version}"))
        .join(table.file_name())
}

#[test]
fn golden_files_of_every_readable_version_still_load() {
    for t in ALL_TABLES {
        for v in t.oldest_readable..=t.version {
            let path = golden(v, &t);
            assert!(
                path.exists(),
                "{} missing: `cargo test -p schemas --test compat -- --ignored` writes the \
                 current version's files",
                path.display()
            );
            let r = open_table(&path, t, 1024).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.count(), 0, "{}", path.display());
        }
    }
}

#[test]
#[ignore = "writes the golden files of the current versions (never overwrites)"]
fn write_golden_files_of_the_current_versions() {
    for t in ALL_TABLES {
        let path = golden(t.version, &t);
        if path.exists() {
            continue;
        }
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let prov = Provenance::new("wikirel", "golden");
        ParquetSink::create(&path, t, &prov, &SinkOptions::default()).unwrap().finish().unwrap();
    }
}
