//! The four languages the service speaks, how a request picks one, and texts kept in all four.
//!
//! Macao residents mostly read Traditional Chinese, so that is the first fallback everywhere;
//! English is the last resort because every text is written in it first.

use serde::{Deserialize, Serialize};

/// One of the four languages the service is offered in.
///
/// Serialised as its BCP 47 tag (`zh-Hant`, `zh-Hans`, `pt`, `en`), the same string
/// [`Locale::as_str`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Locale {
    /// Traditional Chinese, as written in Macao.
    #[serde(rename = "zh-Hant")]
    ZhHant,
    /// Simplified Chinese, as written in Hengqin and the rest of the mainland.
    #[serde(rename = "zh-Hans")]
    ZhHans,
    /// Portuguese, an official language of Macao.
    #[serde(rename = "pt")]
    Pt,
    /// English.
    #[serde(rename = "en")]
    En,
}

impl Locale {
    /// Every locale, in the order used for listings and for [`LocalizedText::missing`].
    pub const ALL: [Locale; 4] = [Locale::ZhHant, Locale::ZhHans, Locale::Pt, Locale::En];

    /// The canonical tag: `zh-Hant`, `zh-Hans`, `pt` or `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::ZhHant => "zh-Hant",
            Locale::ZhHans => "zh-Hans",
            Locale::Pt => "pt",
            Locale::En => "en",
        }
    }

    /// Maps one language tag to a locale, ignoring case and surrounding whitespace.
    ///
    /// `zh-Hant`, `zh-MO`, `zh-HK`, `zh-TW` and `zh-Hant-*` give [`Locale::ZhHant`];
    /// `zh-Hans`, `zh-CN`, `zh-SG` and `zh-Hans-*` give [`Locale::ZhHans`]; a bare `zh`
    /// gives [`Locale::ZhHant`] because the audience is in Macao; `pt`, `pt-*`, `en` and
    /// `en-*` give the obvious locale. Underscores are accepted in place of hyphens
    /// (`zh_TW`), since some clients send them. Anything else, including `*`, a tag with an
    /// empty or non-alphanumeric subtag, or another Chinese region such as `zh-MY`, is `None`.
    pub fn parse_tag(tag: &str) -> Option<Locale> {
        let tag = tag.trim();
        if tag.is_empty() {
            return None;
        }
        let mut subtags = tag.split(['-', '_']);
        let primary = subtags.next()?;
        let rest: Vec<&str> = subtags.collect();
        // BCP 47 subtags are 1-8 ASCII letters or digits; refusing anything else keeps
        // garbage such as `en-` or `pt-<script>` from being read as a real preference.
        let well_formed =
            |s: &str| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric());
        if !well_formed(primary) || !rest.iter().all(|s| well_formed(s)) {
            return None;
        }
        if primary.eq_ignore_ascii_case("pt") {
            return Some(Locale::Pt);
        }
        if primary.eq_ignore_ascii_case("en") {
            return Some(Locale::En);
        }
        if !primary.eq_ignore_ascii_case("zh") {
            return None;
        }
        // Only the subtag right after `zh` decides: it is either a script (`Hant`, `Hans`,
        // whatever follows it) or a region (`MO`, `CN`, ...); `zh-TW-x` style tags with
        // more subtags after a region are not in the accepted list.
        match rest.as_slice() {
            [] => Some(Locale::ZhHant),
            [first, ..] if first.eq_ignore_ascii_case("hant") => Some(Locale::ZhHant),
            [first, ..] if first.eq_ignore_ascii_case("hans") => Some(Locale::ZhHans),
            [region] => {
                let region = region.to_ascii_lowercase();
                match region.as_str() {
                    "mo" | "hk" | "tw" => Some(Locale::ZhHant),
                    "cn" | "sg" => Some(Locale::ZhHans),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Picks the best locale from an `Accept-Language` header value.
    ///
    /// Entries are comma-separated tags with an optional `;q=` weight (default 1). Entries
    /// whose weight is 0, malformed (not `0`, `1` or a decimal in between with at most three
    /// digits after the point) or whose tag is empty are not acceptable. The rest are ordered
    /// by weight, highest first, keeping header order among equal weights, and the first one
    /// [`Locale::parse_tag`] maps wins. `*` maps to nothing, so a header of only `*` gives
    /// `None` and the caller applies its own default. Never panics, whatever the input.
    pub fn negotiate(accept_language: &str) -> Option<Locale> {
        let mut candidates: Vec<(u16, &str)> =
            accept_language.split(',').filter_map(parse_entry).filter(|(q, _)| *q > 0).collect();
        // `sort_by_key` is stable, which is what keeps header order among equal weights.
        candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
        candidates.into_iter().find_map(|(_, tag)| Locale::parse_tag(tag))
    }

    /// The order in which texts are looked up when one is missing in `self`:
    /// `self`, then Traditional Chinese, then English, without repeats.
    pub fn fallbacks(self) -> Vec<Locale> {
        let mut chain = Vec::with_capacity(3);
        for locale in [self, Locale::ZhHant, Locale::En] {
            if !chain.contains(&locale) {
                chain.push(locale);
            }
        }
        chain
    }
}

impl std::fmt::Display for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Splits one `Accept-Language` entry into its weight in thousandths and its tag.
/// `None` when the entry has no tag at all.
fn parse_entry(entry: &str) -> Option<(u16, &str)> {
    let mut parts = entry.split(';');
    let tag = parts.next()?.trim();
    if tag.is_empty() {
        return None;
    }
    let mut q = 1000;
    for param in parts {
        let Some((name, value)) = param.split_once('=') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("q") {
            // A weight we cannot read says nothing trustworthy about the entry, so it is
            // treated as "not acceptable" rather than guessed at.
            q = parse_qvalue(value.trim()).unwrap_or(0);
            break;
        }
    }
    Some((q, tag))
}

/// Parses an RFC 9110 `qvalue` (`0`, `0.5`, `0.125`, `1`, `1.000`) into thousandths.
fn parse_qvalue(s: &str) -> Option<u16> {
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s, ""),
    };
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for (b, scale) in frac.bytes().zip([100, 10, 1]) {
        thousandths += u16::from(b - b'0') * scale;
    }
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// A text in the four languages, such as a form label.
///
/// Serialised as an object keyed by locale tag; missing keys deserialise as empty texts.
/// A text that is empty or only whitespace counts as missing everywhere in this type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LocalizedText {
    #[serde(rename = "zh-Hant", default)]
    pub zh_hant: String,
    #[serde(rename = "zh-Hans", default)]
    pub zh_hans: String,
    #[serde(default)]
    pub pt: String,
    #[serde(default)]
    pub en: String,
}

