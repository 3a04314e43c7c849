//! The shared writer's files as other tools see them: DuckDB (Python) reads rows and the
//! key-value metadata; readers refuse other schema versions with a clear message.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use schemas::tables::CLAIMS;
use schemas::{open_table, ParquetSink, Provenance, SchemaError, SinkOptions, Table};

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("WIKIREL_PYTHON") {
        return p.into();
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    assert!(venv.exists(), "{} missing: run `make venv` (make test does)", venv.display());
    venv
}

/// Runs a Python `script` (DuckDB, pyarrow) on the file at `path` and parses the JSON it prints.
fn python_json(script: &str, path: &Path) -> serde_json::Value {
    let out = Command::new(python()).args(["-c", script]).arg(path).output().unwrap();
    assert!(out.status.success(), "duckdb failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn claims_batch(rows: &[(&str, &str, &str, &str)]) -> RecordBatch {
    let col = |i: usize| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| match i {
            0 => r.0,
            1 => r.1,
            2 => r.2,
            _ => r.3,
        })))
    };
    RecordBatch::try_new(CLAIMS.schema(), vec![col(0), col(1), col(2), col(3)]).unwrap()
}

/// Writes `rows` as a `claims` file at `path` with `opts`, in one batch.
fn write_claims_rows(path: &Path, opts: &SinkOptions, rows: &[(&str, &str, &str, &str)]) {
    let prov = Provenance::new("wikirel-test", "roundtrip").with_inputs(["fixture"]);
    let mut sink = ParquetSink::create(path, CLAIMS, &prov, opts).unwrap();
    sink.write(&claims_batch(rows)).unwrap();
    sink.finish().unwrap();
}

/// Owned `claims` rows as the tuples [`claims_batch`] takes.
fn borrowed(owned: &[[String; 4]]) -> Vec<(&str, &str, &str, &str)> {
    owned.iter().map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str(), r[3].as_str())).collect()
}

const ROWS: [(&str, &str, &str, &str); 3] = [
    ("Q42", "P27", "Q145", "normal"),
    ("Q42", "P69", "Q691283", "preferred"),
    ("Q1", "P31", "Q5", "normal"),
];

fn write_claims(path: &Path, version: u32, group_rows: usize) -> u64 {
    let prov = Provenance::new("wikirel-test", "roundtrip").with_inputs(["fixture"]);
    let opts = SinkOptions { max_row_group_rows: group_rows, ..Default::default() };
    let mut sink = ParquetSink::create(path, CLAIMS.with_version(version), &prov, &opts).unwrap();
    sink.write(&claims_batch(&ROWS[..2])).unwrap();
    sink.write(&claims_batch(&ROWS[2..])).unwrap();
    sink.finish().unwrap()
}

#[test]
fn duckdb_reads_rows_and_key_value_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("claims.parquet");
    assert_eq!(write_claims(&path, CLAIMS.version, 2), 3);
    assert!(!dir.path().join(".claims.parquet.partial").exists());

    let script = r#"
import duckdb, json, sys
p = sys.argv[1]
con = duckdb.connect()
rows = con.execute(f"SELECT head, property, tail, rank FROM read_parquet('{p}') ORDER BY head, property").fetchall()
kv = {k.decode(): v.decode() for k, v in con.execute(f"SELECT key, value FROM parquet_kv_metadata('{p}')").fetchall()}
groups = con.execute(f"SELECT count(DISTINCT row_group_id) FROM parquet_metadata('{p}')").fetchone()[0]
codecs = sorted({r[0] for r in con.execute(f"SELECT compression FROM parquet_metadata('{p}')").fetchall()})
print(json.dumps({"rows": rows, "kv": kv, "groups": groups, "codecs": codecs}))
"#;
    let v = python_json(script, &path);
    let rows: Vec<Vec<String>> = serde_json::from_value(v["rows"].clone()).unwrap();
    assert_eq!(
        rows,
        vec![
            vec!["Q1", "P31", "Q5", "normal"],
            vec!["Q42", "P27", "Q145", "normal"],
            vec!["Q42", "P69", "Q691283", "preferred"],
        ]
    );
    assert_eq!(v["kv"]["wikirel.table"], "claims");
    assert_eq!(v["kv"]["wikirel.schema_version"], CLAIMS.version.to_string());
    let prov: Provenance =
        serde_json::from_str(v["kv"]["wikirel.provenance"].as_str().unwrap()).unwrap();
    assert_eq!(prov.stage, "roundtrip");
    assert_eq!(prov.inputs, vec!["fixture".to_string()]);
    // 3 rows with at most 2 per group: the bound holds.
    assert_eq!(v["groups"], 2);
    assert_eq!(v["codecs"], serde_json::json!(["ZSTD"]));
}

