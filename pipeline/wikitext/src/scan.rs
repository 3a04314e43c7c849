//! The inline pass's two byte scans, 16 bytes at a time; and [`Needles3`], the markup passes'
//! search for the next of three bytes.
//!
//! The inline pass walks nearly every byte of a page twice: once for the next byte markup may
//! start with ([`next_inline_special`]) and once for the end of a run of text that can be copied
//! as it is ([`plain_run_end`]). Byte by byte these were ~12% of the `wikipedia` stage's CPU
//! (issue 19). LLVM does not vectorise an early-exit search, and `memchr` takes at most three
//! needles, so the scans compare 16 bytes at once with SSE2 (part of every x86_64 CPU), and fall
//! back to the byte loop near the end of the input and on other architectures. Each function's
//! doc gives its definition; the tests compare both paths against it.

/// The bytes the inline pass acts on: a run of text ends at the first of them.
const INLINE_SPECIAL: &[u8; 8] = b"[]{}|'_&";
/// The printable bytes that can form markup when they become adjacent (see `TextBuilder`).
const MARKUP: &[u8; 8] = b"[]{}|';<";

/// Is `c` one of [`INLINE_SPECIAL`]?
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
#[inline]
pub(crate) fn inline_special(c: u8) -> bool {
    INLINE_SPECIAL.contains(&c)
}

/// A byte `TextBuilder::push` keeps as it is whatever precedes it, once no space is pending
/// and no `<` is near: printable ASCII other than space and the [`MARKUP`] bytes.
#[inline]
pub(crate) fn plain(b: u8) -> bool {
    matches!(b, b'!'..=b'~') && !MARKUP.contains(&b)
}

/// The first position `>= from` whose byte is [`inline_special`], if any.
pub(crate) fn next_inline_special(b: &[u8], from: usize) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: SSE2 is enabled for this build (the cfg), so the target-feature fn may be
        // called.
        let (p, found) = unsafe { sse2::next_inline_special(b, from) };
        if found.is_some() || p >= b.len() {
            return found;
        }
        // The last bytes (under 16) as one more step, padded with zeros (not special).
        let mut tail = [0u8; 16];
        tail[..b.len() - p].copy_from_slice(&b[p..]);
        // SAFETY: as above.
        unsafe { sse2::next_inline_special(&tail, 0) }.1.map(|k| p + k)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    b[from.min(b.len())..].iter().position(|&c| inline_special(c)).map(|n| from + n)
}

/// The end of the copyable run that continues at `from`: the first position `p >= from` whose
/// byte is neither [`plain`] nor a space followed by a plain byte (a space before another space,
/// a non-plain byte or the end of `b` ends the run before it), or `b.len()`.
pub(crate) fn plain_run_end(b: &[u8], from: usize) -> usize {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: SSE2 is enabled for this build (the cfg), so the target-feature fn may be
        // called.
        let (p, found) = unsafe { sse2::plain_run_end(b, from) };
        if let Some(end) = found {
            return end;
        }
        if p >= b.len() {
            return b.len();
        }
        // The last bytes (16 at most) as one more step, padded with zeros: a zero is not
        // plain, so the run ends at the first of them as at the end of `b`. Byte by byte,
        // with a jump per byte, the end of each run was over half of this scan's time (perf
        // annotate, x80): the inline pass hands it a slice per run of text.
        let mut tail = [0u8; 17];
        tail[..b.len() - p].copy_from_slice(&b[p..]);
        // SAFETY: as above.
        let (_, found) = unsafe { sse2::plain_run_end(&tail, 0) };
        found.map_or(b.len(), |k| (p + k).min(b.len()))
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    plain_run_end_bytes(b, from)
}

/// [`plain_run_end`] byte by byte.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn plain_run_end_bytes(b: &[u8], from: usize) -> usize {
    let mut p = from;
    while p < b.len() {
        let c = b[p];
        let continues = plain(c) || (c == b' ' && b.get(p + 1).is_some_and(|&n| plain(n)));
        if !continues {
            return p;
        }
        p += if plain(c) { 1 } else { 2 };
    }
    b.len()
}

/// The positions of three bytes in a text, for a loop that asks for the next one at or after a
/// position again and again (each answer, then past what it handled): the markup passes'
/// brackets, braces and newlines, an XML page's `&`. `memchr3` from each position set up its
/// search anew for every answer, and a few bytes on a branch mispredicted where it stopped:
/// ~5% of the `wikipedia` stage's CPU, where answers are often a few bytes apart (issue 19).
/// Here `memchr3` only finds the next needle past the last 64-byte block, whose needles are
/// then answered from a bit mask.
pub struct Needles3<'a> {
    bytes: &'a [u8],
    needles: [u8; 3],
    /// The block `mask` covers: `bytes[at..end]`, 64 bytes at most.
    at: usize,
    end: usize,
    /// Bit `k` set when `bytes[at + k]` is a needle.
    mask: u64,
}

