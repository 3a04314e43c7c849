//! The entity types the detector assigns: spaCy's OntoNotes labels without the numeric ones
//! (DATE, TIME, PERCENT, MONEY, QUANTITY, ORDINAL, CARDINAL), which are never Wikidata links.

/// A mention's type guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityType {
    Person,
    Norp,
    Fac,
    Org,
    Gpe,
    Loc,
    Product,
    Event,
    WorkOfArt,
    Law,
    Language,
}

impl EntityType {
    /// Every type, in declaration order.
    pub const ALL: [EntityType; 11] = [
        Self::Person,
        Self::Norp,
        Self::Fac,
        Self::Org,
        Self::Gpe,
        Self::Loc,
        Self::Product,
        Self::Event,
        Self::WorkOfArt,
        Self::Law,
        Self::Language,
    ];

    /// spaCy's label string ("PERSON", "WORK_OF_ART", ...), so outputs read like spaCy's.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Person => "PERSON",
            Self::Norp => "NORP",
            Self::Fac => "FAC",
            Self::Org => "ORG",
            Self::Gpe => "GPE",
            Self::Loc => "LOC",
            Self::Product => "PRODUCT",
            Self::Event => "EVENT",
            Self::WorkOfArt => "WORK_OF_ART",
            Self::Law => "LAW",
            Self::Language => "LANGUAGE",
        }
    }

    /// The type for a spaCy label string, if it is one of ours.
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == label)
    }
}

impl std::fmt::Display for EntityType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for t in EntityType::ALL {
            assert_eq!(EntityType::from_label(t.as_str()), Some(t));
        }
        assert_eq!(EntityType::from_label("DATE"), None);
        assert_eq!(EntityType::WorkOfArt.to_string(), "WORK_OF_ART");
    }
}
