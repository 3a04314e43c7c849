//! The tables. One function per table builds its Arrow schema; every column carries its
//! documentation in the field metadata under [`FIELD_DOC`](crate::FIELD_DOC), so the doc travels
//! into each Parquet file and shows in DuckDB (`DESCRIBE`) and pyarrow.
//!
//! Conventions for every table:
//! - spans are **end-exclusive** `[start, end)`;
//! - `char_*` offsets count Unicode code points of the sentence text (as Python's `str`
//!   indexing does, not UTF-8 bytes);
//! - `token_*` offsets index the sentence's `tokens` list;
//! - Wikidata ids are strings with their letter (`Q42`, `P31`). In memory a stage parses item
//!   ids once into [`Qid`](crate::Qid) (`u32`) and prints them back when it writes; `import`d
//!   datasets may carry ids that are not items (`chemprot:...`), which stay strings.
//!
//! Bump a table's `version` whenever its columns or their meaning change; readers accept the
//! versions from its `oldest_readable` to its `version`, and refuse others. Column docs are
//! documentation: editing one changes no version and no reader's check.
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};

use crate::col;
use crate::FIELD_DOC;

/// A table of the contract: its name (also the default file stem), version and schema.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub version: u32,
    /// The oldest version of this table's files that this build still reads (tantivy's
    /// "oldest readable version"): a bump that only adds columns keeps it; one that changes
    /// a column's meaning raises it to the new version. `schemas/tests/golden/v{N}/` holds a
    /// file of every readable version, and a test loads each.
    pub oldest_readable: u32,
    pub doc: &'static str,
    build: fn() -> Vec<Field>,
}

impl PartialEq for Table {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.version == other.version
    }
}

impl Eq for Table {}

impl Table {
    /// The Arrow schema, with the column docs in field metadata.
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(Fields::from((self.build)())))
    }

    /// The same table under another version number: what an older or newer build would
    /// write. Used by compatibility tests.
    pub fn with_version(self, version: u32) -> Table {
        Table { version, ..self }
    }

    /// `<name>.parquet`, the one file name every stage writes this table under.
    pub fn file_name(&self) -> String {
        format!("{}.parquet", self.name)
    }

    /// This table's file in a stage directory: `<name>.parquet`, or, in a directory written
    /// before every table had its own file name, the name it had then (a dataset's
    /// `relation_instances` were `sentences.parquet`, the name of the `wikipedia` stage's
    /// table too). The reader still checks the table name recorded in the file.
    pub fn path_in(&self, dir: &Path) -> PathBuf {
        let path = dir.join(self.file_name());
        match LEGACY_FILE_NAMES.iter().find(|(t, _)| *t == self.name) {
            Some((_, old)) if !path.exists() && dir.join(old).exists() => dir.join(old),
            _ => path,
        }
    }
}

fn f(name: &str, ty: DataType, nullable: bool, doc: &str) -> Field {
    Field::new(name, ty, nullable)
        .with_metadata(HashMap::from([(FIELD_DOC.to_string(), doc.to_string())]))
}

fn utf8() -> DataType {
    DataType::Utf8
}

fn list(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(item, false)))
}

fn strukt(fields: Vec<Field>) -> DataType {
    DataType::Struct(Fields::from(fields))
}

/// Token and char spans of one mention, shared by several tables.
fn span_fields() -> Vec<Field> {
    vec![
        f(col::CHAR_START, DataType::UInt32, false, "first code point of the mention in the text"),
        f(col::CHAR_END, DataType::UInt32, false, "one past the last code point (end-exclusive)"),
        f(col::TOKEN_START, DataType::UInt32, false, "first token of the mention"),
        f(col::TOKEN_END, DataType::UInt32, false, "one past the last token (end-exclusive)"),
    ]
}

fn with_spans(mut head: Vec<Field>) -> Vec<Field> {
    head.extend(span_fields());
    head
}

