//! One line of the Wikidata JSON dump -> the fields wikirel keeps, with typed, borrowed serde
//! (no generic JSON tree per entity). Every map we do not need is skipped with `IgnoredAny`.
//!
//! Dump quirks handled here: empty term maps written as `[]` instead of `{}`; item values with
//! `"id"` or only `"numeric-id"` (older dumps); lexemes (skipped by the caller).
use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

/// What a claim was dropped for (see the stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drop {
    Deprecated,
    NoValue,
    NotItemValue,
}

/// A parsed entity: only what the stage writes.
#[derive(Debug, Default)]
pub struct Entity<'a> {
    pub id: Cow<'a, str>,
    pub kind: Cow<'a, str>,
    pub label: Option<Cow<'a, str>>,
    pub description: Option<Cow<'a, str>>,
    pub aliases: Vec<Cow<'a, str>>,
    pub enwiki_title: Option<Cow<'a, str>>,
    /// (property, tail item id, rank) of item-valued, non-deprecated main snaks of kept properties.
    pub claims: Vec<(Cow<'a, str>, String, Rank)>,
    /// Statements of kept properties that were dropped, by reason.
    pub dropped: Vec<Drop>,
    /// Statements of properties outside the relation set (not P31/P279).
    pub dropped_other_properties: u64,
    pub instance_of: Vec<String>,
    pub subclass_of: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rank {
    Preferred,
    Normal,
}

impl Rank {
    pub fn as_str(self) -> &'static str {
        match self {
            Rank::Preferred => "preferred",
            Rank::Normal => "normal",
        }
    }
}

/// Decides which properties' statements are decoded.
pub trait PropertyFilter: Sync {
    fn keep(&self, pid: &str) -> bool;
}

/// Parses one dump line (without its trailing comma) into an [`Entity`].
pub fn parse_entity<'a>(
    line: &'a str,
    filter: &dyn PropertyFilter,
) -> Result<Entity<'a>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(line);
    let e = de::DeserializeSeed::deserialize(EntitySeed { filter }, &mut de)?;
    de.end()?;
    Ok(e)
}

struct EntitySeed<'f> {
    filter: &'f dyn PropertyFilter,
}

impl<'de> de::DeserializeSeed<'de> for EntitySeed<'_> {
    type Value = Entity<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntitySeed<'_> {
    type Value = Entity<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Wikidata entity object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut e = Entity::default();
        let mut have_id = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "id" => {
                    e.id = map.next_value()?;
                    have_id = true;
                }
                "type" => e.kind = map.next_value()?,
                "labels" => e.label = map.next_value::<EnTerm>()?.0,
                "descriptions" => e.description = map.next_value::<EnTerm>()?.0,
                "aliases" => e.aliases = map.next_value::<EnAliases>()?.0,
                "sitelinks" => e.enwiki_title = map.next_value::<EnwikiTitle>()?.0,
                "claims" => map.next_value_seed(ClaimsSeed { e: &mut e, filter: self.filter })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !have_id {
            return Err(de::Error::missing_field("id"));
        }
        Ok(e)
    }
}

/// Visits a JSON object, or the `[]` that the dump writes for an empty one.
fn visit_map_or_empty_seq<'de, A: SeqAccess<'de>, T: Default>(mut seq: A) -> Result<T, A::Error> {
    if seq.next_element::<IgnoredAny>()?.is_some() {
        return Err(de::Error::custom("expected an object or an empty array"));
    }
    Ok(T::default())
}

#[derive(Deserialize)]
struct Term<'a> {
    #[serde(borrow)]
    value: Cow<'a, str>,
}

/// The English entry of a `labels`/`descriptions` map.
#[derive(Default)]
struct EnTerm<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for EnTerm<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EnTerm<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a term map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = None;
                while let Some(lang) = map.next_key::<Cow<'de, str>>()? {
                    if lang == "en" {
                        out = Some(map.next_value::<Term<'de>>()?.value);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(EnTerm(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                visit_map_or_empty_seq(seq)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Default)]
struct EnAliases<'a>(Vec<Cow<'a, str>>);

impl<'de> Deserialize<'de> for EnAliases<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EnAliases<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an alias map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(lang) = map.next_key::<Cow<'de, str>>()? {
                    if lang == "en" {
                        out = map
                            .next_value::<Vec<Term<'de>>>()?
                            .into_iter()
                            .map(|t| t.value)
                            .collect();
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(EnAliases(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                visit_map_or_empty_seq(seq)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Default)]
struct EnwikiTitle<'a>(Option<Cow<'a, str>>);

#[derive(Deserialize)]
struct Sitelink<'a> {
    #[serde(borrow)]
    title: Cow<'a, str>,
}

impl<'de> Deserialize<'de> for EnwikiTitle<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EnwikiTitle<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sitelinks map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = None;
                while let Some(site) = map.next_key::<Cow<'de, str>>()? {
                    if site == "enwiki" {
                        out = Some(map.next_value::<Sitelink<'de>>()?.title);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(EnwikiTitle(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                visit_map_or_empty_seq(seq)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct Statement<'a> {
    #[serde(borrow)]
    mainsnak: Snak<'a>,
    #[serde(borrow, default)]
    rank: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Snak<'a> {
    #[serde(borrow)]
    snaktype: Cow<'a, str>,
    #[serde(borrow, default)]
    datavalue: Option<DataValue<'a>>,
}

#[derive(Deserialize)]
struct DataValue<'a> {
    #[serde(rename = "type", borrow)]
    ty: Cow<'a, str>,
    #[serde(borrow)]
    value: &'a RawValue,
}

#[derive(Deserialize)]
struct EntityIdValue<'a> {
    #[serde(rename = "entity-type", borrow, default)]
    entity_type: Option<Cow<'a, str>>,
    #[serde(rename = "numeric-id", default)]
    numeric_id: Option<u64>,
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
}

