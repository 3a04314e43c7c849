//! Wikimedia "multistream" dumps: concatenated bz2 streams of 100 pages each, plus an index of
//! `offset:page_id:title` lines naming each page's stream. With the index, streams are
//! independent units: they are decoded on all cores, and `--shard I --of N` picks the I-th
//! contiguous range of them so N processes together do one whole run.
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::error::StageError;
use crate::input::{open_dump, Compression};

/// A byte range `[start, end)` of the .bz2 file holding one or more whole bz2 streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamRange {
    pub start: u64,
    pub end: u64,
}

/// Reads the index (plain or .bz2) and returns the page streams in file order. The last range
/// runs to the end of the file, so it also covers the closing `</mediawiki>` stream.
pub fn read_index(index: &Path, dump_len: u64) -> Result<Vec<StreamRange>, StageError> {
    let dump = open_dump(index)?;
    let reader: Box<dyn Read> = match dump.compression {
        Compression::Gzip => {
            return Err(StageError::Invalid {
                path: index.to_path_buf(),
                msg: "a gzip index is not supported; use the .txt or .txt.bz2 index".into(),
            })
        }
        _ => dump.reader,
    };
    let mut offsets: Vec<u64> = Vec::new();
    for (i, line) in BufReader::new(reader).lines().enumerate() {
        let line = line.map_err(|e| StageError::io(index, e))?;
        if line.is_empty() {
            continue;
        }
        let off = line.split(':').next().and_then(|o| o.parse::<u64>().ok()).ok_or_else(|| {
            StageError::Invalid {
                path: index.to_path_buf(),
                msg: format!("line {}: expected offset:page_id:title, got {line:?}", i + 1),
            }
        })?;
        if offsets.last().is_some_and(|&last| off < last) {
            return Err(StageError::Invalid {
                path: index.to_path_buf(),
                msg: format!("line {}: offset {off} goes backwards", i + 1),
            });
        }
        if offsets.last() != Some(&off) {
            offsets.push(off);
        }
    }
    if offsets.last().is_some_and(|&o| o >= dump_len) {
        return Err(StageError::Invalid {
            path: index.to_path_buf(),
            msg: format!(
                "offset {} is beyond the dump ({dump_len} bytes)",
                offsets[offsets.len() - 1]
            ),
        });
    }
    let mut ranges: Vec<StreamRange> =
        offsets.windows(2).map(|w| StreamRange { start: w[0], end: w[1] }).collect();
    if let Some(&last) = offsets.last() {
        ranges.push(StreamRange { start: last, end: dump_len });
    }
    Ok(ranges)
}

/// The `shard`-th of `of` contiguous, near-equal parts of `ranges`.
pub fn shard(ranges: &[StreamRange], shard: crate::shard::Shard) -> &[StreamRange] {
    &ranges[shard.range(ranges.len())]
}

/// Reads and decompresses one range. A corrupt or truncated stream is an error naming the file
/// and the stream's byte offset.
pub fn decode(file: &File, path: &Path, range: StreamRange) -> Result<Vec<u8>, StageError> {
    let mut compressed = vec![0u8; (range.end - range.start) as usize];
    file.read_exact_at(&mut compressed, range.start).map_err(|e| StageError::Decompress {
        path: path.to_path_buf(),
        offset: range.start,
        source: e,
    })?;
    // mibz2, not libbzip2 (the `bzip2` crate): the same bytes, every CRC checked, for less CPU
    // (its inverse BWT keeps a dozen cache misses in flight; issue 19, docs/SCALE.md).
    mibz2::decode(&compressed).map_err(|e| StageError::Decompress {
        path: path.to_path_buf(),
        offset: range.start,
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_streams() {
        let ranges: Vec<StreamRange> =
            (0..7).map(|i| StreamRange { start: i * 10, end: i * 10 + 10 }).collect();
        for of in 1..=9 {
            let all: Vec<StreamRange> = (0..of)
                .flat_map(|i| shard(&ranges, crate::shard::Shard::new(i, of).unwrap()).to_vec())
                .collect();
            assert_eq!(all, ranges, "{of} shards");
        }
    }
}
