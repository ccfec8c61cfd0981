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
mod tests {
    use super::*;

    #[test]
    fn as_str_round_trips_through_parse_tag_and_serde() {
        for locale in Locale::ALL {
            assert_eq!(Locale::parse_tag(locale.as_str()), Some(locale));
            let json = serde_json::to_string(&locale).unwrap();
            assert_eq!(json, format!("\"{}\"", locale.as_str()));
            let back: Locale = serde_json::from_str(&json).unwrap();
            assert_eq!(back, locale);
            assert_eq!(locale.to_string(), locale.as_str());
        }
    }

    #[test]
    fn serde_rejects_unknown_locale() {
        assert!(serde_json::from_str::<Locale>("\"fr\"").is_err());
        assert!(serde_json::from_str::<Locale>("\"zh-hant\"").is_err());
    }

    #[test]
    fn parse_tag_traditional_chinese() {
        for tag in [
            "zh-Hant",
            "zh-hant",
            "ZH-HANT",
            "zh-MO",
            "zh-mo",
            "zh-HK",
            "zh-TW",
            "zh-Hant-MO",
            "zh-Hant-TW",
            "zh-hant-hk",
            "zh",
            "ZH",
            " zh-TW ",
            "zh_TW",
        ] {
            assert_eq!(Locale::parse_tag(tag), Some(Locale::ZhHant), "{tag}");
        }
    }

    #[test]
    fn parse_tag_simplified_chinese() {
        for tag in ["zh-Hans", "zh-hans", "zh-CN", "zh-cn", "zh-SG", "zh-Hans-CN", "zh-Hans-MO", "zh_CN"] {
            assert_eq!(Locale::parse_tag(tag), Some(Locale::ZhHans), "{tag}");
        }
    }

    #[test]
    fn parse_tag_portuguese_and_english() {
        for tag in ["pt", "PT", "pt-PT", "pt-BR", "pt-MO"] {
            assert_eq!(Locale::parse_tag(tag), Some(Locale::Pt), "{tag}");
        }
        for tag in ["en", "EN", "en-GB", "en-US", "en-Latn-US"] {
            assert_eq!(Locale::parse_tag(tag), Some(Locale::En), "{tag}");
        }
    }

    #[test]
    fn parse_tag_rejects_everything_else() {
        for tag in [
            "",
            "   ",
            "*",
            "fr",
            "fr-FR",
            "de",
            "zh-MY",
            "zh-yue",
            "zh-TW-x",
            "zh-",
            "en-",
            "-en",
            "e n",
            "ptx",
            "english",
            "pt-éé",
            "zh--TW",
            "en-abcdefghi",
            "中文",
        ] {
            assert_eq!(Locale::parse_tag(tag), None, "{tag:?}");
        }
    }

    #[test]
    fn negotiate_takes_first_mappable_in_header_order() {
        assert_eq!(Locale::negotiate("pt-PT,en"), Some(Locale::Pt));
        assert_eq!(Locale::negotiate("fr-FR, fr, en-US"), Some(Locale::En));
        assert_eq!(Locale::negotiate("zh-MO"), Some(Locale::ZhHant));
    }

    #[test]
    fn negotiate_honours_q_values() {
        assert_eq!(Locale::negotiate("en;q=0.5, zh-CN;q=0.9, pt;q=0.7"), Some(Locale::ZhHans));
        assert_eq!(Locale::negotiate("fr;q=1, en;q=0.2, pt;q=0.8"), Some(Locale::Pt));
        // A typical browser header from Macao.
        assert_eq!(Locale::negotiate("zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7"), Some(Locale::ZhHant));
    }

    #[test]
    fn negotiate_keeps_header_order_for_equal_q() {
        assert_eq!(Locale::negotiate("en;q=0.8, pt;q=0.8"), Some(Locale::En));
        assert_eq!(Locale::negotiate("pt;q=0.8, en;q=0.8"), Some(Locale::Pt));
        // Default weight 1 equals an explicit 1.000.
        assert_eq!(Locale::negotiate("pt;q=1.000, en"), Some(Locale::Pt));
        assert_eq!(Locale::negotiate("en, pt;q=1"), Some(Locale::En));
    }

    #[test]
    fn negotiate_q_zero_means_not_acceptable() {
        assert_eq!(Locale::negotiate("en;q=0"), None);
        assert_eq!(Locale::negotiate("en;q=0, pt;q=0.1"), Some(Locale::Pt));
        assert_eq!(Locale::negotiate("en;q=0.000, zh-CN;q=0.001"), Some(Locale::ZhHans));
    }

    #[test]
    fn negotiate_invalid_q_skips_the_entry() {
        for header in [
            "en;q=abc, pt;q=0.1",
            "en;q=2, pt;q=0.1",
            "en;q=-1, pt;q=0.1",
            "en;q=0.1234, pt;q=0.1",
            "en;q=, pt;q=0.1",
            "en;q=1.5, pt;q=0.1",
            "en;q=.5, pt;q=0.1",
            "en;q=NaN, pt;q=0.1",
        ] {
            assert_eq!(Locale::negotiate(header), Some(Locale::Pt), "{header}");
        }
    }

