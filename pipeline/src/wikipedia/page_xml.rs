//! Cutting a MediaWiki XML stream into `<page>` elements and reading one page.
//!
//! Pages are cut with a byte search for `<page>` / `</page>` and each page is parsed on its
//! own (quick-xml), so malformed XML inside one page costs that page only, pages can be parsed
//! in parallel, and the multistream fragments (which are not well-formed documents) need no
//! special treatment.
use std::ops::Range;
use std::sync::Arc;

use memchr::memmem;
use quick_xml::events::Event;
use quick_xml::Reader;

/// One page of the dump, as far as wikirel needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawPage {
    pub title: String,
    pub namespace: i32,
    pub page_id: i64,
    /// `<redirect title="..."/>` when the page is a redirect.
    pub redirect: Option<String>,
    pub revision_id: i64,
    pub timestamp: String,
    pub text: String,
}

/// Accumulates decompressed bytes and yields complete `<page>...</page>` byte slices.
#[derive(Default)]
pub struct PageSplitter {
    /// Bytes of earlier feeds not yet in a page: the start of an unfinished page, or a tail
    /// that might hold the start of a split `<page>` tag.
    carry: Vec<u8>,
    /// Decompressed offset of `carry[0]`.
    carry_offset: u64,
}

/// Bytes that pages are cut from, shared by all of them: a reader's chunk (which goes back to
/// the reader when its last page is dropped) or a decoded stream.
pub type SharedBytes = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// A page's bytes and its decompressed offset (for error messages).
pub struct PageBytes {
    pub offset: u64,
    /// The bytes this page was cut from, shared by all their pages: a copy of each page, with
    /// an allocation in fresh memory, was ~2% of the wikipedia stage's CPU (issue 19).
    buf: SharedBytes,
    range: Range<usize>,
}

impl PageBytes {
    pub fn bytes(&self) -> &[u8] {
        &(*self.buf).as_ref()[self.range.clone()]
    }
}

/// Where cutting stopped in a buffer.
enum Stop {
    /// No `<page>` at or after this position.
    NoOpen(usize),
    /// A `<page>` starts here and does not close in the buffer.
    NoClose(usize),
}

/// The complete pages in `buf` from `pos` on, and where cutting stopped.
fn cut_pages(buf: &[u8], mut pos: usize, pages: &mut Vec<Range<usize>>) -> Stop {
    let open = memmem::Finder::new(b"<page>");
    let close = memmem::Finder::new(b"</page>");
    loop {
        let Some(start) = open.find(&buf[pos..]).map(|i| pos + i) else {
            return Stop::NoOpen(pos);
        };
        let Some(end) = close.find(&buf[start..]).map(|i| start + i + 7) else {
            return Stop::NoClose(start);
        };
        pages.push(start..end);
        pos = end;
    }
}

impl PageSplitter {
    /// Feeds the next bytes (which start at decompressed offset `offset` when the splitter is
    /// empty) and returns the pages completed by them, each cut from a copy of the carried
    /// bytes and these.
    pub fn feed(&mut self, bytes: &[u8], offset: u64) -> Vec<PageBytes> {
        if self.carry.is_empty() {
            self.carry_offset = offset;
        }
        let mut buf = Vec::with_capacity(self.carry.len() + bytes.len());
        buf.extend_from_slice(&self.carry);
        buf.extend_from_slice(bytes);
        let base = self.carry_offset;
        self.carry.clear();
        self.cut(Arc::new(buf), 0, base)
    }

    /// [`feed`](Self::feed) without copying `buf`: the pages it holds whole are cut from it in
    /// place; only a page begun in an earlier feed is copied, with the carried bytes. (Copying
    /// each 4 MiB chunk, the carry first, wrote and read every byte of the dump once more, out
    /// of the L2 cache: 3.9M of the stage's 57M simulated L2 misses on the real dump x20,
    /// issue 19.)
    pub fn feed_shared(&mut self, buf: SharedBytes, offset: u64) -> Vec<PageBytes> {
        let bytes = (*buf).as_ref();
        let mut pages = Vec::new();
        let mut from = 0;
        if !self.carry.is_empty() {
            // The carried page ends at the first `</page>` that ends in these bytes (one
            // straddling the two feeds included): copy up to there only.
            let head = memmem::find(bytes, b"</page>").map_or(bytes.len(), |i| i + 7);
            pages = self.feed(&bytes[..head], offset);
            if head == bytes.len() {
                return pages;
            }
            // What is carried now follows the head's `</page>` with no `<` in it: no page can
            // start there, and cutting goes on in `buf` past the head as if from the carry.
            if memchr::memchr(b'<', &self.carry).is_some() {
                pages.extend(self.feed(&bytes[head..], offset + head as u64));
                return pages;
            }
            self.carry.clear();
            from = head;
        }
        pages.extend(self.cut(buf, from, offset));
        pages
    }