impl<'a> Needles3<'a> {
    pub fn new(bytes: &'a [u8], a: u8, b: u8, c: u8) -> Self {
        Needles3 { bytes, needles: [a, b, c], at: 0, end: 0, mask: 0 }
    }

    /// The first position `>= from` whose byte is one of the three, if any.
    #[inline]
    pub fn find(&mut self, mut from: usize) -> Option<usize> {
        if from >= self.at && from < self.end {
            let m = self.mask & (u64::MAX << (from - self.at));
            if m != 0 {
                return Some(self.at + m.trailing_zeros() as usize);
            }
            from = self.end;
        }
        self.next_block(from)
    }

    /// Finds the next needle from `from` with `memchr3` and starts a block there.
    fn next_block(&mut self, from: usize) -> Option<usize> {
        let [a, b, c] = self.needles;
        let k = from + memchr::memchr3(a, b, c, self.bytes.get(from..)?)?;
        let block = &self.bytes[k..self.bytes.len().min(k + 64)];
        (self.at, self.end) = (k, k + block.len());
        self.mask = needle_mask(block, self.needles);
        Some(k)
    }
}

/// Bit `k` set when `block[k]` (64 bytes at most) is one of `needles`.
fn needle_mask(block: &[u8], needles: [u8; 3]) -> u64 {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Ok(full) = <&[u8; 64]>::try_from(block) {
        // SAFETY: SSE2 is enabled for this build (the cfg), so the target-feature fn may be called.
        return unsafe { sse2::needle_mask(full, needles) };
    }
    let mut mask = 0;
    for (k, c) in block.iter().enumerate() {
        mask |= u64::from(needles.contains(c)) << k;
    }
    mask
}