#[test]
fn reader_rejects_another_schema_version_naming_file_and_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("claims.parquet");
    write_claims(&path, CLAIMS.version + 6, 1024);
    let err = open_table(&path, CLAIMS, 1024).err().expect("version mismatch must fail");
    assert!(matches!(err, SchemaError::VersionMismatch { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains(&format!("version {}", CLAIMS.version + 6)), "{msg}");
    assert!(msg.contains(&format!("version {}", CLAIMS.version)), "{msg}");
}

#[test]
fn reader_streams_what_the_writer_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("claims.parquet");
    write_claims(&path, CLAIMS.version, 2);
    let reader = open_table(&path, CLAIMS, 1).unwrap();
    assert_eq!(reader.num_rows, 3);
    assert_eq!(reader.num_row_groups, 2);
    let batches: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 3);
}

#[test]
fn a_dropped_sink_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("claims.parquet");
    let prov = Provenance::new("wikirel-test", "drop");
    {
        let mut sink = ParquetSink::create(&path, CLAIMS, &prov, &SinkOptions::default()).unwrap();
        sink.write(&claims_batch(&ROWS)).unwrap();
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_wrong_table_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("claims.parquet");
    write_claims(&path, CLAIMS.version, 1024);
    let err = open_table(&path, schemas::tables::PAGES, 1024).err().unwrap();
    assert!(err.to_string().contains("expected a `pages` table"), "{err}");
}

/// The error `ParquetSink::create` refuses `opts` with.
/// Writes `table` to `path` as one batch per range of rows (`batch(lo, hi)`), the ranges
/// consecutive from 0, and checks the sink counted them all.
fn write_row_ranges(
    path: &Path,
    table: Table,
    opts: &SinkOptions,
    ranges: &[(usize, usize)],
    batch: impl Fn(usize, usize) -> RecordBatch,
) {
    let prov = Provenance::new("wikirel-test", "roundtrip").with_inputs(["fixture"]);
    let mut sink = ParquetSink::create(path, table, &prov, opts).unwrap();
    for &(lo, hi) in ranges {
        sink.write(&batch(lo, hi)).unwrap();
    }
    let rows = ranges.last().map_or(0, |r| r.1);
    assert_eq!(sink.finish().unwrap(), rows as u64);
}

fn refusal(path: &Path, table: Table, prov: &Provenance, opts: &SinkOptions) -> String {
    match ParquetSink::create(path, table, prov, opts) {
        Ok(_) => panic!("{opts:?} was accepted"),
        Err(e) => e.to_string(),
    }
}

/// `no_statistics` and `no_dictionary` reach the file (DuckDB's view of its column chunks), and
/// only for the columns named; a name that is no leaf column is refused, naming it.
#[test]
fn column_options_reach_the_named_columns_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("claims.parquet");
    let prov = Provenance::new("wikirel-test", "roundtrip").with_inputs(["fixture"]);
    let opts = SinkOptions {
        no_statistics: vec!["tail".into()],
        no_dictionary: vec!["head".into()],
        ..Default::default()
    };
    write_claims_rows(&path, &opts, &ROWS);
    let script = r#"
import duckdb, json, sys
p = sys.argv[1]
con = duckdb.connect()
rows = con.execute(f"SELECT path_in_schema, stats_min_value IS NOT NULL, encodings FROM parquet_metadata('{p}')").fetchall()
print(json.dumps({r[0]: {"stats": r[1], "dict": "DICTIONARY" in r[2]} for r in rows}))
"#;
    let v = python_json(script, &path);
    assert_eq!(v["tail"]["stats"], false, "{v}");
    assert_eq!(v["head"]["stats"], true, "{v}");
    assert_eq!(v["head"]["dict"], false, "{v}");
    assert_eq!(v["tail"]["dict"], true, "{v}");

    let bad = SinkOptions { no_dictionary: vec!["tails".into()], ..Default::default() };
    let err = refusal(&dir.path().join("x.parquet"), CLAIMS, &prov, &bad);
    assert!(err.contains("tails") && err.contains("x.parquet"), "{err}");
}

