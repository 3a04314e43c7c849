//! The data contract of wikirel.
//!
//! Every stage writes its tables as Parquet through [`ParquetSink`] and reads them through
//! [`open_table`]: stages never share anything else. Each file carries, in its key-value
//! metadata, the table name, the schema version of that table and a provenance record, and
//! every reader refuses a file whose version it does not know, naming the file and both
//! versions, instead of misreading it.
pub mod col;
pub mod error;
pub mod ids;
mod list_leaf;
pub mod provenance;
pub mod reader;
pub mod rows;
pub mod tables;
pub mod writer;

pub use error::SchemaError;
pub use ids::{NotAQid, Qid};
pub use provenance::Provenance;
pub use reader::{open_table, open_table_columns, read_all, TableReader};
pub use tables::{Table, ALL_TABLES};
pub use writer::{ParquetSink, SinkOptions};

/// Key-value metadata key holding the table name (e.g. `sentences`).
pub const META_TABLE: &str = "wikirel.table";
/// Key-value metadata key holding the table's schema version (an integer, as text).
pub const META_VERSION: &str = "wikirel.schema_version";
/// Key-value metadata key holding the provenance JSON ([`Provenance`]).
pub const META_PROVENANCE: &str = "wikirel.provenance";
/// Arrow field-metadata key holding a column's documentation (visible in DuckDB/pyarrow).
pub const FIELD_DOC: &str = "doc";
