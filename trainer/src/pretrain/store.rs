//! The piece store: every row of relation_instances.parquet encoded once into word pieces with entity
//! markers ([`Body`]), written to two flat files and read back row by row with positioned
//! reads.
//!
//! Why: CP draws the two sentences of a pair from anywhere in a relation and MTB from anywhere
//! in the file, so a training step touches rows spread over every row group; decoding Parquet
//! row groups per step would re-read the whole dataset each step. The store is built by one
//! streaming pass over the row groups (memory: one record batch), and a step then costs one
//! `pread` per sentence from the OS page cache. Nothing is held in memory but the file
//! handles, so a dataset far larger than RAM trains the same way.
//!
//! Layout (little endian): `index.bin` has one 28-byte record per row (u64 offset into
//! `pieces.bin` in ids, u32 length, u32 head start/end, u32 tail start/end); `pieces.bin`
//! holds u32 ids. `meta.json`, written last inside a directory that is renamed into place,
//! names the source file and tokenizer so a stale store is rebuilt, never misread.
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, StructArray};
use arrow::datatypes::UInt32Type;
use schemas::col;
use schemas::tables::RELATION_INSTANCES;

use super::input::{body, Body, Markers};
use crate::error::{io, TrainerError};
use crate::tokenize::WordPieces;

const RECORD: usize = 28;

/// What a store was built from; a store whose meta differs is rebuilt. The source and the
/// tokenizer are identified by their contents (SHA-256), not their sizes: a dataset rebuilt
/// with other rows, or a tokenizer edited in place, can keep a file's size (issue 20). Hashing a
/// paper-scale `relation_instances.parquet` (a few hundred MB) takes about a second per run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoreMeta {
    pub format: u32,
    pub source: PathBuf,
    pub source_bytes: u64,
    pub source_sha256: String,
    pub rows: u64,
    pub tokenizer_sha256: String,
    pub vocab_size: u64,
    /// Rows whose spans could not be encoded (stored empty and never sampled twice as data:
    /// they show up in `skipped` so that a user sees them).
    pub skipped: u64,
}

pub struct PieceStore {
    pub meta: StoreMeta,
    index: File,
    pieces: File,
    dir: PathBuf,
}

/// SHA-256 of a file's contents, streamed.
fn sha256_file(path: &Path) -> Result<String, TrainerError> {
    use sha2::Digest;
    let mut f = File::open(path).map_err(io(path))?;
    let mut h = sha2::Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(io(path))?;
    Ok(hex::encode(h.finalize()))
}

/// The tokenizer's identity: the SHA-256 of `tokenizer.json`, else of `vocab.txt`.
fn tokenizer_sha256(model: &Path) -> Result<String, TrainerError> {
    match ["tokenizer.json", "vocab.txt"].iter().map(|f| model.join(f)).find(|p| p.exists()) {
        Some(p) => sha256_file(&p),
        None => Ok(String::new()),
    }
}

fn expected_meta(
    sentences: &Path,
    model: &Path,
    tok: &WordPieces,
) -> Result<StoreMeta, TrainerError> {
    let source_bytes = std::fs::metadata(sentences).map_err(io(sentences))?.len();
    Ok(StoreMeta {
        format: 2,
        source: sentences.to_path_buf(),
        source_bytes,
        source_sha256: sha256_file(sentences)?,
        rows: 0,
        tokenizer_sha256: tokenizer_sha256(model)?,
        vocab_size: tok.vocab_size() as u64,
        skipped: 0,
    })
}

fn span(col: &StructArray, row: usize) -> (usize, usize) {
    let get = |name: &str| {
        col.column_by_name(name).expect("schema-checked").as_primitive::<UInt32Type>().value(row)
            as usize
    };
    (get(col::TOKEN_START), get(col::TOKEN_END))
}