/// Asserts that DuckDB and pyarrow read the `claims` file at `path` back as `owned`; returns
/// DuckDB's view of its column chunks, `{"meta": {column: [compression, encodings]}}`.
fn claims_as_read(path: &Path, owned: &[[String; 4]]) -> serde_json::Value {
    let script = r#"
import duckdb, json, sys
import pyarrow.parquet as pq
p = sys.argv[1]
con = duckdb.connect()
meta = con.execute(f"SELECT path_in_schema, compression, encodings FROM parquet_metadata('{p}')").fetchall()
rows = con.execute(f"SELECT head, property, tail, rank FROM '{p}'").fetchall()
t = pq.read_table(p).to_pylist()
print(json.dumps({"meta": {m[0]: [m[1], m[2]] for m in meta}, "duckdb": rows,
                  "pyarrow": [[r["head"], r["property"], r["tail"], r["rank"]] for r in t]}))
"#;
    let v = python_json(script, path);
    let want: Vec<Vec<String>> = owned.iter().map(|r| r.to_vec()).collect();
    for reader in ["duckdb", "pyarrow"] {
        let got: Vec<Vec<String>> = serde_json::from_value(v[reader].clone()).unwrap();
        assert_eq!(got, want, "{reader}");
    }
    serde_json::json!({ "meta": v["meta"] })
}

/// `uncompressed` and `lz4` set the named columns' codec (DuckDB's view of the column chunks),
/// the others keep zstd, and DuckDB and pyarrow read every value back as written; a column
/// named in both, or an own encoder's leaf named `lz4`, is refused.
#[test]
fn codec_options_reach_the_named_columns_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("claims.parquet");
    let prov = Provenance::new("wikirel-test", "roundtrip").with_inputs(["fixture"]);
    let opts = SinkOptions {
        max_row_group_rows: 1500,
        uncompressed: vec!["property".into()],
        lz4: vec!["tail".into()],
        ..Default::default()
    };
    // Repetitive enough that every codec has something to compress, over three row groups.
    let owned: Vec<[String; 4]> = (0..4000u32)
        .map(|i| {
            let tail = format!("Q{} tail text {}", i % 97, "x".repeat((i % 13) as usize));
            [format!("Q{i}"), format!("P{}", i % 7), tail, "normal".into()]
        })
        .collect();
    let rows = borrowed(&owned);
    write_claims_rows(&path, &opts, &rows);
    let v = claims_as_read(&path, &owned);
    let meta = &v["meta"];
    assert_eq!(meta["property"][0], "UNCOMPRESSED", "{meta}");
    assert_eq!(meta["tail"][0], "LZ4_RAW", "{meta}");
    assert_eq!(meta["head"][0], "ZSTD", "{meta}");
    assert_eq!(meta["rank"][0], "ZSTD", "{meta}");

    let both =
        SinkOptions { uncompressed: vec!["tail".into()], lz4: vec!["tail".into()], ..opts.clone() };
    let err = refusal(&dir.path().join("x.parquet"), CLAIMS, &prov, &both);
    assert!(err.contains("tail") && err.contains("both"), "{err}");
    let delta = SinkOptions {
        delta_packed: vec!["num_sentences".into()],
        lz4: vec!["num_sentences".into()],
        ..Default::default()
    };
    let err = refusal(&dir.path().join("x.parquet"), schemas::tables::PAGES, &prov, &delta);
    assert!(err.contains("num_sentences") && err.contains("delta_packed"), "{err}");
    let own = vec!["aliases.list.item".to_string()];
    let own_lz4 = SinkOptions {
        no_statistics: own.clone(),
        own_dictionary: own.clone(),
        lz4: own,
        ..Default::default()
    };
    let err = refusal(&dir.path().join("x.parquet"), schemas::tables::ENTITIES, &prov, &own_lz4);
    assert!(err.contains("aliases.list.item") && err.contains("lz4"), "{err}");
}

/// An `lz4` column is cut into pages of about 64 KiB (page buffers that stay in the L2 cache;
/// issue 19), where the same column under zstd is one page of ~1 MB: the data pages as the
/// parquet crate's reader lists them, decompressed.
#[test]
fn lz4_columns_are_written_in_small_pages() {
    use parquet::basic::PageType;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    let dir = tempfile::tempdir().unwrap();
    // 8,000 distinct 120-byte tails, PLAIN (no dictionary): 992 KB, under the crate's 1 MiB
    // default page size; its mini-batches are 1,024 values (127 KB).
    let owned: Vec<[String; 4]> = (0..8000u32)
        .map(|i| [format!("Q{i}"), "P31".into(), format!("{i:0>120}"), "normal".into()])
        .collect();
    let rows = borrowed(&owned);
    let tail_pages = |lz4: Vec<String>| -> Vec<usize> {
        let path = dir.path().join(format!("claims-{}.parquet", lz4.len()));
        let opts = SinkOptions {
            max_row_group_rows: 100_000,
            no_dictionary: vec!["tail".into()],
            lz4,
            ..Default::default()
        };
        write_claims_rows(&path, &opts, &rows);
        let file = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        let group = file.get_row_group(0).unwrap();
        let pages = group.get_column_page_reader(2).unwrap();
        pages
            .map(Result::unwrap)
            .filter(|p| matches!(p.page_type(), PageType::DATA_PAGE | PageType::DATA_PAGE_V2))
            .map(|p| p.buffer().len())
            .collect()
    };
    let zstd = tail_pages(Vec::new());
    assert_eq!(zstd.len(), 1, "{zstd:?}");
    let lz4 = tail_pages(vec!["tail".into()]);
    assert!(lz4.len() >= 7, "{lz4:?}");
    assert!(lz4.iter().all(|&n| n <= 64 * 1024 + 1024 * 124), "{lz4:?}");
    assert_eq!(lz4.iter().sum::<usize>(), zstd[0]);
}

