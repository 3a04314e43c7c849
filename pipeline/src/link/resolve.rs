//! Anchor target -> Wikidata item: follow redirects (chains, loops detected), then look the
//! title up among the items' enwiki sitelink titles.
use std::collections::HashMap;

/// Longest redirect chain followed; longer chains count as loops.
pub const MAX_HOPS: usize = 8;

/// Why an anchor could not be linked (counted in the stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unresolved {
    /// The (redirect-resolved) title is no item's enwiki sitelink.
    NoItem,
    /// A redirect chain returns to a title it already visited, or exceeds `MAX_HOPS`.
    RedirectLoop,
}

impl Unresolved {
    pub fn as_str(self) -> &'static str {
        match self {
            Unresolved::NoItem => "no_item_for_title",
            Unresolved::RedirectLoop => "redirect_loop",
        }
    }
}

pub struct TitleResolver {
    redirects: HashMap<String, String>,
    /// enwiki title -> entity index.
    items: HashMap<String, u32>,
}

impl TitleResolver {
    pub fn new(redirects: HashMap<String, String>, items: HashMap<String, u32>) -> Self {
        TitleResolver { redirects, items }
    }

    /// The entity a (normalised) title denotes, and how many redirects were followed.
    pub fn resolve(&self, title: &str) -> Result<(u32, usize), Unresolved> {
        let mut current = title;
        let mut seen: Vec<&str> = Vec::new();
        for hops in 0..=MAX_HOPS {
            // A sitelink wins over a redirect of the same title (should not happen in a dump).
            if let Some(&e) = self.items.get(current) {
                return Ok((e, hops));
            }
            match self.redirects.get(current) {
                Some(next) => {
                    if seen.contains(&next.as_str()) || next == title {
                        return Err(Unresolved::RedirectLoop);
                    }
                    seen.push(current);
                    current = next;
                }
                None => return Err(Unresolved::NoItem),
            }
        }
        Err(Unresolved::RedirectLoop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver() -> TitleResolver {
        let r = |a: &str, b: &str| (a.to_string(), b.to_string());
        TitleResolver::new(
            HashMap::from([r("UK", "United Kingdom"), r("GB", "UK"), r("A", "B"), r("B", "A")]),
            HashMap::from([("United Kingdom".to_string(), 7), ("Paris".to_string(), 1)]),
        )
    }

    #[test]
    fn direct_chained_looping_and_missing() {
        let r = resolver();
        assert_eq!(r.resolve("Paris"), Ok((1, 0)));
        assert_eq!(r.resolve("UK"), Ok((7, 1)));
        assert_eq!(r.resolve("GB"), Ok((7, 2)));
        assert_eq!(r.resolve("A"), Err(Unresolved::RedirectLoop));
        assert_eq!(r.resolve("Nowhere"), Err(Unresolved::NoItem));
    }
}