/// Wikidata items and properties with their English names and coarse type.
pub const ENTITIES: Table =
    Table {
        name: "entities",
        version: 1,
        oldest_readable: 1,
        doc: "one row per Wikidata item or property of the dump (lexemes are skipped)",
        build: || {
            vec![
            f(col::QID, utf8(), false, "Wikidata id (Q... for items, P... for properties)"),
            f(col::KIND, utf8(), false, "`item` or `property`"),
            f(col::LABEL, utf8(), true, "English label; null when the entity has none"),
            f(col::DESCRIPTION, utf8(), true, "English description; null when none"),
            f(col::ALIASES, list(utf8()), false, "English aliases, in dump order"),
            f(col::ENWIKI_TITLE,
                utf8(),
                true,
                "title of the English Wikipedia sitelink; null when none",
            ),
            f(col::INSTANCE_OF,
                list(utf8()),
                false,
                "P31 (instance of) item ids, normal/preferred rank",
            ),
            f(col::SUBCLASS_OF,
                list(utf8()),
                false,
                "P279 (subclass of) item ids, normal/preferred rank",
            ),
            f(col::COARSE_TYPE,
                utf8(),
                false,
                "spaCy-style type (PERSON, ORG, GPE, ...) derived from instance_of through the \
                 versioned root-class table, or UNK",
            ),
        ]
        },
    };

/// Item-valued Wikidata statements between two items.
pub const CLAIMS: Table = Table {
    name: "claims",
    version: 1,
    oldest_readable: 1,
    doc: "one row per item-valued main-snak statement (snaktype value, rank not deprecated)",
    build: || {
        vec![
            f(col::HEAD, utf8(), false, "subject item id"),
            f(col::PROPERTY, utf8(), false, "property id, e.g. P131"),
            f(col::TAIL, utf8(), false, "object item id"),
            f(
                col::RANK,
                utf8(),
                false,
                "`preferred` or `normal` (deprecated statements are dropped)",
            ),
        ]
    },
};

/// Wikidata properties: the relation labels.
pub const PROPERTIES: Table = Table {
    name: "properties",
    version: 1,
    oldest_readable: 1,
    doc: "one row per property of the relation set",
    build: || {
        vec![
            f(col::PID, utf8(), false, "property id, e.g. P131"),
            f(col::LABEL, utf8(), true, "English label"),
            f(col::DESCRIPTION, utf8(), true, "English description"),
            f(
                col::SOURCE,
                utf8(),
                false,
                "`dump` when read from the dump, `bundled` from pid2name.json",
            ),
        ]
    },
};

/// Wikipedia pages of namespace 0 that are not redirects.
pub const PAGES: Table = Table {
    name: "pages",
    version: 1,
    oldest_readable: 1,
    doc: "one row per article (namespace 0, not a redirect)",
    build: || {
        vec![
            f(col::PAGE_ID, DataType::Int64, false, "MediaWiki page id"),
            f(col::TITLE, utf8(), false, "page title as in the dump (spaces, not underscores)"),
            f(col::NAMESPACE, DataType::Int32, false, "MediaWiki namespace (always 0 here)"),
            f(col::REVISION_ID, DataType::Int64, false, "id of the dumped revision"),
            f(col::TIMESTAMP, utf8(), false, "revision timestamp, ISO 8601 UTC as in the dump"),
            f(col::NUM_SENTENCES, DataType::UInt32, false, "sentences kept from this page"),
        ]
    },
};

/// Redirect pages: title -> target.
pub const REDIRECTS: Table = Table {
    name: "redirects",
    version: 1,
    oldest_readable: 1,
    doc: "one row per redirect page of namespace 0",
    build: || {
        vec![
            f(col::PAGE_ID, DataType::Int64, false, "page id of the redirect page"),
            f(col::TITLE, utf8(), false, "title of the redirect page (normalised)"),
            f(col::TARGET, utf8(), false, "normalised target title (fragment dropped)"),
        ]
    },
};