impl PieceStore {
    /// Opens the store in `dir` if it was built from `sentences` with this tokenizer, else
    /// builds it (streaming `sentences` once); `progress` is called with rows done and total.
    pub fn open_or_build(
        dir: &Path,
        sentences: &Path,
        model: &Path,
        tok: &WordPieces,
        markers: &Markers,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<Self, TrainerError> {
        let want = expected_meta(sentences, model, tok)?;
        if let Ok(text) = std::fs::read_to_string(dir.join("meta.json")) {
            if let Ok(found) = serde_json::from_str::<StoreMeta>(&text) {
                let same = StoreMeta { rows: 0, skipped: 0, ..found.clone() } == want;
                if same {
                    return Self::open(dir, found);
                }
            }
        }
        let tmp = dir.with_extension("partial");
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
        let mut reader = schemas::open_table(sentences, RELATION_INSTANCES, 1024)?;
        let total = reader.num_rows as u64;
        let ipath = tmp.join("index.bin");
        let ppath = tmp.join("pieces.bin");
        let mut index = BufWriter::new(File::create(&ipath).map_err(io(&ipath))?);
        let mut pieces = BufWriter::new(File::create(&ppath).map_err(io(&ppath))?);
        let (mut offset, mut rows, mut skipped) = (0u64, 0u64, 0u64);
        for batch in reader.by_ref() {
            let batch = batch?;
            let ids = batch.column_by_name(col::ROW_ID).expect("schema-checked");
            let ids = ids.as_primitive::<arrow::datatypes::Int64Type>();
            let tokens =
                batch.column_by_name(col::TOKENS).expect("schema-checked").as_list::<i32>();
            let head = batch.column_by_name(col::HEAD).expect("schema-checked").as_struct();
            let tail = batch.column_by_name(col::TAIL).expect("schema-checked").as_struct();
            for r in 0..batch.num_rows() {
                if ids.value(r) != rows as i64 {
                    return Err(TrainerError::Data {
                        path: sentences.to_path_buf(),
                        msg: format!("row {rows}: row_id is {}, expected {rows}", ids.value(r)),
                    });
                }
                let words = tokens.value(r);
                let words = words.as_string::<i32>();
                let words: Vec<String> =
                    (0..words.len()).map(|i| words.value(i).to_string()).collect();
                let b = match body(tok, markers, &words, span(head, r), span(tail, r)) {
                    Ok(b) => b,
                    Err(_) => {
                        skipped += 1;
                        Body { ids: vec![], head: (0, 0), tail: (0, 0) }
                    }
                };
                let mut rec = [0u8; RECORD];
                rec[0..8].copy_from_slice(&offset.to_le_bytes());
                let fields =
                    [b.ids.len(), b.head.0, b.head.1, b.tail.0, b.tail.1].map(|v| v as u32);
                for (k, v) in fields.iter().enumerate() {
                    rec[8 + 4 * k..12 + 4 * k].copy_from_slice(&v.to_le_bytes());
                }
                index.write_all(&rec).map_err(io(&ipath))?;
                for id in &b.ids {
                    pieces.write_all(&(*id as u32).to_le_bytes()).map_err(io(&ppath))?;
                }
                offset += b.ids.len() as u64;
                rows += 1;
            }
            progress(rows, total);
        }
        index
            .into_inner()
            .map_err(|e| io(&ipath)(e.into_error()))?
            .sync_all()
            .map_err(io(&ipath))?;
        pieces
            .into_inner()
            .map_err(|e| io(&ppath)(e.into_error()))?
            .sync_all()
            .map_err(io(&ppath))?;
        let meta = StoreMeta { rows, skipped, ..want };
        let mpath = tmp.join("meta.json");
        std::fs::write(&mpath, serde_json::to_string_pretty(&meta).expect("plain struct"))
            .map_err(io(&mpath))?;
        let _ = std::fs::remove_dir_all(dir);
        std::fs::rename(&tmp, dir).map_err(io(dir))?;
        Self::open(dir, meta)
    }

    fn open(dir: &Path, meta: StoreMeta) -> Result<Self, TrainerError> {
        let ipath = dir.join("index.bin");
        let ppath = dir.join("pieces.bin");
        let index = File::open(&ipath).map_err(io(&ipath))?;
        let pieces = File::open(&ppath).map_err(io(&ppath))?;
        let len = index.metadata().map_err(io(&ipath))?.len();
        if len != meta.rows * RECORD as u64 {
            return Err(TrainerError::Data {
                path: ipath,
                msg: format!("{len} bytes, expected {} rows of {RECORD}", meta.rows),
            });
        }
        Ok(PieceStore { meta, index, pieces, dir: dir.to_path_buf() })
    }

    pub fn rows(&self) -> u64 {
        self.meta.rows
    }

    /// The encoded body of `row` (empty ids for a row that could not be encoded).
    pub fn get(&self, row: i64) -> Result<Body, TrainerError> {
        if row < 0 || row as u64 >= self.meta.rows {
            return Err(TrainerError::Data {
                path: self.dir.clone(),
                msg: format!("row {row} out of range (0..{})", self.meta.rows),
            });
        }
        let mut rec = [0u8; RECORD];
        self.index
            .read_exact_at(&mut rec, row as u64 * RECORD as u64)
            .map_err(io(&self.dir.join("index.bin")))?;
        let offset = u64::from_le_bytes(rec[0..8].try_into().expect("8 bytes"));
        let field = |k: usize| {
            u32::from_le_bytes(rec[8 + 4 * k..12 + 4 * k].try_into().expect("4 bytes")) as usize
        };
        let mut raw = vec![0u8; field(0) * 4];
        self.pieces
            .read_exact_at(&mut raw, offset * 4)
            .map_err(io(&self.dir.join("pieces.bin")))?;
        let ids = raw
            .chunks_exact(4)
            .map(|c| i64::from(u32::from_le_bytes(c.try_into().expect("4 bytes"))))
            .collect();
        Ok(Body { ids, head: (field(1), field(2)), tail: (field(3), field(4)) })
    }
}
