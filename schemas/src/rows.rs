//! Typed row access to the tables that the linker's knowledge base is made of, so that the
//! `link` stage and `trainer extract` read them the same way and no column name is spelled
//! outside this crate. Each visitor streams the file batch by batch (only the needed columns)
//! and hands out borrowed strings: nothing is held beyond its batch.
use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::UInt64Type;

use crate::col;
use crate::error::SchemaError;
use crate::ids::Qid;
use crate::reader::open_table_columns;
use crate::tables::{ANCHOR_PRIOR, CLAIMS, ENTITIES, PROPERTIES};

const BATCH: usize = 65536;

/// One item of `entities` as the knowledge base needs it.
pub struct KbItem<'a> {
    pub qid: Qid,
    /// The English label (when it has one), then the aliases in dump order.
    pub names: &'a [&'a str],
    pub enwiki_title: Option<&'a str>,
    pub coarse_type: &'a str,
}

/// Calls `f` for every item (not property) of an `entities` table; with `enwiki_only`, only
/// for items with an English Wikipedia sitelink.
pub fn for_each_kb_item(
    path: &Path,
    enwiki_only: bool,
    mut f: impl FnMut(&KbItem),
) -> Result<(), SchemaError> {
    let cols = [col::QID, col::KIND, col::LABEL, col::ALIASES, col::ENWIKI_TITLE, col::COARSE_TYPE];
    for b in open_table_columns(path, ENTITIES, BATCH, &cols)? {
        let b = b?;
        let (qid, kind, label) = (
            b.column(0).as_string::<i32>(),
            b.column(1).as_string::<i32>(),
            b.column(2).as_string::<i32>(),
        );
        let (aliases, title, ty) = (
            b.column(3).as_list::<i32>(),
            b.column(4).as_string::<i32>(),
            b.column(5).as_string::<i32>(),
        );
        for i in 0..b.num_rows() {
            if kind.value(i) != "item" {
                continue;
            }
            let t = (!title.is_null(i)).then(|| title.value(i));
            if enwiki_only && t.is_none() {
                continue;
            }
            let Ok(q) = qid.value(i).parse::<Qid>() else { continue };
            let a = aliases.value(i);
            let a = a.as_string::<i32>();
            let mut names: Vec<&str> = Vec::with_capacity(a.len() + 1);
            if !label.is_null(i) {
                names.push(label.value(i));
            }
            names.extend((0..a.len()).map(|j| a.value(j)));
            f(&KbItem { qid: q, names: &names, enwiki_title: t, coarse_type: ty.value(i) });
        }
    }
    Ok(())
}

/// Calls `f(surface, qid, count)` for every row of an `anchor_prior` table.
pub fn for_each_prior_row(
    path: &Path,
    mut f: impl FnMut(&str, Qid, u64),
) -> Result<(), SchemaError> {
    let mut row = 0u64;
    for b in open_table_columns(path, ANCHOR_PRIOR, BATCH, &[col::SURFACE, col::QID, col::COUNT])? {
        let b = b?;
        let (s, q) = (b.column(0).as_string::<i32>(), b.column(1).as_string::<i32>());
        let n = b.column(2).as_primitive::<UInt64Type>();
        for i in 0..b.num_rows() {
            let qid = q.value(i).parse::<Qid>().map_err(|e| SchemaError::BadRow {
                path: path.to_path_buf(),
                row: row + i as u64,
                msg: e.to_string(),
            })?;
            f(s.value(i), qid, n.value(i));
        }
        row += b.num_rows() as u64;
    }
    Ok(())
}

/// Calls `f(head, property, tail)` for every row of a `claims` table whose head and tail are
/// items (rows with other ids are skipped).
pub fn for_each_claim(path: &Path, mut f: impl FnMut(Qid, &str, Qid)) -> Result<(), SchemaError> {
    for b in open_table_columns(path, CLAIMS, BATCH, &[col::HEAD, col::PROPERTY, col::TAIL])? {
        let b = b?;
        let (h, p, t) = (
            b.column(0).as_string::<i32>(),
            b.column(1).as_string::<i32>(),
            b.column(2).as_string::<i32>(),
        );
        for i in 0..b.num_rows() {
            if let (Ok(h), Ok(t)) = (h.value(i).parse::<Qid>(), t.value(i).parse::<Qid>()) {
                f(h, p.value(i), t);
            }
        }
    }
    Ok(())
}

/// Calls `f(pid, english_label)` for every row of a `properties` table.
pub fn for_each_property(
    path: &Path,
    mut f: impl FnMut(&str, Option<&str>),
) -> Result<(), SchemaError> {
    for b in open_table_columns(path, PROPERTIES, BATCH, &[col::PID, col::LABEL])? {
        let b = b?;
        let (p, l) = (b.column(0).as_string::<i32>(), b.column(1).as_string::<i32>());
        for i in 0..b.num_rows() {
            f(p.value(i), (!l.is_null(i)).then(|| l.value(i)));
        }
    }
    Ok(())
}
