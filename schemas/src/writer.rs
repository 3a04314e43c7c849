//! The one Parquet writer every stage uses.
//!
//! - zstd compression, set explicitly (the parquet crate's default is no compression), or
//!   LZ4_RAW or none for the columns named;
//! - bounded row groups, so readers can stream a file group by group;
//! - table name, schema version and provenance in the key-value metadata;
//! - written to `.<name>.partial` next to the destination and renamed only by
//!   [`ParquetSink::finish`]: a crashed or failed run never leaves a truncated file under the
//!   real name, and dropping an unfinished sink deletes the partial file;
//! - each row group handed to the kernel's writeback as soon as it is written, so the `fsync`
//!   before the rename waits for the last group only.
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow::array::{Array, ArrayRef, AsArray, ListArray};
use arrow::datatypes::{DataType, Field, SchemaRef};
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use parquet::arrow::arrow_writer::{
    compute_leaves, ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory,
};
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression, Encoding, Type as PhysicalType, ZstdLevel};
use parquet::column::writer::ColumnCloseResult;
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterPropertiesPtr};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{ColumnDescPtr, ColumnPath, SchemaDescriptor};

use crate::error::SchemaError;
use crate::list_leaf::{LeafSize, ListEncoding, ListLeaf};
use crate::provenance::Provenance;
use crate::tables::Table;
use crate::{META_PROVENANCE, META_TABLE, META_VERSION};

/// Tunables of a sink. The defaults suit every table.
#[derive(Debug, Clone)]
pub struct SinkOptions {
    /// Rows per row group at most (readers hold about one group in memory at a time).
    pub max_row_group_rows: usize,
    /// zstd level (1-22).
    pub zstd_level: i32,
    /// Columns (by name) the rows are sorted by, ascending; declared in each row group.
    pub sorted_by: Vec<String>,
    /// Leaf columns (dotted Parquet paths, e.g. `tokens.list.item`) written without min/max
    /// statistics: free text nobody filters on, where computing them only costs CPU.
    pub no_statistics: Vec<String>,
    /// Leaf columns written without dictionary encoding: nearly every value is distinct, so
    /// interning them only costs CPU before the writer falls back to plain encoding.
    pub no_dictionary: Vec<String>,
    /// Integer leaf columns written `DELTA_BINARY_PACKED`, without dictionary or compression:
    /// for ascending offsets (a sentence's token starts and ends) the bit-packed deltas are as
    /// small as the dictionary indices compressed by zstd, for less CPU (issue 19).
    pub delta_packed: Vec<String>,
    /// `List<Utf8>` leaves (`tokens.list.item`) dictionary-encoded by wikirel's own encoder
    /// ([`crate::list_leaf`]) instead of the parquet crate's: for many short values (tokens)
    /// it interns for a fraction of the CPU. The leaf must be a top-level non-null list of
    /// non-null items, or a non-null `Utf8` field of the non-null structs of such a list
    /// (`anchors.list.item.target`), whose other fields are all own leaves too; and named in
    /// `no_statistics` (these encoders write none).
    pub own_dictionary: Vec<String>,
    /// `List<UInt32>` leaves written `DELTA_BINARY_PACKED` and uncompressed (as `delta_packed`)
    /// by wikirel's own encoder, `UInt32` struct fields in a list as well; the same conditions
    /// as `own_dictionary`.
    pub own_delta: Vec<String>,
    /// Top-level non-null `Utf8` columns (`text`) written PLAIN and `LZ4_RAW` in 64 KiB pages
    /// by wikirel's own encoder ([`crate::list_leaf`]'s `PlainText`): what `lz4` gives through
    /// the crate's writer, for less CPU. Named in `no_statistics` too, and in no other
    /// encoding or compression option.
    pub own_text: Vec<String>,
    /// Leaf columns written without compression: where zstd gains little for its CPU (the
    /// bit-packed dictionary indices of `tokens`, issue 19).
    pub uncompressed: Vec<String>,
    /// Leaf columns compressed with `LZ4_RAW` instead of zstd: large free text, where zstd's
    /// entropy coding is most of its CPU and LZ4 keeps most of the ratio (issue 19).
    /// Written in 64 KiB data pages (`LZ4_PAGE_BYTES`). Not for the own encoders' leaves:
    /// `own_text` is LZ4_RAW by itself (the sentences' `text` now goes that way), the list
    /// leaves compress with zstd or not at all.
    pub lz4: Vec<String>,
}

