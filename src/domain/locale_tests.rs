//! Unit tests of `domain::locale`, compiled only under `#[cfg(test)]` by the module they test.

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
        LocalizedText { zh_hant: "居留許可".into(), en: "Residence permit".into(), ..Default::default() };
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