/// `own_text` (wikirel's PLAIN + LZ4_RAW text encoder) over batches that cross row groups,
/// with empty, multi-byte and long values: DuckDB and pyarrow read every row back as written,
/// DuckDB sees PLAIN and LZ4_RAW, and the pages (the crate's page reader, decompressed) are
/// 64 KiB plus at most one row, holding the column's bytes between them. A column named
/// `uncompressed` too, one without `no_statistics`, and a list column are refused.
#[test]
fn own_text_columns_read_back_in_small_lz4_pages() {
    use parquet::basic::PageType;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("claims.parquet");
    let prov = Provenance::new("wikirel-test", "roundtrip").with_inputs(["fixture"]);
    let tail = vec!["tail".to_string()];
    let opts = SinkOptions {
        max_row_group_rows: 1700,
        no_statistics: tail.clone(),
        own_text: tail.clone(),
        ..Default::default()
    };
    let owned: Vec<[String; 4]> = (0..4000u32)
        .map(|i| {
            let t = match i % 5 {
                0 => String::new(),
                1 => format!("Zürich – 東京 {i}"),
                2 => "long tail ".repeat((i % 300) as usize),
                _ => format!("Q{} tail text {}", i % 97, "x".repeat((i % 13) as usize)),
            };
            [format!("Q{i}"), format!("P{}", i % 7), t, "normal".into()]
        })
        .collect();
    let rows = borrowed(&owned);
    let mut sink = ParquetSink::create(&path, CLAIMS, &prov, &opts).unwrap();
    for part in [&rows[..1000], &rows[1000..1001], &rows[1001..]] {
        sink.write(&claims_batch(part)).unwrap();
    }
    assert_eq!(sink.finish().unwrap(), 4000);
    let meta = &claims_as_read(&path, &owned)["meta"];
    assert_eq!(meta["tail"][0], "LZ4_RAW", "{meta}");
    assert!(meta["tail"][1].as_str().unwrap().contains("PLAIN"), "{meta}");
    assert_eq!(meta["head"][0], "ZSTD", "{meta}");
    let file = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
    let longest = owned.iter().map(|r| r[2].len() + 4).max().unwrap();
    let mut plain = 0;
    for g in 0..file.num_row_groups() {
        let pages: Vec<usize> = file
            .get_row_group(g)
            .unwrap()
            .get_column_page_reader(2)
            .unwrap()
            .map(Result::unwrap)
            .filter(|p| p.page_type() == PageType::DATA_PAGE)
            .map(|p| p.buffer().len())
            .collect();
        assert!(pages.len() >= 2, "group {g}: {pages:?}");
        assert!(pages.iter().all(|&n| n < 64 * 1024 + longest), "{pages:?}");
        plain += pages.iter().sum::<usize>();
    }
    assert_eq!(plain, owned.iter().map(|r| 4 + r[2].len()).sum::<usize>());

    let x = dir.path().join("x.parquet");
    let both = SinkOptions { uncompressed: tail.clone(), ..opts.clone() };
    let err = refusal(&x, CLAIMS, &prov, &both);
    assert!(err.contains("tail") && err.contains("uncompressed"), "{err}");
    let stats = SinkOptions { no_statistics: Vec::new(), ..opts.clone() };
    let err = refusal(&x, CLAIMS, &prov, &stats);
    assert!(err.contains("tail") && err.contains("no_statistics"), "{err}");
    let aliases = vec!["aliases.list.item".to_string()];
    let list = SinkOptions { no_statistics: aliases.clone(), own_text: aliases, ..opts };
    let err = refusal(&x, schemas::tables::ENTITIES, &prov, &list);
    assert!(err.contains("aliases.list.item") && err.contains("Utf8"), "{err}");
}