impl LocalizedText {
    /// Builds a text from its four translations.
    pub fn new(
        zh_hant: impl Into<String>,
        zh_hans: impl Into<String>,
        pt: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self { zh_hant: zh_hant.into(), zh_hans: zh_hans.into(), pt: pt.into(), en: en.into() }
    }

    /// The text stored for exactly `locale`, with no fallback (possibly empty).
    pub fn text(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhHant => &self.zh_hant,
            Locale::ZhHans => &self.zh_hans,
            Locale::Pt => &self.pt,
            Locale::En => &self.en,
        }
    }

    /// The text to show a reader of `locale`: the first non-blank text along
    /// [`Locale::fallbacks`], or `""` when there is none.
    pub fn get(&self, locale: Locale) -> &str {
        locale.fallbacks().into_iter().map(|l| self.text(l)).find(|t| !is_blank(t)).unwrap_or("")
    }

    /// True when all four translations are present (non-blank).
    pub fn is_complete(&self) -> bool {
        self.missing().is_empty()
    }

    /// The locales whose translation is blank, in [`Locale::ALL`] order.
    pub fn missing(&self) -> Vec<Locale> {
        Locale::ALL.into_iter().filter(|l| is_blank(self.text(*l))).collect()
    }
}

fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

#[cfg(test)]
#[path = "locale_tests.rs"]
mod tests;