/// Data page size limit of the `lz4` columns (the crate ends a page after the mini-batch of
/// 1,024 values that passes it). At the crate's default of 1 MiB the page buffer, the
/// compressor's output and the column chunk's buffer each grew past the L2 cache by doubling,
/// a copy at each step. With 64 KiB pages (and the list leaves' larger room) the wikipedia
/// stage had 9% fewer simulated L2 misses (cachegrind, 2 MiB L2, the real dump x20), 20 MB
/// less peak RSS and ~0.94x the CPU (paired runs), for 0.2% more instructions and a 0.8%
/// larger file (issue 19). LZ4 looks back 64 KiB at most: larger pages would gain it little.
/// `own_text` columns are cut at the same size (`list_leaf::PlainText`).
pub(crate) const LZ4_PAGE_BYTES: usize = 64 * 1024;

/// Bytes gathered before a `write` to the file: a few hundred calls per 100 MB, and a buffer
/// that stays in the L2 cache between the copy into it and the kernel's copy out of it.
const FILE_BUFFER_BYTES: usize = 256 * 1024;

impl Default for SinkOptions {
    fn default() -> Self {
        SinkOptions {
            max_row_group_rows: 64 * 1024,
            zstd_level: 3,
            sorted_by: Vec::new(),
            no_statistics: Vec::new(),
            no_dictionary: Vec::new(),
            delta_packed: Vec::new(),
            own_dictionary: Vec::new(),
            own_delta: Vec::new(),
            own_text: Vec::new(),
            uncompressed: Vec::new(),
            lz4: Vec::new(),
        }
    }
}

/// A dotted leaf path (`anchors.list.item.target`) as Parquet's column path.
fn column_path(dotted: &str) -> ColumnPath {
    ColumnPath::new(dotted.split('.').map(str::to_string).collect())
}

/// A Parquet file being written for one table of the contract.
///
/// The rows are encoded as they arrive into the current row group's column writers (the parquet
/// crate's Arrow column writers, or [`ListLeaf`] for the `own_*` leaves), and a full
/// group is spliced into the file: what `ArrowWriter` does, with one encoder swapped.
pub struct ParquetSink {
    file: Option<SerializedFileWriter<BufWriter<File>>>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    /// Per top-level field: whether [`ListLeaf`]s encode its leaves (all of them, or none).
    own: Vec<bool>,
    /// Per leaf: its encoding when a [`ListLeaf`] encodes it.
    own_leaves: Vec<Option<ListEncoding>>,
    /// Per leaf: what its [`ListLeaf`] held in the last row group, the next one's room.
    own_room: Vec<LeafSize>,
    group: Option<Group>,
    max_group_rows: usize,
    table: Table,
    partial: PathBuf,
    dest: PathBuf,
    rows: u64,
}

/// The row group being encoded.
struct Group {
    leaves: Vec<LeafWriter>,
    rows: usize,
}

enum LeafWriter {
    Arrow(Box<ArrowColumnWriter>),
    Own(ListLeaf),
}

/// The type of the items a leaf of `field` holds when [`ListLeaf`] can encode it as a list
/// leaf: `field` is a `List` of non-null items, and the leaf at `path` is its one leaf
/// (`single`), or the leaf of one non-null field of its items, non-null structs whose fields
/// are leaves (levels (1, 1) either way, checked by the caller).
fn list_leaf_item<'a>(field: &'a Field, path: &[String], single: bool) -> Option<&'a DataType> {
    let DataType::List(item) = field.data_type() else { return None };
    if item.is_nullable() {
        return None;
    }
    match item.data_type() {
        DataType::Struct(fields) => {
            let [_, _, _, name] = path else { return None };
            let child = fields.iter().find(|f| f.name() == name)?;
            (!child.is_nullable()).then(|| child.data_type())
        }
        other => single.then_some(other),
    }
}

