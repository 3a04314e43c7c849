//! A growable bit set of [`Qid`]s: which items occur, in 1 bit per possible id.
//!
//! Written here rather than taken from a crate because it is a dozen lines and the one thing
//! it must do, grow to the largest id seen (~Q136M: 17 MB), is not what fixed-size bit sets do.
use schemas::Qid;

#[derive(Debug, Default, Clone)]
pub struct QidSet {
    words: Vec<u64>,
    len: u64,
}

impl QidSet {
    pub fn insert(&mut self, q: Qid) {
        let (w, b) = ((q.get() / 64) as usize, q.get() % 64);
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        let bit = 1u64 << b;
        if self.words[w] & bit == 0 {
            self.words[w] |= bit;
            self.len += 1;
        }
    }

    pub fn contains(&self, q: Qid) -> bool {
        let (w, b) = ((q.get() / 64) as usize, q.get() % 64);
        self.words.get(w).is_some_and(|x| x & (1u64 << b) != 0)
    }

    /// Distinct ids held.
    pub fn len(&self) -> u64 {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_what_was_inserted_and_nothing_else() {
        let mut s = QidSet::default();
        for n in [1, 63, 64, 136_000_000, 64] {
            s.insert(Qid::new(n));
        }
        assert_eq!(s.len(), 4);
        for n in [1, 63, 64, 136_000_000] {
            assert!(s.contains(Qid::new(n)), "{n}");
        }
        for n in [0, 2, 65, 135_999_999, u32::MAX] {
            assert!(!s.contains(Qid::new(n)), "{n}");
        }
    }
}