    /// Cuts the pages of `buf` from `from` on (`buf[0]` at decompressed offset `base`) and
    /// carries what is left.
    fn cut(&mut self, buf: SharedBytes, from: usize, base: u64) -> Vec<PageBytes> {
        let bytes = (*buf).as_ref();
        let mut ranges = Vec::new();
        let pos = match cut_pages(bytes, from, &mut ranges) {
            // Keep a tail that might hold the start of a split `<page>` tag.
            Stop::NoOpen(pos) => bytes.len().saturating_sub(5).max(pos),
            Stop::NoClose(start) => start,
        };
        self.carry.extend_from_slice(&bytes[pos..]);
        self.carry_offset = base + pos as u64;
        ranges
            .into_iter()
            .map(|range| PageBytes {
                offset: base + range.start as u64,
                buf: Arc::clone(&buf),
                range,
            })
            .collect()
    }

    /// Bytes left that hold an unfinished `<page>` (a truncated dump).
    pub fn unfinished(&self) -> bool {
        memmem::find(&self.carry, b"<page>").is_some()
    }
}

fn general_ref(name: &str, out: &mut String) {
    match name {
        "amp" => out.push('&'),
        "lt" => out.push('<'),
        "gt" => out.push('>'),
        "quot" => out.push('"'),
        "apos" => out.push('\''),
        other => {
            out.push('&');
            out.push_str(other);
            out.push(';');
        }
    }
}

/// Parses one `<page>` element. Errors are messages (the caller adds file and offset).
///
/// The wikitext is most of a page's bytes, and as XML events it is a run of text and entity
/// events that was ~4% of the `wikipedia` stage's CPU (issue 19). So when the page has one
/// `<text>` element whose content is plain (no `<`, no `\r`, only the five predefined entities
/// and numeric references to chars from U+0020 up), that content is decoded with a byte search
/// and only the rest of the page goes through the XML reader. Anything else, or any error,
/// takes the reader over the whole page, so results and error messages are the reader's.
pub fn parse_page(bytes: &[u8]) -> Result<RawPage, String> {
    parse_page_into(bytes, String::new())
}

/// [`parse_page`], decoding the wikitext into `text` (cleared here) when it takes the byte
/// search: a buffer kept from page to page stays in the cache, where a fresh one of the page's
/// size was a miss on every line written (issue 19).
pub fn parse_page_into(bytes: &[u8], mut text: String) -> Result<RawPage, String> {
    // simdutf8 checks a page of ASCII several times faster than std; on an error, std's
    // check says where.
    let whole = match simdutf8::basic::from_utf8(bytes) {
        Ok(whole) => whole,
        Err(_) => std::str::from_utf8(bytes).map_err(|e| format!("invalid UTF-8: {e}"))?,
    };
    if let Some((start, end)) = plain_text_content(whole, &mut text) {
        let rest = [&whole[..start], &whole[end..]].concat();
        if let Ok((mut page, Some(at))) = parse_events(&rest) {
            if at == start {
                page.text = text;
                return Ok(page);
            }
        }
    }
    parse_events(whole).map(|(page, _)| page)
}

/// The byte range of the content of the page's only `<text ...>` element, if it has plain
/// content (see [`parse_page`]), decoded into `text`.
fn plain_text_content(whole: &str, text: &mut String) -> Option<(usize, usize)> {
    let bytes = whole.as_bytes();
    let start = text_start(bytes)?;
    let end = start + decode_content_into(&whole[start..], text)?;
    // A second `<text` (another revision, or one in an odd place) keeps the reader's rules.
    if memmem::find(&bytes[end..], b"<text").is_some() {
        return None;
    }
    Some((start, end))
}

