//! `--shard I --of N`: the I-th of N contiguous ranges of a stage's input (streams for
//! `wikipedia`, pages for `prior` and `link`), so that N jobs' outputs in order equal one run.
use std::fmt;
use std::ops::Range;

/// Shard `index` of `of`, with `index < of` (checked when it is made, so a stage never sees
/// an impossible one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: usize,
    of: usize,
}

impl Shard {
    pub fn new(index: usize, of: usize) -> Result<Self, String> {
        if index >= of {
            return Err(format!("--shard {index} --of {of}: need I < N"));
        }
        Ok(Shard { index, of })
    }

    /// `(I, N)` from the two flags: both or neither (`None`).
    pub fn from_flags(index: Option<usize>, of: Option<usize>) -> Result<Option<Self>, String> {
        index.zip(of).map(|(i, n)| Self::new(i, n)).transpose()
    }

    pub fn index(self) -> usize {
        self.index
    }

    pub fn of(self) -> usize {
        self.of
    }

    /// This shard's part of `len` items: `[I * len / N, (I + 1) * len / N)`.
    pub fn range(self, len: usize) -> Range<usize> {
        self.index * len / self.of..(self.index + 1) * len / self.of
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_item_once_and_impossible_ones_are_refused() {
        for len in [0, 1, 5, 17, 100] {
            for n in 1..7 {
                let parts: Vec<Range<usize>> =
                    (0..n).map(|i| Shard::new(i, n).unwrap().range(len)).collect();
                assert_eq!(parts[0].start, 0);
                assert_eq!(parts[n - 1].end, len);
                assert!(parts.windows(2).all(|w| w[0].end == w[1].start), "{len} {n}");
            }
        }
        assert_eq!(Shard::new(2, 2).unwrap_err(), "--shard 2 --of 2: need I < N");
        assert!(Shard::new(0, 0).is_err());
        assert_eq!(Shard::from_flags(Some(1), Some(3)).unwrap().unwrap().to_string(), "1/3");
        assert_eq!(Shard::from_flags(None, None), Ok(None));
    }
}