/// `delta_packed` writes the named integer leaves `DELTA_BINARY_PACKED`, uncompressed and
/// without dictionary, and DuckDB reads the same values back; the other columns keep the
/// defaults; a non-integer column is refused.
#[test]
fn delta_packed_columns_are_delta_encoded_and_read_back() {
    use arrow::array::{Int32Array, Int64Array, UInt32Array};
    use schemas::tables::PAGES;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pages.parquet");
    let prov = Provenance::new("wikirel-test", "roundtrip").with_inputs(["fixture"]);
    let opts = SinkOptions { delta_packed: vec!["num_sentences".into()], ..Default::default() };
    let n = 5000u32;
    let counts: Vec<u32> = (0..n).map(|i| (i * 7919) % 1000).collect();
    let titles: Vec<String> = (0..n).map(|i| format!("Page {i}")).collect();
    let batch = RecordBatch::try_new(
        PAGES.schema(),
        vec![
            Arc::new(Int64Array::from_iter_values((0..n as i64).map(|i| i * 3))) as ArrayRef,
            Arc::new(StringArray::from_iter_values(&titles)),
            Arc::new(Int32Array::from(vec![0; n as usize])),
            Arc::new(Int64Array::from_iter_values(0..n as i64)),
            Arc::new(StringArray::from(vec!["2020-01-01T00:00:00Z"; n as usize])),
            Arc::new(UInt32Array::from(counts.clone())),
        ],
    )
    .unwrap();
    let mut sink = ParquetSink::create(&path, PAGES, &prov, &opts).unwrap();
    sink.write(&batch).unwrap();
    sink.finish().unwrap();
    let script = r#"
import duckdb, json, sys
p = sys.argv[1]
con = duckdb.connect()
rows = con.execute(f"SELECT path_in_schema, encodings, compression FROM parquet_metadata('{p}')").fetchall()
vals = [r[0] for r in con.execute(f"SELECT num_sentences FROM '{p}'").fetchall()]
print(json.dumps({"meta": {r[0]: {"enc": r[1], "comp": r[2]} for r in rows}, "vals": vals}))
"#;
    let v = python_json(script, &path);
    let meta = &v["meta"];
    let enc = meta["num_sentences"]["enc"].as_str().unwrap();
    assert!(enc.contains("DELTA_BINARY_PACKED") && !enc.contains("DICTIONARY"), "{v}");
    assert_eq!(meta["num_sentences"]["comp"], "UNCOMPRESSED", "{meta}");
    assert!(meta["page_id"]["enc"].as_str().unwrap().contains("DICTIONARY"), "{meta}");
    assert_eq!(meta["page_id"]["comp"], "ZSTD", "{meta}");
    let read: Vec<u32> = serde_json::from_value(v["vals"].clone()).unwrap();
    assert_eq!(read, counts);

    let bad = SinkOptions { delta_packed: vec!["title".into()], ..Default::default() };
    let err = refusal(&dir.path().join("x.parquet"), PAGES, &prov, &bad);
    assert!(err.contains("title") && err.contains("no integer"), "{err}");
}

/// `own_dictionary` leaves (wikirel's encoder, `list_dict`) interleaved with the crate's
/// column writers, over batches that cross row groups: DuckDB reads every row back as written
/// and sees dictionary-encoded chunks; a leaf that is no `List<Utf8>` (for `own_delta`, no
/// `List<UInt32>`), or one with statistics, is refused.
#[test]
fn own_dictionary_leaves_read_back_in_duckdb() {
    use arrow::array::{ListBuilder, StringBuilder};
    use arrow::datatypes::{DataType, Field};
    use schemas::tables::ENTITIES;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("entities.parquet");
    let prov = Provenance::new("wikirel-test", "roundtrip").with_inputs(["fixture"]);
    let own = ["aliases.list.item", "instance_of.list.item"].map(String::from).to_vec();
    let opts = SinkOptions {
        max_row_group_rows: 7,
        no_statistics: own.clone(),
        own_dictionary: own.clone(),
        ..Default::default()
    };
    let lists = |rows: &[Vec<String>]| -> ArrayRef {
        let item = Field::new_list_field(DataType::Utf8, false);
        let mut b = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(item));
        for r in rows {
            r.iter().for_each(|v| b.values().append_value(v));
            b.append(true);
        }
        Arc::new(b.finish())
    };
    let n = 40usize;
    let aliases: Vec<Vec<String>> =
        (0..n).map(|i| (0..i % 4).map(|j| format!("alias {}", (i * j) % 9)).collect()).collect();
    let types: Vec<Vec<String>> =
        (0..n).map(|i| (0..(i + 1) % 3).map(|j| format!("Q{}", 5 + j * i % 4)).collect()).collect();
    let qids: Vec<String> = (0..n).map(|i| format!("Q{}", 100 + i)).collect();
    let batch = |lo: usize, hi: usize| {
        let s = |v: Vec<&str>| Arc::new(StringArray::from(v)) as ArrayRef;
        let opt = |v: Vec<Option<&str>>| Arc::new(StringArray::from(v)) as ArrayRef;
        RecordBatch::try_new(
            ENTITIES.schema(),
            vec![
                s(qids[lo..hi].iter().map(String::as_str).collect()),
                s(vec!["item"; hi - lo]),
                opt(vec![Some("label"); hi - lo]),
                opt(vec![None; hi - lo]),
                lists(&aliases[lo..hi]),
                opt(vec![Some("Title"); hi - lo]),
                lists(&types[lo..hi]),
                lists(&vec![Vec::new(); hi - lo]),
                s(vec!["UNK"; hi - lo]),
            ],
        )
        .unwrap()
    };
    write_row_ranges(&path, ENTITIES, &opts, &[(0, 5), (5, 6), (6, 23), (23, 40)], batch);
    let script = r#"