/// Where the content of the page's first `<text ...>` element starts, if it has content.
fn text_start(bytes: &[u8]) -> Option<usize> {
    let open = memmem::find(bytes, b"<text")?;
    let tag = &bytes[open + 5..];
    if !matches!(tag.first(), Some(b' ' | b'\t' | b'\n' | b'>')) {
        return None;
    }
    // The tag's `>`, outside quoted attribute values.
    let mut quote = None;
    let mut close = None;
    for (i, &c) in tag.iter().enumerate() {
        match (quote, c) {
            (None, b'"' | b'\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, b'>') => {
                close = Some(i);
                break;
            }
            _ => {}
        }
    }
    let close = close?;
    if close > 0 && tag[close - 1] == b'/' {
        return None; // `<text ... />`: nothing to decode
    }
    Some(open + 5 + close + 1)
}

/// `raw` with its entities decoded, if it is plain content (see [`parse_page`]).
#[cfg(test)]
fn decode_content(raw: &str) -> Option<String> {
    let mut out = String::new();
    let len = decode_content_into(&format!("{raw}</text>"), &mut out)?;
    assert_eq!(len, raw.len());
    Some(out)
}

/// Decodes the plain content at the start of `raw` (see [`parse_page`]) into `out` (cleared
/// first), up to the `</text>` that ends it, and returns its length; `None` when the content
/// is not plain or does not end. One pass over the bytes: finding the `</text>`, refusing a
/// `<` or `\r` and finding each `&` were three (~1.7% of the wikipedia stage's instructions,
/// callgrind, issue 19).
fn decode_content_into(raw: &str, out: &mut String) -> Option<usize> {
    let b = raw.as_bytes();
    out.clear();
    out.reserve(raw.len());
    let mut i = 0;
    let mut hits = wikitext::Needles3::new(b, b'&', b'<', b'\r');
    while let Some(amp) = hits.find(i) {
        if b[amp] != b'&' {
            if b[amp] == b'<' && b[amp..].starts_with(b"</text>") {
                out.push_str(&raw[i..amp]);
                return Some(amp);
            }
            return None;
        }
        out.push_str(&raw[i..amp]);
        let semi = amp + 1 + b[amp + 1..].iter().take(12).position(|&c| c == b';')?;
        let c = match &raw[amp + 1..semi] {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            name => {
                let (digits, radix) = match name.strip_prefix("#x") {
                    Some(hex) => (hex, 16),
                    None => (name.strip_prefix('#')?, 10),
                };
                if digits.is_empty() || !digits.bytes().all(|d| d.is_ascii_hexdigit()) {
                    return None;
                }
                let c = char::from_u32(u32::from_str_radix(digits, radix).ok()?)?;
                if c < ' ' {
                    return None;
                }
                c
            }
        };
        out.push(c);
        i = semi + 1;
    }
    None
}

