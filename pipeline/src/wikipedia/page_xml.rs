//! Cutting a MediaWiki XML stream into `<page>` elements and reading one page.
//!
//! Pages are cut with a byte search for `<page>` / `</page>` and each page is parsed on its
//! own (quick-xml), so malformed XML inside one page costs that page only, pages can be parsed
//! in parallel, and the multistream fragments (which are not well-formed documents) need no
//! special treatment.
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
    carry: Vec<u8>,
    /// Decompressed offset of `carry[0]`.
    carry_offset: u64,
}

/// A page's bytes and its decompressed offset (for error messages).
pub struct PageBytes {
    pub offset: u64,
    pub bytes: Vec<u8>,
}

impl PageSplitter {
    /// Feeds the next bytes (which start at decompressed offset `offset` when the splitter is
    /// empty) and returns the pages completed by them.
    pub fn feed(&mut self, bytes: &[u8], offset: u64) -> Vec<PageBytes> {
        if self.carry.is_empty() {
            self.carry_offset = offset;
        }
        self.carry.extend_from_slice(bytes);
        let mut pages = Vec::new();
        let open = memmem::Finder::new(b"<page>");
        let close = memmem::Finder::new(b"</page>");
        let mut pos = 0usize;
        loop {
            let Some(start) = open.find(&self.carry[pos..]).map(|i| pos + i) else {
                // Keep a tail that might hold the start of a split `<page>` tag.
                pos = self.carry.len().saturating_sub(5).max(pos);
                break;
            };
            let Some(end) = close.find(&self.carry[start..]).map(|i| start + i + 7) else {
                pos = start;
                break;
            };
            pages.push(PageBytes {
                offset: self.carry_offset + start as u64,
                bytes: self.carry[start..end].to_vec(),
            });
            pos = end;
        }
        self.carry.drain(..pos);
        self.carry_offset += pos as u64;
        pages
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
pub fn parse_page(bytes: &[u8]) -> Result<RawPage, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("invalid UTF-8: {e}"))?;
    let mut reader = Reader::from_str(text);
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
    Ok(page)
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
            assert_eq!(pages[0].bytes, PAGE.as_bytes());
            assert_eq!(pages[1].offset as usize, stream.find("<page>").unwrap() + PAGE.len());
            assert!(!s.unfinished());
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