import duckdb, json, sys
p = sys.argv[1]
con = duckdb.connect()
rows = con.execute(f"SELECT qid, aliases, instance_of FROM read_parquet('{p}') ORDER BY qid").fetchall()
meta = con.execute(f"SELECT row_group_id, path_in_schema, encodings FROM parquet_metadata('{p}')").fetchall()
print(json.dumps({"rows": [list(r) for r in rows],
                  "groups": len({m[0] for m in meta}),
                  "enc": {m[1].replace(", ", "."): m[2] for m in meta}}))
"#;
    let v = python_json(script, &path);
    let expect: Vec<serde_json::Value> =
        (0..n).map(|i| serde_json::json!([qids[i], aliases[i], types[i]])).collect();
    assert_eq!(v["rows"], serde_json::Value::Array(expect), "{v}");
    assert_eq!(v["groups"], n.div_ceil(7), "{v}");
    assert!(v["enc"]["aliases.list.item"].as_str().unwrap().contains("DICTIONARY"), "{v}");

    let x = dir.path().join("x.parquet");
    let not_list = SinkOptions {
        no_statistics: vec!["qid".into()],
        own_dictionary: vec!["qid".into()],
        ..Default::default()
    };
    let err = refusal(&x, ENTITIES, &prov, &not_list);
    assert!(err.contains("qid") && err.contains("List<Utf8>"), "{err}");
    let strings_as_ints =
        SinkOptions { no_statistics: own.clone(), own_delta: own.clone(), ..Default::default() };
    let err = refusal(&x, ENTITIES, &prov, &strings_as_ints);
    assert!(err.contains("aliases.list.item") && err.contains("List<UInt32>"), "{err}");
    let with_stats = SinkOptions { own_dictionary: own, ..Default::default() };
    let err = refusal(&x, ENTITIES, &prov, &with_stats);
    assert!(err.contains("aliases.list.item") && err.contains("no_statistics"), "{err}");
}

/// `own_delta` leaves (wikirel's `DELTA_BINARY_PACKED`) read back in DuckDB and pyarrow as
/// written, with values of every size up to `u32::MAX` (deltas that wrap around in 32 bits),
/// empty lists and row groups of 5 rows; DuckDB sees the encoding, uncompressed.
#[test]
fn own_delta_leaves_read_back_in_duckdb_and_pyarrow() {
    use arrow::array::{
        new_empty_array, Int64Array, ListArray, ListBuilder, StringBuilder, UInt32Array,
        UInt32Builder,
    };
    use arrow::buffer::OffsetBuffer;
    use arrow::datatypes::{DataType, Field};
    use schemas::tables::SENTENCES;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sentences.parquet");
    let own = ["token_starts.list.item", "token_ends.list.item"].map(String::from).to_vec();
    let opts = SinkOptions {
        max_row_group_rows: 5,
        no_statistics: [own.clone(), vec!["tokens.list.item".into()]].concat(),
        own_delta: own,
        own_dictionary: vec!["tokens.list.item".into()],
        ..Default::default()
    };
    let n = 23usize;
    let starts: Vec<Vec<u32>> = (0..n)
        .map(|r| match r % 4 {
            0 => vec![],
            1 => (0..r as u32).map(|i| i * 7).collect(),
            2 => vec![u32::MAX, 0, 1 << 31, (1 << 31) - 1, 5, u32::MAX - 1],
            _ => (0..200u32).map(|i| i.wrapping_mul(2_654_435_761)).collect(),
        })
        .collect();
    let ends: Vec<Vec<u32>> =
        starts.iter().map(|s| s.iter().map(|v| v.wrapping_add(3)).collect()).collect();
    let u32_lists = |rows: &[Vec<u32>]| -> ArrayRef {
        let item = Field::new_list_field(DataType::UInt32, false);
        let mut b = ListBuilder::new(UInt32Builder::new()).with_field(Arc::new(item));
        for r in rows {
            b.values().append_slice(r);
            b.append(true);
        }
        Arc::new(b.finish())
    };
    let tokens = |rows: &[Vec<u32>]| -> ArrayRef {
        let item = Field::new_list_field(DataType::Utf8, false);
        let mut b = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(item));
        for r in rows {
            r.iter().for_each(|v| b.values().append_value(format!("t{}", v % 97)));
            b.append(true);
        }
        Arc::new(b.finish())
    };
    let schema = SENTENCES.schema();
    let DataType::List(anchor_item) = schema.field(7).data_type().clone() else { panic!() };
    let batch = |lo: usize, hi: usize| {
        let k = hi - lo;
        let anchors = ListArray::new(
            anchor_item.clone(),
            OffsetBuffer::new_zeroed(k),
            new_empty_array(anchor_item.data_type()),
            None,
        );
        RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from_iter_values(lo as i64..hi as i64)) as ArrayRef,
                Arc::new(UInt32Array::from_iter_values(0..k as u32)),
                Arc::new(StringArray::from(vec!["paragraph"; k])),
                Arc::new(StringArray::from(vec!["text"; k])),
                tokens(&starts[lo..hi]),
                u32_lists(&starts[lo..hi]),
                u32_lists(&ends[lo..hi]),
                Arc::new(anchors),
            ],
        )
        .unwrap()
    };
    write_row_ranges(&path, SENTENCES, &opts, &[(0, 3), (3, 11), (11, 23)], batch);
    let script = r#"
