//! The catalogue's rules: what an organisation, a service and a form version may be. The stored and
//! wire forms of each value are its `as_str`; `parse` is the only way in.

use serde::{Deserialize, Serialize};

use super::FieldError;
use super::locale::{Locale, LocalizedText};

/// A closed set of snake_case names, stored and sent as text.
macro_rules! names {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The value named exactly by `s`.
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }

            /// Every name, in order.
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
            }

            /// Every name, for messages: `a, b or c`.
            pub fn listed() -> String {
                let names = Self::names();
                match names.split_last() {
                    Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                    _ => names.concat(),
                }
            }
        }
    };
}

names!(
    /// What an organisation is.
    OrganisationKind { Government => "government", Business => "business" }
);

names!(
    /// Whose public holidays an organisation's service levels follow.
    Jurisdiction { Macao => "macao", Hengqin => "hengqin" }
);

names!(
    /// The catalogue's sections.
    Category {
        Immigration => "immigration",
        Residence => "residence",
        Travel => "travel",
        Business => "business",
        Employment => "employment",
        Health => "health",
        Education => "education",
    }
);

names!(
    /// The currency of a fee, kept in its minor unit (avos, fen).
    Currency { Mop => "MOP", Cny => "CNY" }
);

names!(
    /// Where a form version stands: drafted, live (exactly one per live service), or replaced.
    VersionState { Draft => "draft", Published => "published", Retired => "retired" }
);

impl VersionState {
    /// Only a draft can be published: a published version is live already, a retired one was replaced
    /// and is kept only for the applications made on it.
    pub fn can_publish(self) -> bool {
        self == VersionState::Draft
    }
}

/// Fees run from nothing to one million in the major unit.
pub const FEE_RANGE: std::ops::RangeInclusive<i64> = 0..=100_000_000;
/// Service-level targets, in working days: about a year at most.
pub const SLA_DAYS_RANGE: std::ops::RangeInclusive<i32> = 1..=250;
/// Longest text a catalogue search takes, in characters.
pub const MAX_SEARCH_CHARS: usize = 100;

/// The code of an organisation or a service: 3-63 lowercase letters, digits and hyphens, starting with a
/// letter, so that it reads well in URLs and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code(String);

impl Code {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let ok = (3..=63).contains(&raw.len())
            && raw.starts_with(|c: char| c.is_ascii_lowercase())
            && raw.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(field, "invalid_format", "use 3-63 lowercase letters, digits and hyphens"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// One error per language a public text lacks: the catalogue is published in all four.
pub fn check_complete(field: &str, text: &LocalizedText, errors: &mut Vec<FieldError>) {
    for missing in text.missing() {
        errors.push(FieldError::new(
            format!("{field}.{}", missing.as_str()),
            "incomplete_translation",
            format!("{field} needs a text in {}", missing.as_str()),
        ));
    }
}

/// The texts of a service, stored together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTexts {
    pub name: LocalizedText,
    pub description: LocalizedText,
    pub instructions: LocalizedText,
    pub eligibility: LocalizedText,
}

/// Lowercased code and names in every language, for the catalogue's text search.
pub fn search_text(code: &str, names: &LocalizedText) -> String {
    let mut s = code.to_lowercase();
    for locale in Locale::ALL {
        let name = names.text(locale);
        if !name.trim().is_empty() {
            s.push('\n');
            s.push_str(&name.to_lowercase());
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_list_themselves() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(*c));
        }
        assert_eq!(Category::parse("space"), None);
        assert_eq!(Currency::parse("mop"), None, "currencies are upper case");
        assert_eq!(OrganisationKind::listed(), "government or business");
        assert_eq!(
            Category::listed(),
            "immigration, residence, travel, business, employment, health or education"
        );
    }

    #[test]
    fn only_a_draft_can_be_published() {
        assert!(VersionState::Draft.can_publish());
        assert!(!VersionState::Published.can_publish());
        assert!(!VersionState::Retired.can_publish());
    }

    #[test]
    fn codes_are_short_lowercase_slugs() {
        assert!(Code::parse("code", "hq-entry-exit").is_ok());
        assert!(Code::parse("code", "a1-").is_ok());
        for bad in ["ab", "Upper", "1abc", "with space", "under_score", &"a".repeat(64)] {
            let e = Code::parse("code", bad).unwrap_err();
            assert_eq!((e.field.as_str(), e.code.as_str()), ("code", "invalid_format"), "{bad}");
        }
    }

    #[test]
    fn search_text_holds_the_code_and_every_name_in_lower_case() {
        let names = LocalizedText::new("口岸協助", "口岸协助", "Posto", "Port Help");
        let s = search_text("HQ-Port", &names);
        assert!(s.starts_with("hq-port\n"));
        for part in ["口岸協助", "口岸协助", "posto", "port help"] {
            assert!(s.contains(part), "{part} in {s}");
        }
    }

    #[test]
    fn incomplete_texts_name_each_missing_language() {
        let mut errors = Vec::new();
        check_complete("name", &LocalizedText::new("名", "", "", "Name"), &mut errors);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name.zh-Hans", "name.pt"]);
    }
}