    #[test]
    fn negotiate_tolerates_whitespace_and_odd_parameters() {
        assert_eq!(Locale::negotiate("  fr ;  q = 0.9 ,  en-GB ; Q=0.8 "), Some(Locale::En));
        assert_eq!(Locale::negotiate("en;level=1;q=0.5, de"), Some(Locale::En));
        assert_eq!(Locale::negotiate("en;foo, de"), Some(Locale::En));
    }

    #[test]
    fn negotiate_star_and_nothing_mappable_give_none() {
        assert_eq!(Locale::negotiate("*"), None);
        assert_eq!(Locale::negotiate("fr, de;q=0.5, *;q=0.1"), None);
        assert_eq!(Locale::negotiate("*, en;q=0.5"), Some(Locale::En));
        assert_eq!(Locale::negotiate(""), None);
        assert_eq!(Locale::negotiate("   "), None);
    }

    #[test]
    fn negotiate_survives_garbage() {
        for header in [
            ",,,",
            ";;;",
            ";q=1",
            "=,=;=",
            "q=0.5",
            "\u{0}\u{1}en",
            "en;q=0.5;q=0.9",
            "🙂;q=1, 中文",
            "zh-TW;q=0.9999999999999999999999",
        ] {
            // Only the absence of a panic matters for most of these.
            let _ = Locale::negotiate(header);
        }
        assert_eq!(Locale::negotiate(",,en,,"), Some(Locale::En));
        // The first q parameter is the one that counts.
        assert_eq!(Locale::negotiate("en;q=0.5;q=0.9, pt;q=0.6"), Some(Locale::Pt));
        let long = "xx;q=0.5,".repeat(10_000) + "pt;q=0.1";
        assert_eq!(Locale::negotiate(&long), Some(Locale::Pt));
    }

    #[test]
    fn fallbacks_are_deduplicated() {
        assert_eq!(Locale::ZhHant.fallbacks(), vec![Locale::ZhHant, Locale::En]);
        assert_eq!(Locale::ZhHans.fallbacks(), vec![Locale::ZhHans, Locale::ZhHant, Locale::En]);
        assert_eq!(Locale::Pt.fallbacks(), vec![Locale::Pt, Locale::ZhHant, Locale::En]);
        assert_eq!(Locale::En.fallbacks(), vec![Locale::En, Locale::ZhHant]);
    }

    fn full() -> LocalizedText {
        LocalizedText::new("居留許可", "居留许可", "Autorização de residência", "Residence permit")
    }

    #[test]
    fn get_returns_own_text_when_present() {
        let t = full();
        assert_eq!(t.get(Locale::ZhHant), "居留許可");
        assert_eq!(t.get(Locale::ZhHans), "居留许可");
        assert_eq!(t.get(Locale::Pt), "Autorização de residência");
        assert_eq!(t.get(Locale::En), "Residence permit");
        assert!(t.is_complete());
        assert!(t.missing().is_empty());
    }

    #[test]
    fn get_follows_fallbacks() {
        let t =
            LocalizedText {
                zh_hant: "居留許可".into(), en: "Residence permit".into(), ..Default::default()
            };
        assert_eq!(t.get(Locale::ZhHans), "居留許可");
        assert_eq!(t.get(Locale::Pt), "居留許可");
        let only_en = LocalizedText { en: "Residence permit".into(), ..Default::default() };
        assert_eq!(only_en.get(Locale::ZhHant), "Residence permit");
        assert_eq!(only_en.get(Locale::Pt), "Residence permit");
        let only_pt = LocalizedText { pt: "Autorização".into(), ..Default::default() };
        // Portuguese is not on anyone else's fallback chain.
        assert_eq!(only_pt.get(Locale::Pt), "Autorização");
        assert_eq!(only_pt.get(Locale::En), "");
        assert_eq!(LocalizedText::default().get(Locale::En), "");
    }

    #[test]
    fn blank_texts_count_as_missing() {
        let t = LocalizedText::new("  ", "居留许可", "", "Residence permit");
        assert_eq!(t.get(Locale::ZhHant), "Residence permit");
        assert_eq!(t.get(Locale::Pt), "Residence permit");
        assert!(!t.is_complete());
        assert_eq!(t.missing(), vec![Locale::ZhHant, Locale::Pt]);
        assert_eq!(t.text(Locale::ZhHant), "  ");
    }

    #[test]
    fn missing_lists_in_all_order() {
        assert_eq!(LocalizedText::default().missing(), Locale::ALL.to_vec());
    }

    #[test]
    fn localized_text_serde_uses_locale_keys_and_defaults() {
        let t = full();
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "zh-Hant": "居留許可",
                "zh-Hans": "居留许可",
                "pt": "Autorização de residência",
                "en": "Residence permit"
            })
        );
        let back: LocalizedText = serde_json::from_value(json).unwrap();
        assert_eq!(back, t);
        let partial: LocalizedText = serde_json::from_str(r#"{"en":"Hello"}"#).unwrap();
        assert_eq!(partial.en, "Hello");
        assert_eq!(partial.missing(), vec![Locale::ZhHant, Locale::ZhHans, Locale::Pt]);
    }
}