/// The arrays the [`ListLeaf`]s of an own column take, one per leaf: the column itself, or
/// for a list of structs a list of each field's values, on the same offsets.
fn leaf_lists(column: &ArrayRef) -> parquet::errors::Result<Vec<ArrayRef>> {
    let general = |msg: String| parquet::errors::ParquetError::General(msg);
    let Some(list) = column.as_list_opt::<i32>() else { return Ok(vec![column.clone()]) };
    let Some(items) = list.values().as_struct_opt() else { return Ok(vec![column.clone()]) };
    if list.null_count() > 0 || items.null_count() > 0 {
        return Err(general("a null list or list item in a non-null column".into()));
    }
    items
        .columns()
        .iter()
        .map(|values| {
            let item = Arc::new(Field::new_list_field(values.data_type().clone(), false));
            let list = ListArray::try_new(item, list.offsets().clone(), values.clone(), None)
                .map_err(|e| general(e.to_string()))?;
            Ok(Arc::new(list) as ArrayRef)
        })
        .collect()
}

fn partial_path(dest: &Path) -> PathBuf {
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    dest.with_file_name(format!(".{name}.partial"))
}

impl ParquetSink {
    /// Starts writing `table` to `dest` (created on [`finish`](Self::finish)).
    pub fn create(
        dest: &Path,
        table: Table,
        provenance: &Provenance,
        options: &SinkOptions,
    ) -> Result<Self, SchemaError> {
        let schema = table.schema();
        let partial = partial_path(dest);
        let pq = |source| SchemaError::Parquet { path: partial.clone(), source };
        let mut sorting = Vec::new();
        for col in &options.sorted_by {
            let idx = schema.index_of(col).map_err(|e| SchemaError::SchemaMismatch {
                path: dest.to_path_buf(),
                table: table.name.into(),
                detail: format!("sort column {col}: {e}"),
            })?;
            sorting.push(SortingColumn {
                column_idx: idx as i32,
                descending: false,
                nulls_first: false,
            });
        }
        // A column option naming no leaf column would silently do nothing: refuse it.
        let leaves = ArrowSchemaConverter::new().convert(&schema).map_err(pq)?;
        let refuse = |detail: String| SchemaError::SchemaMismatch {
            path: dest.to_path_buf(),
            table: table.name.into(),
            detail,
        };
        let named = options.no_statistics.iter().chain(&options.no_dictionary);
        let named = named.chain(&options.delta_packed);
        let named = named.chain(&options.own_dictionary).chain(&options.own_delta);
        let named = named.chain(&options.own_text);
        let named = named.chain(&options.uncompressed).chain(&options.lz4);
        let mut own_leaves = vec![None; leaves.num_columns()];
        for c in named {
            let Some(i) = leaves.columns().iter().position(|l| l.path().string() == *c) else {
                return Err(refuse(format!("column option for {c}, which is no leaf column")));
            };
            let leaf = leaves.column(i);
            let integer = matches!(leaf.physical_type(), PhysicalType::INT32 | PhysicalType::INT64);
            if options.delta_packed.contains(c) && !integer {
                return Err(refuse(format!("delta packing asked for {c}, which is no integer")));
            }
            if options.lz4.contains(c) && options.uncompressed.contains(c) {
                return Err(refuse(format!("{c} is named both uncompressed and lz4")));
            }
            if options.lz4.contains(c) && options.delta_packed.contains(c) {
                return Err(refuse(format!("{c} is named both delta_packed and lz4")));
            }
            let owners = [&options.own_dictionary, &options.own_delta, &options.own_text];
            let encoding = match owners.map(|o| o.contains(c)) {
                [true, false, false] => ListEncoding::Dictionary,
                [false, true, false] => ListEncoding::Delta,
                [false, false, true] => ListEncoding::Text,
                [false, false, false] => continue,
                _ => return Err(refuse(format!("{c} is named in two own_* options"))),
            };
            let root = leaves.get_column_root_idx(i);
            let field = schema.field(root);
            let single =
                (0..leaves.num_columns()).all(|j| j == i || leaves.get_column_root_idx(j) != root);
            let levels = (leaf.max_rep_level(), leaf.max_def_level());
            let (want, ty, others) = match encoding {
                // A non-null list of non-null items: levels (1, 1).
                ListEncoding::Dictionary => ((1, 1), "Utf8", &options.no_dictionary),
                ListEncoding::Delta => ((1, 1), "UInt32", &options.no_dictionary),
                // Its codec is LZ4_RAW: named uncompressed, it would be neither.
                ListEncoding::Text => ((0, 0), "Utf8", &options.uncompressed),
            };
            // The type of the leaf's values: a text column's own, a list leaf's item type.
            let values = match encoding {
                ListEncoding::Text => single.then_some(field.data_type()),
                _ => list_leaf_item(field, leaf.path().parts(), single),
            };
            let shape = levels == want
                && !field.is_nullable()
                && values.is_some_and(|ty| encoding.accepts(ty));
            if !shape
                || others.contains(c)
                || options.delta_packed.contains(c)
                || options.lz4.contains(c)
                || !options.no_statistics.contains(c)
            {
                return Err(refuse(format!(
                    "own encoder asked for {c}, which is neither the one leaf of a non-null \
                     List<{ty}> column (a top-level {ty} column for text) nor a non-null {ty} \
                     field of the non-null structs of a non-null List<Struct> column; or is \
                     not named in no_statistics, or is named in another encoding (lz4, \
                     delta_packed, uncompressed or no_dictionary as it applies)"
                )));
            }
            own_leaves[i] = Some(encoding);
        }
        // A column's leaves are all encoded here or all by the crate's writers (which take a
        // whole column at a time).
        let mut own = vec![false; schema.fields().len()];
        for (i, leaf) in own_leaves.iter().enumerate() {
            own[leaves.get_column_root_idx(i)] |= leaf.is_some();
        }
        for (i, leaf) in own_leaves.iter().enumerate() {
            if leaf.is_none() && own[leaves.get_column_root_idx(i)] {
                let path = leaves.column(i).path().string();
                return Err(refuse(format!(
                    "own encoders asked for some leaves of a column but not for {path}"
                )));
            }
        }
        let provenance_json = serde_json::to_string(provenance).unwrap_or_default();
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(options.zstd_level).map_err(pq)?))
            .set_max_row_group_row_count(Some(options.max_row_group_rows.max(1)))
            .set_sorting_columns((!sorting.is_empty()).then_some(sorting))
            .set_key_value_metadata(Some(vec![
                KeyValue::new(META_TABLE.into(), table.name.to_string()),
                KeyValue::new(META_VERSION.into(), table.version.to_string()),
                KeyValue::new(META_PROVENANCE.into(), provenance_json),
            ]))
            .set_created_by(format!("wikirel {}", env!("CARGO_PKG_VERSION")));
        let props = options.no_statistics.iter().fold(props, |p, c| {
            p.set_column_statistics_enabled(column_path(c), EnabledStatistics::None)
        });
        let props = options
            .no_dictionary
            .iter()
            .fold(props, |p, c| p.set_column_dictionary_enabled(column_path(c), false));
        let props = options.delta_packed.iter().fold(props, |p, c| {
            p.set_column_dictionary_enabled(column_path(c), false)
                .set_column_encoding(column_path(c), Encoding::DELTA_BINARY_PACKED)
                .set_column_compression(column_path(c), Compression::UNCOMPRESSED)
        });
        let props = options.own_delta.iter().chain(&options.uncompressed).fold(props, |p, c| {
            p.set_column_compression(column_path(c), Compression::UNCOMPRESSED)
        });
        let props = options
            .own_text
            .iter()
            .fold(props, |p, c| p.set_column_compression(column_path(c), Compression::LZ4_RAW));
        let props = options
            .lz4
            .iter()
            .fold(props, |p, c| {
                p.set_column_compression(column_path(c), Compression::LZ4_RAW)
                    .set_column_data_page_size_limit(column_path(c), LZ4_PAGE_BYTES)
            })
            .build();
        if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|source| SchemaError::Io { path: parent.to_path_buf(), source })?;
        }
        let file = File::create(&partial)
            .map_err(|source| SchemaError::Io { path: partial.clone(), source })?;
        // The crate copies each column chunk into the file 8 KiB at a time, and each piece
        // was a `write` call of its own (43k of them for the wikipedia stage's 365 MB on the
        // real dump x80, issue 19): gathered into larger writes here.
        let file = BufWriter::with_capacity(FILE_BUFFER_BYTES, file);
        // ArrowWriter sets the file up (Parquet schema, the Arrow schema in the metadata); the
        // row groups are then written here.
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(pq)?;
        let (file, factory) = writer.into_serialized_writer().map_err(pq)?;
        Ok(ParquetSink {
            file: Some(file),
            factory,
            schema,
            own_room: vec![LeafSize::default(); leaves.num_columns()],
            own,
            own_leaves,
            group: None,
            max_group_rows: options.max_row_group_rows.max(1),
            table,
            partial,
            dest: dest.to_path_buf(),
            rows: 0,
        })
    }

    /// Appends a batch; its schema must equal the table's (column docs included).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), SchemaError> {
        let expected = self.table.schema();
        if batch.schema().fields() != expected.fields() {
            return Err(SchemaError::SchemaMismatch {
                path: self.dest.clone(),
                table: self.table.name.into(),
                detail: format!(
                    "batch columns {:?}",
                    batch.schema().fields().iter().map(|f| f.name()).collect::<Vec<_>>()
                ),
            });
        }
        self.write_rows(batch)
            .map_err(|source| SchemaError::Parquet { path: self.partial.clone(), source })?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Encodes `batch` into row groups of at most `max_group_rows`, splicing each full one
    /// into the file.
    fn write_rows(&mut self, batch: &RecordBatch) -> parquet::errors::Result<()> {
        let mut rest = batch.clone();
        while rest.num_rows() > 0 {
            if self.group.is_none() {
                let file = self.file.as_ref().expect("sink used after finish");
                let arrow = self.factory.create_column_writers(file.flushed_row_groups().len())?;
                // The first group's own leaves are sized from the first rows.
                let first = match file.flushed_row_groups().is_empty() {
                    true => self.own_leaf_arrays(file.schema_descr(), &rest)?,
                    false => Vec::new(),
                };
                let leaves = arrow
                    .into_iter()
                    .zip(&self.own_leaves)
                    .enumerate()
                    .map(|(i, (w, own))| match own {
                        Some(encoding) => {
                            let room = match first.get(i) {
                                Some(Some(array)) => {
                                    LeafSize::first(array, rest.num_rows(), self.max_group_rows)
                                }
                                _ => self.own_room[i],
                            };
                            LeafWriter::Own(ListLeaf::with_room(*encoding, room))
                        }
                        None => LeafWriter::Arrow(Box::new(w)),
                    })
                    .collect();
                self.group = Some(Group { leaves, rows: 0 });
            }
            let group = self.group.as_mut().expect("created above");
            let take = rest.num_rows().min(self.max_group_rows - group.rows);
            let now = rest.slice(0, take);
            rest = rest.slice(take, rest.num_rows() - take);
            let mut leaves = group.leaves.iter_mut();
            let fields = self.schema.fields().iter().zip(&self.own);
            for ((field, &own), column) in fields.zip(now.columns()) {
                // A column ListLeafs encode takes a list array per leaf.
                if own {
                    for array in leaf_lists(column)? {
                        match leaves.next() {
                            Some(LeafWriter::Own(d)) => d.push(array.as_ref())?,
                            _ => unreachable!("the leaves follow the schema"),
                        }
                    }
                    continue;
                }
                for leaf in compute_leaves(field, column)? {
                    match leaves.next() {
                        Some(LeafWriter::Arrow(w)) => w.write(&leaf)?,
                        _ => unreachable!("the leaves follow the schema"),
                    }
                }
            }
            group.rows += take;
            if group.rows >= self.max_group_rows {
                self.flush_group()?;
            }
        }
        Ok(())
    }

    /// Per leaf of `batch`: the list array its [`ListLeaf`] takes, if one encodes it.
    fn own_leaf_arrays(
        &self,
        descr: &SchemaDescriptor,
        batch: &RecordBatch,
    ) -> parquet::errors::Result<Vec<Option<ArrayRef>>> {
        let mut arrays = vec![None; descr.num_columns()];
        // A column's leaves are consecutive; an own column's are its `leaf_lists`, in order.
        let mut leaf = 0;
        while leaf < descr.num_columns() {
            let root = descr.get_column_root_idx(leaf);
            if self.own[root] {
                for (slot, array) in arrays[leaf..].iter_mut().zip(leaf_lists(batch.column(root))?)
                {
                    *slot = Some(array);
                }
            }
            while leaf < descr.num_columns() && descr.get_column_root_idx(leaf) == root {
                leaf += 1;
            }
        }
        Ok(arrays)
    }

    /// Closes the current row group's column writers and splices their chunks into the file.
    fn flush_group(&mut self) -> parquet::errors::Result<()> {
        let Some(group) = self.group.take() else { return Ok(()) };
        for (room, leaf) in self.own_room.iter_mut().zip(&group.leaves) {
            if let LeafWriter::Own(leaf) = leaf {
                // Its `chunk_bytes` is set below, once the chunk is encoded.
                *room = leaf.size();
            }
        }
        let file = self.file.as_mut().expect("sink used after finish");
        let descr = file.schema_descr();
        let columns: Vec<_> = (0..descr.num_columns()).map(|i| descr.column(i)).collect();
        let props = file.properties().clone();
        let closed = close_leaves(group.leaves, &columns, &props)?;
        let mut row_group = file.next_row_group()?;
        for (chunk, room) in closed.into_iter().zip(self.own_room.iter_mut()) {
            match chunk {
                Closed::Arrow(chunk) => chunk.append_to_row_group(&mut row_group)?,
                Closed::Own(bytes, close) => {
                    room.chunk_bytes = bytes.len();
                    row_group.append_column(&bytes, close)?
                }
            }
        }
        row_group.close()?;
        start_writeback(file.inner().get_ref());
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Closes the file, syncs it and renames it to its destination. Returns the row count.
    pub fn finish(mut self) -> Result<u64, SchemaError> {
        let partial = self.partial.clone();
        let pq = |source| SchemaError::Parquet { path: partial.clone(), source };
        self.flush_group().map_err(pq)?;
        let writer = self.file.take().expect("finish called once");
        let file = writer.into_inner().map_err(pq)?;
        let file = file
            .into_inner()
            .map_err(|e| SchemaError::Io { path: self.partial.clone(), source: e.into_error() })?;
        file.sync_all().map_err(|source| SchemaError::Io { path: self.partial.clone(), source })?;
        std::fs::rename(&self.partial, &self.dest)
            .map_err(|source| SchemaError::Io { path: self.dest.clone(), source })?;
        Ok(self.rows)
    }
}