import duckdb, json, sys
import pyarrow.parquet as pq
p = sys.argv[1]
con = duckdb.connect()
rows = con.execute(f"SELECT token_starts, token_ends FROM read_parquet('{p}') ORDER BY page_id").fetchall()
meta = con.execute(f"SELECT path_in_schema, encodings, compression FROM parquet_metadata('{p}') WHERE row_group_id = 0").fetchall()
t = pq.read_table(p)
print(json.dumps({"duckdb": [list(r) for r in rows],
                  "pyarrow": [t.column("token_starts").to_pylist(), t.column("token_ends").to_pylist()],
                  "meta": {m[0].replace(", ", "."): [m[1], m[2]] for m in meta}}))
"#;
    let v = python_json(script, &path);
    let expect: Vec<serde_json::Value> =
        (0..n).map(|i| serde_json::json!([starts[i], ends[i]])).collect();
    assert_eq!(v["duckdb"], serde_json::Value::Array(expect), "{v}");
    assert_eq!(v["pyarrow"], serde_json::json!([starts, ends]), "{v}");
    let meta = &v["meta"]["token_starts.list.item"];
    assert!(meta[0].as_str().unwrap().contains("DELTA_BINARY_PACKED"), "{v}");
    assert_eq!(meta[1], "UNCOMPRESSED", "{v}");
}