/// The item id of a snak's value, or why there is none.
fn item_value(snak: &Snak<'_>) -> Result<String, Drop> {
    if snak.snaktype != "value" {
        return Err(Drop::NoValue);
    }
    let dv = snak.datavalue.as_ref().ok_or(Drop::NoValue)?;
    if dv.ty != "wikibase-entityid" {
        return Err(Drop::NotItemValue);
    }
    let v: EntityIdValue = serde_json::from_str(dv.value.get()).map_err(|_| Drop::NotItemValue)?;
    if v.entity_type.as_deref().is_some_and(|t| t != "item") {
        return Err(Drop::NotItemValue);
    }
    match (v.id, v.numeric_id) {
        (Some(id), _) if id.starts_with('Q') => Ok(id.into_owned()),
        (None, Some(n)) => Ok(format!("Q{n}")),
        _ => Err(Drop::NotItemValue),
    }
}

struct ClaimsSeed<'e, 'a, 'f> {
    e: &'e mut Entity<'a>,
    filter: &'f dyn PropertyFilter,
}

impl<'de> de::DeserializeSeed<'de> for ClaimsSeed<'_, 'de, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ClaimsSeed<'_, 'de, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a claims map")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        visit_map_or_empty_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(pid) = map.next_key::<Cow<'de, str>>()? {
            let is_class = pid == "P31" || pid == "P279";
            let keep = self.filter.keep(&pid);
            if !keep && !is_class {
                let n = map.next_value::<CountSeq>()?.0;
                self.e.dropped_other_properties += n;
                continue;
            }
            for st in map.next_value::<Vec<Statement<'de>>>()? {
                let deprecated = st.rank.as_deref() == Some("deprecated");
                let rank = if st.rank.as_deref() == Some("preferred") {
                    Rank::Preferred
                } else {
                    Rank::Normal
                };
                let value = item_value(&st.mainsnak);
                if let (false, Ok(q)) = (deprecated, &value) {
                    match pid.as_ref() {
                        "P31" => self.e.instance_of.push(q.clone()),
                        "P279" => self.e.subclass_of.push(q.clone()),
                        _ => {}
                    }
                }
                if !keep {
                    continue;
                }
                match (deprecated, value) {
                    (true, _) => self.e.dropped.push(Drop::Deprecated),
                    (false, Err(why)) => self.e.dropped.push(why),
                    (false, Ok(q)) => self.e.claims.push((pid.clone(), q, rank)),
                }
            }
        }
        Ok(())
    }
}

/// Counts a JSON array's elements without decoding them.
struct CountSeq(u64);

impl<'de> Deserialize<'de> for CountSeq {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CountSeq;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CountSeq, A::Error> {
                let mut n = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    n += 1;
                }
                Ok(CountSeq(n))
            }
        }
        d.deserialize_seq(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct All;
    impl PropertyFilter for All {
        fn keep(&self, _: &str) -> bool {
            true
        }
    }

    #[test]
    fn empty_term_maps_as_arrays_and_numeric_ids() {
        let line = r#"{"type":"item","id":"Q8","labels":[],"descriptions":[],"aliases":[],"sitelinks":[],"claims":{"P31":[{"mainsnak":{"snaktype":"value","property":"P31","datavalue":{"value":{"entity-type":"item","numeric-id":5},"type":"wikibase-entityid"}},"rank":"normal"}]}}"#;
        let e = parse_entity(line, &All).unwrap();
        assert_eq!(e.id, "Q8");
        assert_eq!(e.label, None);
        assert_eq!(e.instance_of, vec!["Q5".to_string()]);
        assert_eq!(e.claims.len(), 1);
    }

    #[test]
    fn drops_by_reason_and_ignores_qualifiers() {
        let line = r#"{"type":"item","id":"Q1","labels":{"en":{"language":"en","value":"A \"quoted\" label"}},"claims":{
          "P17":[{"mainsnak":{"snaktype":"value","datavalue":{"value":{"entity-type":"item","numeric-id":2,"id":"Q2"},"type":"wikibase-entityid"}},"rank":"deprecated"},
                 {"mainsnak":{"snaktype":"novalue"},"rank":"normal"},
                 {"mainsnak":{"snaktype":"value","datavalue":{"value":"x","type":"string"}},"rank":"normal"},
                 {"mainsnak":{"snaktype":"value","datavalue":{"value":{"entity-type":"item","id":"Q3"},"type":"wikibase-entityid"}},"rank":"preferred",
                  "qualifiers":{"P642":[{"snaktype":"value","datavalue":{"value":{"id":"Q9"},"type":"wikibase-entityid"}}]}}]}}"#;
        let e = parse_entity(line, &All).unwrap();
        assert_eq!(e.label.as_deref(), Some("A \"quoted\" label"));
        assert_eq!(e.claims, vec![(Cow::Borrowed("P17"), "Q3".to_string(), Rank::Preferred)]);
        assert_eq!(e.dropped, vec![Drop::Deprecated, Drop::NoValue, Drop::NotItemValue]);
    }

    #[test]
    fn malformed_lines_are_errors() {
        assert!(parse_entity(r#"{"type":"item","id":"Q1","labels":{"en":"#, &All).is_err());
        assert!(parse_entity(r#"{"type":"item"}"#, &All).is_err());
        assert!(parse_entity(r#"{"id":"Q1"} trailing"#, &All).is_err());
    }
}
