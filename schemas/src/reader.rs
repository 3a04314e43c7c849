//! Reading contract tables: the version check happens before any row is read.
use std::fs::File;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use arrow::datatypes::{DataType, Field};
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use crate::error::SchemaError;
use crate::provenance::Provenance;
use crate::tables::Table;
use crate::{META_PROVENANCE, META_TABLE, META_VERSION};

/// A checked, streaming reader over one table file: yields record batches of at most
/// `batch_size` rows (row group by row group, never the whole file).
pub struct TableReader {
    pub path: PathBuf,
    pub provenance: Option<Provenance>,
    pub num_rows: i64,
    pub num_row_groups: usize,
    inner: ParquetRecordBatchReader,
}

impl Iterator for TableReader {
    type Item = Result<RecordBatch, SchemaError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.inner
            .next()
            .map(|r| r.map_err(|source| SchemaError::Arrow { path: self.path.clone(), source }))
    }
}

/// Opens `path` as a `table` file: checks the table name and schema version recorded in the
/// key-value metadata and that the columns are the table's.
pub fn open_table(
    path: &Path,
    table: Table,
    batch_size: usize,
) -> Result<TableReader, SchemaError> {
    open(path, table, batch_size, None)
}

/// [`open_table`], reading only the named columns (the batches have just those, in the table's
/// order): a stage that needs a few columns of a large table decodes only those.
pub fn open_table_columns(
    path: &Path,
    table: Table,
    batch_size: usize,
    columns: &[&str],
) -> Result<TableReader, SchemaError> {
    open(path, table, batch_size, Some(columns))
}

fn open(
    path: &Path,
    table: Table,
    batch_size: usize,
    columns: Option<&[&str]>,
) -> Result<TableReader, SchemaError> {
    let file =
        File::open(path).map_err(|source| SchemaError::Io { path: path.to_path_buf(), source })?;
    let pq = |source| SchemaError::Parquet { path: path.to_path_buf(), source };
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(pq)?;
    let meta = builder.metadata().file_metadata();
    let kv = meta.key_value_metadata().cloned().unwrap_or_default();
    let get = |key: &str| kv.iter().find(|e| e.key == key).and_then(|e| e.value.clone());
    let found_table = get(META_TABLE)
        .ok_or(SchemaError::MissingMetadata { path: path.to_path_buf(), key: META_TABLE })?;
    if found_table != table.name {
        return Err(SchemaError::WrongTable {
            path: path.to_path_buf(),
            expected: table.name.into(),
            found: found_table,
        });
    }
    let found_version = get(META_VERSION)
        .ok_or(SchemaError::MissingMetadata { path: path.to_path_buf(), key: META_VERSION })?;
    let version = found_version.trim().parse::<u32>().ok();
    let Some(version) = version.filter(|v| (table.oldest_readable..=table.version).contains(v))
    else {
        return Err(SchemaError::VersionMismatch {
            path: path.to_path_buf(),
            table: table.name.into(),
            found: found_version,
            oldest: table.oldest_readable,
            expected: table.version,
        });
    };
    let expected = table.schema();
    let file_columns = columns_of(builder.schema().fields());
    let want = columns_of(expected.fields());
    // The current version has exactly the table's columns; an older readable one a subset
    // (a later version only added columns).
    let fits = if version == table.version {
        file_columns == want
    } else {
        file_columns.iter().all(|c| want.contains(c))
    };
    if !fits {
        return Err(SchemaError::SchemaMismatch {
            path: path.to_path_buf(),
            table: table.name.into(),
            detail: format!(
                "column names or types differ from those of version {version} (found {:?})",
                file_columns.iter().map(|c| &c.0).collect::<Vec<_>>()
            ),
        });
    }
    let provenance = get(META_PROVENANCE).and_then(|p| serde_json::from_str(&p).ok());
    let num_rows = meta.num_rows();
    let num_row_groups = builder.metadata().num_row_groups();
    let builder = match columns {
        None => builder,
        Some(cols) => {
            let mut roots = Vec::with_capacity(cols.len());
            for c in cols {
                let i = builder.schema().index_of(c).map_err(|_| SchemaError::SchemaMismatch {
                    path: path.to_path_buf(),
                    table: table.name.into(),
                    detail: format!("no column {c} (file version {version})"),
                })?;
                roots.push(i);
            }
            let mask = parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), roots);
            builder.with_projection(mask)
        }
    };
    let inner = builder.with_batch_size(batch_size.max(1)).build().map_err(pq)?;
    Ok(TableReader { path: path.to_path_buf(), provenance, num_rows, num_row_groups, inner })
}

/// Column names and types with every field's metadata (the column docs) removed, nested
/// fields included: docs are documentation, not part of what a reader checks.
fn columns_of(fields: &arrow::datatypes::Fields) -> Vec<(String, DataType)> {
    fields.iter().map(|f| (f.name().clone(), bare(f.data_type()))).collect()
}

fn bare(t: &DataType) -> DataType {
    let field = |f: &arrow::datatypes::FieldRef| {
        Arc::new(Field::new(f.name(), bare(f.data_type()), f.is_nullable()))
    };
    match t {
        DataType::List(f) => DataType::List(field(f)),
        DataType::LargeList(f) => DataType::LargeList(field(f)),
        DataType::FixedSizeList(f, n) => DataType::FixedSizeList(field(f), *n),
        DataType::Struct(fs) => DataType::Struct(fs.iter().map(field).collect()),
        DataType::Map(f, sorted) => DataType::Map(field(f), *sorted),
        other => other.clone(),
    }
}

/// Reads a whole (small) table into memory: for scope tables and tests, not for dumps.
pub fn read_all(path: &Path, table: Table) -> Result<Vec<RecordBatch>, SchemaError> {
    open_table(path, table, 8192)?.collect()
}
