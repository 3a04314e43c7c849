//! `Qid`: the one type of a Wikidata item id in memory.
//!
//! Parquet columns keep the readable `"Q42"` strings (DuckDB users and the trainer read them,
//! and `pipeline import` also carries ids that are not Wikidata items, e.g. `chemprot:...`);
//! a stage parses them once where they enter and holds the number, 4 bytes instead of a
//! `String` per row, and prints them back where rows leave. `u32`: the largest item id is
//! ~Q136M, far below 2^32.
use std::fmt;
use std::str::FromStr;

/// A Wikidata item id (`Q42` is `Qid(42)`). Orders by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Qid(u32);

impl Qid {
    pub const fn new(n: u32) -> Self {
        Qid(n)
    }

    /// The number after the `Q`.
    pub const fn get(self) -> u32 {
        self.0
    }
}

/// A string that is not `Q` followed by a decimal number that fits a `u32`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAQid(pub String);

impl fmt::Display for NotAQid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a Wikidata item id: {:?}", self.0)
    }
}

impl std::error::Error for NotAQid {}

impl FromStr for Qid {
    type Err = NotAQid;
    fn from_str(s: &str) -> Result<Self, NotAQid> {
        let digits = s.strip_prefix('Q').ok_or_else(|| NotAQid(s.into()))?;
        // Only plain decimal digits without a leading zero (u32::from_str takes a leading '+'),
        // so parsing and printing are inverse.
        if digits.is_empty()
            || digits.starts_with('0')
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(NotAQid(s.into()));
        }
        digits.parse().map(Qid).map_err(|_| NotAQid(s.into()))
    }
}

impl fmt::Display for Qid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Q{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let ok: &[(&str, u32)] = &[("Q1", 1), ("Q42", 42), ("Q4294967295", u32::MAX)];
        for &(s, n) in ok {
            assert_eq!(s.parse::<Qid>(), Ok(Qid::new(n)), "{s}");
        }
        assert_eq!(Qid::new(42).to_string(), "Q42");
        for bad in [
            "",
            "Q",
            "P31",
            "q42",
            "Q+1",
            "Q-1",
            "Q 1",
            "Q4294967296",
            "Q1a",
            "Q007",
            "Q0",
            "chemprot:x",
        ] {
            assert!(bad.parse::<Qid>().is_err(), "{bad:?} parsed");
        }
        assert!(Qid::new(230) < Qid::new(1428));
    }
}
