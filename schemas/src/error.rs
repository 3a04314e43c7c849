use std::path::PathBuf;

/// Errors of the schema layer. Each names the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: parquet: {source}", path.display())]
    Parquet { path: PathBuf, source: parquet::errors::ParquetError },
    #[error("{}: arrow: {source}", path.display())]
    Arrow { path: PathBuf, source: arrow::error::ArrowError },
    #[error(
        "{}: schema version mismatch for table `{table}`: the file has version {found}, \
         this build reads version {oldest} up to version {expected}; rebuild the file with \
         this version of wikirel",
        path.display()
    )]
    VersionMismatch { path: PathBuf, table: String, found: String, oldest: u32, expected: u32 },
    #[error("{}: expected a `{expected}` table, found {found}", path.display())]
    WrongTable { path: PathBuf, expected: String, found: String },
    #[error("{}: not a wikirel file: key-value metadata `{key}` is missing", path.display())]
    MissingMetadata { path: PathBuf, key: &'static str },
    #[error("{}: columns differ from the `{table}` schema: {detail}", path.display())]
    SchemaMismatch { path: PathBuf, table: String, detail: String },
    #[error("{}: row {row}: {msg}", path.display())]
    BadRow { path: PathBuf, row: u64, msg: String },
}
