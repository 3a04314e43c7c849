//! The rule of `schemas::col`: outside this crate (and tests), no code spells a contract
//! column's name as a string literal where it reads or writes Arrow data. The scan looks at
//! every line of the pipeline's and the trainer's non-test sources that touches Arrow columns
//! (the calls below) and fails on a literal that names a column of any table, nested fields
//! included. (JSON keys and XML names that happen to equal a column name are not Arrow access
//! and are not on such lines.)
use std::path::{Path, PathBuf};

use arrow::datatypes::{DataType, Field};
use schemas::ALL_TABLES;

/// Calls through which code names an Arrow column, and the lists of names it passes them.
const ACCESS: [&str; 17] = [
    "vec![",
    "&[",
    "= [",
    "column_by_name(",
    "field_with_name(",
    "index_of(",
    "open_table_columns(",
    "MentionCursor::open(",
    "list_struct_fields(",
    "struct_fields(",
    "Field::new(",
    "_col(",
    "i64s(",
    "u32s(",
    "strs(",
    "_lists(",
    "sorted_by",
];

fn names(f: &Field, out: &mut Vec<String>) {
    out.push(f.name().clone());
    match f.data_type() {
        DataType::List(item) => names(item, out),
        DataType::Struct(fields) => fields.iter().for_each(|g| names(g, out)),
        _ => {}
    }
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `(file:line, literal)` of every contract column name spelled in an Arrow access of `text`
/// (lines after `#[cfg(test)]` are tests and not scanned).
fn offences(text: &str, columns: &[String]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.contains("#[cfg(test)]") {
            break;
        }
        let code = line.split("//").next().unwrap_or("");
        if !ACCESS.iter().any(|a| code.contains(a)) {
            continue;
        }
        for lit in code.split('"').skip(1).step_by(2) {
            if columns.iter().any(|c| c == lit) {
                out.push((i + 1, lit.to_string()));
            }
        }
    }
    out
}

fn columns() -> Vec<String> {
    let mut cols = Vec::new();
    for t in ALL_TABLES {
        t.schema().fields().iter().for_each(|f| names(f, &mut cols));
    }
    cols.sort();
    cols.dedup();
    cols
}

#[test]
fn no_column_name_is_spelled_outside_schemas() {
    let cols = columns();
    assert!(cols.len() > 40 && cols.contains(&"token_start".to_string()), "{cols:?}");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["pipeline/src", "pipeline/wikitext/src", "pipeline/linker/src", "trainer/src"] {
        sources(&root.join(dir), &mut files);
    }
    assert!(files.len() > 50, "{}", files.len());
    let mut found = Vec::new();
    for f in &files {
        for (line, lit) in offences(&std::fs::read_to_string(f).unwrap(), &cols) {
            found.push(format!("{}:{line}: \"{lit}\"", f.display()));
        }
    }
    assert!(found.is_empty(), "use schemas::col instead of:\n{}", found.join("\n"));
}

/// The scan finds what it must (so the test above can fail) and passes what it must.
#[test]
fn the_scan_tells_access_from_other_strings() {
    let cols = columns();
    let bad = "let x = b.column_by_name(\"page_id\").unwrap();\nlet y = i64s(&b, \"row_start\");";
    assert_eq!(offences(bad, &cols), [(1, "page_id".to_string()), (2, "row_start".to_string())]);
    let fine = "let x = b.column_by_name(col::PAGE_ID);\nlet v = json!({\"page_id\": 1});\n\
                // column_by_name(\"qid\") in a comment";
    assert!(offences(fine, &cols).is_empty());
}