/// The XML reader over a whole page: the page, and where the content of its `<text>` element
/// inside `<revision>` starts (when there is exactly one).
fn parse_events(text: &str) -> Result<(RawPage, Option<usize>), String> {
    let bytes = text.as_bytes();
    let mut reader = Reader::from_str(text);
    let mut text_at = None;
    let mut texts = 0;
    let mut page = RawPage { namespace: -1, page_id: -1, revision_id: -1, ..Default::default() };
    // Path of open elements below <page>, e.g. ["revision", "text"].
    let mut path: Vec<String> = Vec::new();
    let mut buf = String::new();
    let mut closed = false;
    loop {
        let ev = reader.read_event().map_err(|e| {
            format!("XML error at byte {} of the page: {e}", reader.error_position())
        })?;
        match ev {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                buf.clear();
                if name == "text" {
                    // The page's text is most of its bytes: one allocation, not a doubling
                    // series of copies.
                    buf.reserve(bytes.len());
                }
                if name == "text" && path.last().map(String::as_str) == Some("revision") {
                    texts += 1;
                    text_at = Some(reader.buffer_position() as usize);
                }
                if name != "page" || !path.is_empty() {
                    path.push(name);
                }
            }
            Event::Empty(e) if e.local_name().as_ref() == "redirect" && path.is_empty() => {
                let title = e
                    .try_get_attribute("title")
                    .map_err(|e| e.to_string())?
                    .map(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map(|v| v.into_owned())
                    })
                    .transpose()
                    .map_err(|e| e.to_string())?;
                page.redirect = Some(title.unwrap_or_default());
            }
            Event::Text(t) => buf.push_str(&t.xml10_content()),
            Event::CData(c) => buf.push_str(&c.xml10_content()),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => buf.push(c),
                Ok(None) => general_ref(&r, &mut buf),
                Err(e) => return Err(format!("bad character reference: {e}")),
            },
            Event::End(_) => {
                let Some(name) = path.pop() else {
                    closed = true;
                    break;
                };
                let value = std::mem::take(&mut buf);
                let parent = path.last().map(String::as_str);
                match (parent, name.as_str()) {
                    (None, "title") => page.title = value,
                    (None, "ns") => page.namespace = parse_num(&value, "ns")? as i32,
                    (None, "id") => page.page_id = parse_num(&value, "id")?,
                    (Some("revision"), "id") => {
                        page.revision_id = parse_num(&value, "revision id")?
                    }
                    (Some("revision"), "timestamp") => page.timestamp = value,
                    (Some("revision"), "text") => page.text = value,
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !closed {
        return Err("the page element is not closed".into());
    }
    if page.page_id < 0 || page.title.is_empty() {
        return Err("page without <id> or <title>".into());
    }
    Ok((page, text_at.filter(|_| texts == 1)))
}

fn parse_num(s: &str, what: &str) -> Result<i64, String> {
    s.trim().parse().map_err(|_| format!("<{what}> is not a number: {s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<page>
    <title>AT&amp;T</title>
    <ns>0</ns>
    <id>12</id>
    <redirect title="AT&amp;T Inc." />
    <revision>
      <id>345</id>
      <parentid>1</parentid>
      <timestamp>2016-04-22T10:19:33Z</timestamp>
      <contributor><username>x</username><id>99</id></contributor>
      <text xml:space="preserve">#REDIRECT [[AT&amp;T Inc.]] &lt;ref&gt; &#x41;</text>
    </revision>
  </page>"#;

    #[test]
    fn reads_the_fields_and_decodes_entities() {
        let p = parse_page(PAGE.as_bytes()).unwrap();
        assert_eq!(p.title, "AT&T");
        assert_eq!((p.namespace, p.page_id, p.revision_id), (0, 12, 345));
        assert_eq!(p.redirect.as_deref(), Some("AT&T Inc."));
        assert_eq!(p.timestamp, "2016-04-22T10:19:33Z");
        assert_eq!(p.text, "#REDIRECT [[AT&T Inc.]] <ref> A");
    }

    #[test]
    fn splits_pages_across_feeds_at_any_cut() {
        let stream = format!("<mediawiki><siteinfo/>{PAGE}{PAGE}</mediawiki>");
        for cut in [1, 7, 30, stream.len() / 2, stream.len() - 3] {
            let mut s = PageSplitter::default();
            let mut pages = s.feed(&stream.as_bytes()[..cut], 0);
            pages.extend(s.feed(&stream.as_bytes()[cut..], cut as u64));
            assert_eq!(pages.len(), 2, "cut at {cut}");
            assert_eq!(pages[0].bytes(), PAGE.as_bytes());
            assert_eq!(pages[1].offset as usize, stream.find("<page>").unwrap() + PAGE.len());
            assert!(!s.unfinished());
        }
    }

    /// The pages of `stream` by `str::find` over the whole of it, with their offsets.
    fn pages_by_find(stream: &str) -> Vec<(u64, String)> {
        let (mut out, mut pos) = (Vec::new(), 0);
        while let Some(start) = stream[pos..].find("<page>").map(|i| pos + i) {
            let Some(end) = stream[start..].find("</page>").map(|i| start + i + 7) else { break };
            out.push((start as u64, stream[start..end].to_string()));
            pos = end;
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 2000, failure_persistence: None, ..Default::default()
        })]
        /// Fed in pieces, shared or copied, the splitter cuts the pages `str::find` finds in the
        /// whole stream, at their offsets, whatever the cuts (tags split across feeds, feeds
        /// without a tag, pages spanning several feeds).
        #[test]
        fn feeds_cut_the_pages_of_the_whole_stream(
            parts in proptest::collection::vec("(<page>|</page>|<pa|ge>|</pa|<|/|>|x|ab\n)", 0..40),
            cuts in proptest::collection::vec(0usize..200, 0..6),
            shared in proptest::collection::vec(proptest::bool::ANY, 7),
        ) {
            let stream = parts.concat();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(stream.len())).collect();
            cuts.push(stream.len());
            cuts.sort_unstable();
            let (mut s, mut got, mut at) = (PageSplitter::default(), Vec::new(), 0);
            for (k, &cut) in cuts.iter().enumerate() {
                let piece = &stream.as_bytes()[at..cut];
                let pages = if shared[k] {
                    s.feed_shared(Arc::new(piece.to_vec()), at as u64)
                } else {
                    s.feed(piece, at as u64)
                };
                got.extend(
                    pages.iter().map(|p| (p.offset, String::from_utf8(p.bytes().to_vec()).unwrap())),
                );
                at = cut;
            }
            let want = pages_by_find(&stream);
            proptest::prop_assert_eq!(&got, &want);
            let rest = want.last().map_or(0, |(o, p)| *o as usize + p.len());
            proptest::prop_assert_eq!(s.unfinished(), stream[rest..].contains("<page>"));
        }
    }

    /// A page whose `<text>` element holds `content` (and `extra` after the revision).
    fn page_with(content: &str, extra: &str) -> String {
        format!(
            "<page><title>T</title><ns>0</ns><id>7</id><revision><id>8</id>\
             <timestamp>2020-01-01T00:00:00Z</timestamp>\
             <text bytes=\"1\" xml:space='pre>serve'>{content}</text></revision>{extra}</page>"
        )
    }

    #[test]
    fn plain_text_content_is_decoded_without_the_reader() {
        let page = page_with("a &amp; b &lt;ref&gt; &#233;&#x41; &quot;q&apos;", "");
        let mut text = String::new();
        let (start, end) = plain_text_content(&page, &mut text).expect("one text element");
        assert_eq!(&page[start..end], "a &amp; b &lt;ref&gt; &#233;&#x41; &quot;q&apos;");
        assert_eq!(text, "a & b <ref> éA \"q'");
        assert_eq!(decode_content(&page[start..end]).unwrap(), "a & b <ref> éA \"q'");
        assert_eq!(parse_page(page.as_bytes()).unwrap().text, "a & b <ref> éA \"q'");
        // What the byte search leaves to the reader.
        for content in ["a\r\nb", "&#0;", "&#9;", "&nbsp;", "&#xZ;", "& b", "<![CDATA[x]]>"] {
            assert_eq!(decode_content(content), None, "{content:?}");
        }
        let two = page_with("a", "<revision><text>b</text></revision>");
        assert_eq!(plain_text_content(&two, &mut text), None);
        let empty = page_with("", "").replace("></text>", "/>");
        assert_eq!(plain_text_content(&empty, &mut text), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 3000, failure_persistence: None, ..Default::default()
        })]
        /// The byte search gives the reader's page, text and errors, whatever the content.
        #[test]
        fn parse_page_equals_the_reader_alone(
            parts in proptest::collection::vec(
                "([a-z ]{0,8}|&amp;|&lt;|&gt;|&quot;|&apos;|&#[0-9]{1,7};|&#x[0-9a-fA-F]{0,7};|&#X41;|&#+65;|&[a-z]{1,4};|&|;|#|\r|\r\n|\n|\t|<|<b>|</b>|<!--c-->|<!\\[CDATA\\[&x\\]\\]>|\\]\\]>|é|\u{85}|\u{2028}|>|\"|')",
                0..12,
            ),
            extra in "(|<revision><text>b</text></revision>|<text>z</text>|<ns>1</ns>)",
        ) {
            let page = page_with(&parts.concat(), &extra);
            let want = parse_events(&page).map(|(p, _)| p);
            proptest::prop_assert_eq!(parse_page(page.as_bytes()), want);
        }
    }

    #[test]
    fn malformed_pages_are_errors_not_panics() {
        for bad in [
            "<page><title>x</title><id>1</id><ns>0</ns><revision><text>a</revision></page>",
            "<page><title>x</title><ns>zero</ns><id>1</id></page>",
            "<page><ns>0</ns></page>",
            "<page><title>x",
        ] {
            assert!(parse_page(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