/// A list of structs whose leaves are all own leaves (the sentences' `anchors`: the targets
/// interned, zstd-compressed; the four spans `DELTA_BINARY_PACKED`), over batches that cross
/// row groups of 4 rows, with empty lists among them: DuckDB and pyarrow read every anchor back
/// as written and see the encodings; asking for some of a column's leaves only is refused.
#[test]
fn own_struct_list_leaves_read_back_in_duckdb_and_pyarrow() {
    use arrow::array::{
        Int64Array, ListArray, ListBuilder, StringBuilder, StructArray, UInt32Array,
    };
    use arrow::buffer::OffsetBuffer;
    use arrow::datatypes::{DataType, Field};
    use schemas::tables::SENTENCES;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sentences.parquet");
    let prov = Provenance::new("wikirel-test", "roundtrip").with_inputs(["fixture"]);
    let spans = ["char_start", "char_end", "token_start", "token_end"]
        .map(|c| format!("anchors.list.item.{c}"))
        .to_vec();
    let target = "anchors.list.item.target".to_string();
    let opts = SinkOptions {
        max_row_group_rows: 4,
        no_statistics: [spans.clone(), vec![target.clone()]].concat(),
        own_delta: spans.clone(),
        own_dictionary: vec![target.clone()],
        ..Default::default()
    };
    // Row r has r % 5 anchors; targets repeat across rows and groups.
    let n = 19usize;
    let anchors: Vec<Vec<(String, [u32; 4])>> = (0..n)
        .map(|r| {
            (0..(r % 5) as u32)
                .map(|k| {
                    let t = format!("Target {}", (r as u32 * 3 + k) % 7);
                    let c = 10 * k + r as u32;
                    (t, [c, c + 4 + k, k, k + 1 + (r as u32 % 2) * 1_000_000])
                })
                .collect()
        })
        .collect();
    let schema = SENTENCES.schema();
    let DataType::List(anchor_item) = schema.field(7).data_type().clone() else { panic!() };
    let DataType::Struct(fields) = anchor_item.data_type().clone() else { panic!() };
    let anchor_list = |rows: &[Vec<(String, [u32; 4])>]| -> ArrayRef {
        let flat: Vec<&(String, [u32; 4])> = rows.iter().flatten().collect();
        let span = |j: usize| {
            Arc::new(UInt32Array::from_iter_values(flat.iter().map(|a| a.1[j]))) as ArrayRef
        };
        let targets = StringArray::from_iter_values(flat.iter().map(|a| a.0.as_str()));
        let items = StructArray::try_new(
            fields.clone(),
            vec![Arc::new(targets), span(0), span(1), span(2), span(3)],
            None,
        )
        .unwrap();
        let offsets = OffsetBuffer::from_lengths(rows.iter().map(Vec::len));
        Arc::new(ListArray::new(anchor_item.clone(), offsets, Arc::new(items), None))
    };
    let empty_lists = |k: usize| -> ArrayRef {
        let item = Field::new_list_field(DataType::Utf8, false);
        let mut b = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(item));
        (0..k).for_each(|_| b.append(true));
        Arc::new(b.finish())
    };
    let u32_lists = |k: usize| -> ArrayRef {
        let item = Arc::new(Field::new_list_field(DataType::UInt32, false));
        let values = Arc::new(UInt32Array::from(Vec::<u32>::new()));
        Arc::new(ListArray::new(item, OffsetBuffer::new_zeroed(k), values, None))
    };
    let batch = |lo: usize, hi: usize| {
        let k = hi - lo;
        RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from_iter_values(lo as i64..hi as i64)) as ArrayRef,
                Arc::new(UInt32Array::from_iter_values(0..k as u32)),
                Arc::new(StringArray::from(vec!["paragraph"; k])),
                Arc::new(StringArray::from(vec!["text"; k])),
                empty_lists(k),
                u32_lists(k),
                u32_lists(k),
                anchor_list(&anchors[lo..hi]),
            ],
        )
        .unwrap()
    };
    // A batch sliced at a row group's end leaves the rest of its anchors for the next group.
    write_row_ranges(&path, SENTENCES, &opts, &[(0, 3), (3, 10), (10, 11), (11, 19)], batch);
    let script = r#"
import duckdb, json, sys
import pyarrow.parquet as pq
p = sys.argv[1]
con = duckdb.connect()
rows = con.execute(f"SELECT [(a.target, [a.char_start, a.char_end, a.token_start, a.token_end]) FOR a IN anchors] FROM read_parquet('{p}') ORDER BY page_id").fetchall()
meta = con.execute(f"SELECT path_in_schema, encodings, compression FROM parquet_metadata('{p}') WHERE row_group_id = 1").fetchall()
t = pq.read_table(p)
pa = [[[a["target"], [a["char_start"], a["char_end"], a["token_start"], a["token_end"]]] for a in row]
      for row in t.column("anchors").to_pylist()]
print(json.dumps({"duckdb": [[[a[0], a[1]] for a in r[0]] for r in rows], "pyarrow": pa,
                  "meta": {m[0].replace(", ", "."): [m[1], m[2]] for m in meta}}))
"#;
    let v = python_json(script, &path);
    let expect: Vec<Vec<serde_json::Value>> = anchors
        .iter()
        .map(|row| row.iter().map(|(t, s)| serde_json::json!([t, s])).collect())
        .collect();
    assert_eq!(v["duckdb"], serde_json::json!(expect), "{v}");
    assert_eq!(v["pyarrow"], serde_json::json!(expect), "{v}");
    let meta = &v["meta"];
    assert!(meta[&target][0].as_str().unwrap().contains("DICTIONARY"), "{v}");
    assert_eq!(meta[&target][1], "ZSTD", "{v}");
    for s in &spans {
        assert!(meta[s][0].as_str().unwrap().contains("DELTA_BINARY_PACKED"), "{s}: {v}");
        assert_eq!(meta[s][1], "UNCOMPRESSED", "{s}: {v}");
    }

    let x = dir.path().join("x.parquet");
    let some = SinkOptions { own_delta: spans[..3].to_vec(), own_dictionary: vec![], ..opts };
    let err = refusal(&x, SENTENCES, &prov, &some);
    assert!(err.contains("anchors.list.item.t") && err.contains("some leaves"), "{err}");
}