/// The 16-byte steps. Each returns where it stopped and, if it got there, the answer; the
/// callers finish the last (under 16 or 17) bytes as one more step on a zero-padded copy.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_loadu_si128,
        _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };

    use super::plain;

    #[target_feature(enable = "sse2")]
    pub(super) fn next_inline_special(b: &[u8], from: usize) -> (usize, Option<usize>) {
        let mut p = from;
        while p + 16 <= b.len() {
            let m = eq_any(load(b, p), super::INLINE_SPECIAL);
            if m != 0 {
                return (p, Some(p + m.trailing_zeros() as usize));
            }
            p += 16;
        }
        (p, None)
    }

    #[target_feature(enable = "sse2")]
    pub(super) fn needle_mask(block: &[u8; 64], needles: [u8; 3]) -> u64 {
        let mut mask = 0;
        for k in 0..4 {
            mask |= u64::from(eq_any(load(block, 16 * k), &needles)) << (16 * k);
        }
        mask
    }

    #[target_feature(enable = "sse2")]
    pub(super) fn plain_run_end(b: &[u8], from: usize) -> (usize, Option<usize>) {
        let mut p = from;
        // Each step also reads the byte after its 16: whether a space in the last position ends
        // the run depends on it.
        while p + 17 <= b.len() {
            let v = load(b, p);
            let not_plain = !plain_mask(v) & 0xFFFF;
            let space = mask(_mm_cmpeq_epi8(v, _mm_set1_epi8(b' ' as i8)));
            let next_not_plain = (not_plain >> 1) | (u32::from(!plain(b[p + 16])) << 15);
            let stop = (not_plain & !space) | (space & next_not_plain);
            if stop != 0 {
                return (p, Some(p + stop.trailing_zeros() as usize));
            }
            p += 16;
        }
        (p, None)
    }

    /// The 16 bytes of `b` at `at..at + 16`.
    #[target_feature(enable = "sse2")]
    fn load(b: &[u8], at: usize) -> __m128i {
        let chunk: &[u8; 16] = b[at..at + 16].try_into().expect("16 bytes");
        // SAFETY: `chunk` is 16 readable bytes, and `_mm_loadu_si128` needs no alignment.
        unsafe { _mm_loadu_si128(chunk.as_ptr().cast()) }
    }

    /// One bit per byte of `v` (bit `i` for byte `i`): its top bit.
    #[target_feature(enable = "sse2")]
    fn mask(v: __m128i) -> u32 {
        _mm_movemask_epi8(v) as u32
    }

    /// The bytes of `v` equal to any of `needles`, as a bit mask.
    #[target_feature(enable = "sse2")]
    fn eq_any(v: __m128i, needles: &[u8]) -> u32 {
        let mut hits = _mm_cmpeq_epi8(v, _mm_set1_epi8(needles[0] as i8));
        for &n in &needles[1..] {
            hits = _mm_or_si128(hits, _mm_cmpeq_epi8(v, _mm_set1_epi8(n as i8)));
        }
        mask(hits)
    }

    /// The [`plain`] bytes of `v`, as a bit mask.
    #[target_feature(enable = "sse2")]
    fn plain_mask(v: __m128i) -> u32 {
        // Signed compares: bytes >= 0x80 are negative, so `> b' '` excludes them with the
        // control characters.
        let printable = mask(_mm_cmpgt_epi8(v, _mm_set1_epi8(b' ' as i8)))
            & mask(_mm_cmplt_epi8(v, _mm_set1_epi8(0x7F)));
        printable & !eq_any(v, super::MARKUP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definitions, byte by byte.
    fn next_special_slow(b: &[u8], from: usize) -> Option<usize> {
        (from..b.len()).find(|&p| inline_special(b[p]))
    }

    fn run_end_slow(b: &[u8], from: usize) -> usize {
        let continues =
            |p: usize| plain(b[p]) || (b[p] == b' ' && b.get(p + 1).is_some_and(|&n| plain(n)));
        let mut p = from;
        while p < b.len() && continues(p) {
            p += if plain(b[p]) { 1 } else { 2 };
        }
        p
    }

    #[test]
    fn plain_is_what_the_builder_copies() {
        let kept: Vec<u8> = (0..=255u8).filter(|&c| plain(c)).collect();
        assert_eq!(kept.len(), 94 - 8, "printable ASCII but space and 8 markup chars");
        assert!(!plain(b' ') && !plain(0x7F) && !plain(0x80) && !plain(b'<') && plain(b'>'));
    }

    #[test]
    fn table() {
        let s = b"abcdefghijklmnopqrstuvwxyz0123456789 two  spaces;end";
        assert_eq!(plain_run_end(s, 0), 40, "through single spaces, to the double space");
        assert_eq!(plain_run_end(s, 42), 48, "to the `;`");
        assert_eq!(plain_run_end(b"0123456789abcdef ", 0), 16, "a final space is not copied");
        assert_eq!(plain_run_end(b"0123456789abcdef x", 0), 18);
        assert_eq!(next_inline_special(b"0123456789abcdefgh&", 0), Some(18));
        assert_eq!(next_inline_special(b"0123456789abcdefgh&", 19), None);
        assert_eq!(next_inline_special(b"x", 5), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 5000, failure_persistence: None, ..Default::default()
        })]
        /// `Needles3::find` answers what a byte search from each position does, asked in a
        /// random order of positions (forwards, as the passes ask, but also back and far
        /// ahead), on text dense and sparse in the needles and longer than a block.
        #[test]
        fn needles_are_found_from_every_position(
            text in "([a-z ]{0,70}|[\\[\\]\n]|é){0,12}",
            froms in proptest::collection::vec(0usize..400, 0..40),
        ) {
            let b = text.as_bytes();
            let slow = |from: usize| (from..b.len()).find(|&p| matches!(b[p], b'[' | b']' | b'\n'));
            let mut hits = Needles3::new(b, b'[', b']', b'\n');
            let mut at = 0;
            while let Some(k) = hits.find(at) {
                proptest::prop_assert_eq!(Some(k), slow(at));
                at = k + 1;
            }
            proptest::prop_assert_eq!(slow(at), None);
            for from in froms {
                proptest::prop_assert_eq!(hits.find(from), slow(from), "from {}", from);
            }
        }

        /// Both scans equal their byte-by-byte definitions from every start, on text long enough
        /// for several 16-byte steps and dense in the bytes that end a run.
        #[test]
        fn scans_equal_their_definitions(
            text in "([a-z ]{0,20}|[\\[\\]{}|'_&;< \t\n\u{7F}]|é|  ){0,12}",
        ) {
            let b = text.as_bytes();
            for from in 0..=b.len() {
                proptest::prop_assert_eq!(next_inline_special(b, from), next_special_slow(b, from));
                proptest::prop_assert_eq!(plain_run_end(b, from), run_end_slow(b, from));
            }
        }
    }
}