/// Clean sentences with their tokens and anchors.
pub const SENTENCES: Table = Table {
    name: "sentences",
    version: 1,
    oldest_readable: 1,
    doc: "one row per sentence of a page's kept contexts, in page order",
    build: || {
        vec![
            f(col::PAGE_ID, DataType::Int64, false, "page the sentence comes from"),
            f(
                col::SENTENCE_INDEX,
                DataType::UInt32,
                false,
                "0-based position of the sentence in its page",
            ),
            f(
                col::CONTEXT,
                utf8(),
                false,
                "`paragraph` or `list` (which wikitext context it came from)",
            ),
            f(col::TEXT, utf8(), false, "plain text of the sentence, markup removed"),
            f(
                col::TOKENS,
                list(utf8()),
                false,
                "words with punctuation split off (CP/Wiki80 style)",
            ),
            f(
                col::TOKEN_STARTS,
                list(DataType::UInt32),
                false,
                "code-point offset of each token's start",
            ),
            f(
                col::TOKEN_ENDS,
                list(DataType::UInt32),
                false,
                "code-point offset one past each token",
            ),
            f(
                col::ANCHORS,
                list(strukt(with_spans(vec![f(
                    col::TARGET,
                    utf8(),
                    false,
                    "normalised link target title (redirects not yet resolved)",
                )]))),
                false,
                "wiki links inside the sentence with their spans",
            ),
        ]
    },
};

/// Linked entity mentions.
pub const MENTIONS: Table = Table {
    name: "mentions",
    version: 1,
    oldest_readable: 1,
    doc: "one row per linked entity mention of a sentence; rows in sentence order (the pages in \
          the order of the sentences table, then sentence_index, then char_start), which \
          `dataset` relies on and checks (a mention left over after the last sentence is an \
          error naming the file)",
    build: || {
        with_spans(vec![
            f(col::PAGE_ID, DataType::Int64, false, "page of the sentence"),
            f(col::SENTENCE_INDEX, DataType::UInt32, false, "sentence within the page"),
            f(col::QID, utf8(), false, "linked Wikidata item"),
            f(col::SURFACE, utf8(), false, "the mention's text"),
            f(
                col::SOURCE,
                utf8(),
                false,
                "`anchor` (wiki link) or `name-match` (detector + names)",
            ),
            f(
                col::ENTITY_TYPE,
                utf8(),
                false,
                "coarse type from the entity table, else the detector's",
            ),
        ])
    },
};

fn entity_struct(doc: &str, name: &str) -> Field {
    f(
        name,
        strukt(with_spans(vec![
            f(col::QID, utf8(), false, "Wikidata item id"),
            f(col::NAME, utf8(), false, "the mention's surface text"),
            f(col::TYPE, utf8(), false, "coarse entity type"),
        ])),
        false,
        doc,
    )
}

/// The dataset rows: one sentence expressing one relation between two linked mentions.
pub const RELATION_INSTANCES: Table = Table {
    name: "relation_instances",
    version: 1,
    oldest_readable: 1,
    doc: "one row per (sentence, head mention, tail mention, relation), sorted by relation, \
          entity pair, sentence id",
    build: || {
        vec![
            f(col::ROW_ID, DataType::Int64, false, "0-based row number in the sorted file"),
            f(
                col::RELATION,
                utf8(),
                false,
                "Wikidata property id of the claim (head, relation, tail)",
            ),
            f(col::TEXT, utf8(), false, "sentence text"),
            f(col::TOKENS, list(utf8()), false, "sentence tokens"),
            entity_struct("head entity and its span", col::HEAD),
            entity_struct("tail entity and its span", col::TAIL),
            f(
                col::MENTIONS,
                list(strukt(with_spans(vec![
                    f(col::QID, utf8(), false, "linked item"),
                    f(
                        col::SOURCE,
                        utf8(),
                        false,
                        "`anchor`, `name-match`, or `import` (a record of `pipeline import`)",
                    ),
                ]))),
                false,
                "every linked mention of the sentence",
            ),
            f(col::PAGE_ID, DataType::Int64, false, "provenance: page id"),
            f(col::REVISION_ID, DataType::Int64, false, "provenance: revision id"),
            f(col::SENTENCE_INDEX, DataType::UInt32, false, "provenance: sentence within the page"),
            f(col::DUMP, utf8(), false, "provenance: name of the Wikipedia dump file"),
        ]
    },
};