/// A closed leaf writer: its column chunk, ready to be spliced into the row group.
enum Closed {
    Arrow(ArrowColumnChunk),
    Own(Bytes, ColumnCloseResult),
}

/// Closes a row group's leaf writers on two threads, each taking the next leaf not yet taken:
/// closing encodes what is still buffered (the own leaves encode their whole chunk there, the
/// others their last page and dictionary page), and after the last pages are cleaned the last
/// group's close was the stage's tail with one core idle (issue 19). The chunks come back in
/// leaf order.
fn close_leaves(
    leaves: Vec<LeafWriter>,
    columns: &[ColumnDescPtr],
    props: &WriterPropertiesPtr,
) -> parquet::errors::Result<Vec<Closed>> {
    let close = |(i, leaf): (usize, LeafWriter)| match leaf {
        LeafWriter::Arrow(w) => w.close().map(Closed::Arrow),
        LeafWriter::Own(d) => {
            d.finish(columns[i].clone(), props).map(|(bytes, close)| Closed::Own(bytes, close))
        }
    };
    if leaves.len() < 2 {
        return leaves.into_iter().enumerate().map(close).collect();
    }
    let queue = Mutex::new(leaves.into_iter().enumerate());
    let work = || {
        let mut done = Vec::new();
        loop {
            // The lock is held only to take the next leaf, not while it is closed.
            let next = queue.lock().expect("no panic holds it").next();
            let Some((i, leaf)) = next else { return done };
            done.push((i, close((i, leaf))));
        }
    };
    let (mine, theirs) = std::thread::scope(|s| {
        let other = s.spawn(work);
        let mine = work();
        (mine, other.join())
    });
    let theirs = theirs.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    let mut closed: Vec<_> = mine.into_iter().chain(theirs).collect();
    closed.sort_unstable_by_key(|(i, _)| *i);
    closed.into_iter().map(|(_, c)| c).collect()
}

/// Asks the kernel to start writing the file's dirty pages to disk now, without waiting:
/// the `fsync` in [`ParquetSink::finish`] then waits for the last row group only, not the
/// whole file (it was ~0.2 s of the wikipedia stage's wall time on 73 MB, issue 19). Only a
/// hint: failure changes nothing.
fn start_writeback(file: &File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: a valid open descriptor; the call reads no memory of ours.
        unsafe {
            libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

impl Drop for ParquetSink {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            // Not finished: an error or a panic interrupted the stage. Leave nothing behind.
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}