/// The relation scope table (the original rel2scope.json).
pub const RELATIONS: Table = Table {
    name: "relations",
    version: 1,
    oldest_readable: 1,
    doc: "one row per relation: its contiguous row range in relation_instances.parquet; rows \
          in row order (each row_start is the previous row_end, the first 0), which the \
          trainer checks",
    build: || {
        vec![
            f(col::RELATION, utf8(), false, "property id"),
            f(col::LABEL, utf8(), true, "English label of the property"),
            f(col::NUM_SENTENCES, DataType::Int64, false, "rows of this relation"),
            f(col::NUM_PAIRS, DataType::Int64, false, "distinct (head, tail) pairs"),
            f(col::ROW_START, DataType::Int64, false, "first row_id of the relation"),
            f(col::ROW_END, DataType::Int64, false, "one past its last row_id (end-exclusive)"),
        ]
    },
};

/// Entity-pair bags for MTB (the original entpair2scope.json + entpair2negpair.json).
pub const PAIRS: Table = Table {
    name: "pairs",
    version: 1,
    oldest_readable: 1,
    doc: "one row per (relation, head, tail) bag with its row range and hard negatives; rows \
          in pair_id order (pair_id = position), and in row order (each row_start is the \
          previous row_end, the first 0), which the trainer checks",
    build: || {
        vec![
            f(col::PAIR_ID, DataType::Int64, false, "0-based id of this bag"),
            f(col::RELATION, utf8(), false, "property id"),
            f(col::HEAD, utf8(), false, "head item id"),
            f(col::TAIL, utf8(), false, "tail item id"),
            f(col::ROW_START, DataType::Int64, false, "first row_id of the bag"),
            f(col::ROW_END, DataType::Int64, false, "one past its last row_id (end-exclusive)"),
            f(
                col::NEGATIVES,
                list(DataType::Int64),
                false,
                "pair_ids of bags sharing the head or the tail but not both (MTB hard negatives)",
            ),
        ]
    },
};

/// The anchor prior of `link`: how often each anchor text links to each item.
pub const ANCHOR_PRIOR: Table = Table {
    name: "anchor_prior",
    version: 1,
    oldest_readable: 1,
    doc: "one row per (anchor surface, item) over the linked pages' resolved anchors, sorted by \
          surface then qid (byte order); shards' tables add up row by row (`pipeline prior-merge`)",
    build: || {
        vec![
            f(col::SURFACE, utf8(), false, "the anchor's text as it appears in the sentence"),
            f(col::QID, utf8(), false, "the item the anchor's target resolves to"),
            f(col::COUNT, DataType::UInt64, false, "number of such anchors"),
        ]
    },
};

/// File names that tables had before each had its own (read by `Table::path_in`).
const LEGACY_FILE_NAMES: [(&str, &str); 1] = [("relation_instances", "sentences.parquet")];

/// Every table of the contract.
pub const ALL_TABLES: [Table; 11] = [
    ENTITIES,
    CLAIMS,
    PROPERTIES,
    PAGES,
    REDIRECTS,
    SENTENCES,
    MENTIONS,
    RELATION_INSTANCES,
    RELATIONS,
    PAIRS,
    ANCHOR_PRIOR,
];

/// Looks a table up by name.
pub fn by_name(name: &str) -> Option<Table> {
    ALL_TABLES.iter().copied().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_docs(fields: &Fields, table: &str) {
        for field in fields {
            let doc = field.metadata().get(FIELD_DOC).map(String::as_str).unwrap_or("");
            assert!(!doc.trim().is_empty(), "{table}.{} has no doc", field.name());
            match field.data_type() {
                DataType::Struct(inner) => check_docs(inner, table),
                DataType::List(item) => {
                    if let DataType::Struct(inner) = item.data_type() {
                        check_docs(inner, table)
                    }
                }
                _ => {}
            }
        }
    }

    #[test]
    fn every_column_is_documented_and_names_are_unique() {
        let mut names = std::collections::HashSet::new();
        for t in ALL_TABLES {
            assert!(names.insert(t.name), "duplicate table {}", t.name);
            let schema = t.schema();
            check_docs(schema.fields(), t.name);
            let mut cols = std::collections::HashSet::new();
            for field in schema.fields() {
                assert!(cols.insert(field.name().clone()), "{}.{} twice", t.name, field.name());
            }
        }
    }

    #[test]
    fn spans_are_declared_end_exclusive() {
        let s = SENTENCES.schema();
        let anchors = s.field_with_name("anchors").unwrap();
        let DataType::List(item) = anchors.data_type() else { panic!("anchors not a list") };
        let DataType::Struct(fields) = item.data_type() else { panic!("anchor not a struct") };
        let end = fields.iter().find(|f| f.name() == "char_end").unwrap();
        assert!(end.metadata()[FIELD_DOC].contains("end-exclusive"));
    }

    /// Writes an empty `table` file under `dir` (as a build of that table's version would).
    fn write_empty(dir: &std::path::Path, table: Table) -> std::path::PathBuf {
        let path = dir.join(table.file_name());
        let prov = crate::Provenance::new("wikirel-test", "compat");
        let sink = crate::ParquetSink::create(&path, table, &prov, &Default::default()).unwrap();
        sink.finish().unwrap();
        path
    }

    #[test]
    fn a_column_doc_edit_changes_no_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_empty(dir.path(), SENTENCES);
        // The same table with every doc (nested struct fields included) rewritten.
        fn redoc(fields: Vec<Field>) -> Vec<Field> {
            fields
                .into_iter()
                .map(|f| {
                    let ty = match f.data_type() {
                        DataType::List(item) => match item.data_type() {
                            DataType::Struct(fs) => {
                                list(strukt(redoc(fs.iter().map(|x| x.as_ref().clone()).collect())))
                            }
                            _ => f.data_type().clone(),
                        },
                        _ => f.data_type().clone(),
                    };
                    let doc = format!("edited: {}", f.metadata()[FIELD_DOC]);
                    Field::new(f.name(), ty, f.is_nullable())
                        .with_metadata(HashMap::from([(FIELD_DOC.to_string(), doc)]))
                })
                .collect()
        }
        let edited = Table { build: || redoc((SENTENCES.build)()), ..SENTENCES };
        assert_ne!(edited.schema(), SENTENCES.schema(), "the docs must differ");
        crate::open_table(&path, edited, 16).expect("a doc edit is not a schema change");
    }

    #[test]
    fn versions_from_the_oldest_readable_to_the_current_load_and_no_others() {
        let dir = tempfile::tempdir().unwrap();
        // A version-3 build that reads back to version 2 and added `rank` in version 3.
        let v3 = Table { version: 3, oldest_readable: 2, ..CLAIMS };
        let v2 = Table {
            version: 2,
            build: || (CLAIMS.build)().into_iter().filter(|f| f.name() != "rank").collect(),
            ..CLAIMS
        };
        for (v, ok) in [(1, false), (2, true), (3, true), (4, false)] {
            let t = if v == 2 { v2 } else { Table { version: v, ..CLAIMS } };
            let sub = dir.path().join(v.to_string());
            std::fs::create_dir_all(&sub).unwrap();
            let path = write_empty(&sub, t);
            let got = crate::open_table(&path, v3, 16);
            assert_eq!(got.is_ok(), ok, "version {v}: {:?}", got.err());
        }
        // Version 2's file offers its own columns, not the later one.
        let r = crate::open_table_columns(&dir.path().join("2/claims.parquet"), v3, 16, &["rank"]);
        assert!(r.err().unwrap().to_string().contains("no column rank (file version 2)"));
        // A file of the current version must have all of its columns.
        let path = write_empty(&dir.path().join("2"), Table { version: 3, ..v2 });
        assert!(crate::open_table(&path, v3, 16).is_err());
    }
}
