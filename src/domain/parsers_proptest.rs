//! Property tests of every parser that takes untrusted input: whatever it is given, it answers a value
//! or a refusal, never a panic, and what it accepts it accepts again unchanged.

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::contact::{Email, LoginId, Phone};
use super::form::{FormDefinition, Mode, validate};
use super::identity::{IdentityKind, IdentityNumber};
use super::locale::Locale;

const KINDS: [IdentityKind; 4] = [
    IdentityKind::MacaoId,
    IdentityKind::MainlandTravelPermit,
    IdentityKind::MainlandId,
    IdentityKind::ResidencePermit,
];

/// Text that looks like the real thing often enough to reach deep into the parsers.
fn near_miss() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9A-Za-z()+@. _-]{0,24}",
        "[157][0-9]{6}\\(?[0-9A-Z]\\)?",
        "[HM][0-9]{8,10}",
        "(81|82)0000[0-9]{11}[0-9X]",
        "\\+?(853|86)? ?[0-9 ]{6,14}",
        "[a-z]{1,8}@[a-z]{1,8}\\.[a-z]{2,4}",
    ]
}

/// Any JSON value, a few levels deep.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        near_miss().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A form whose fields are of every type, so that random data meets every validator.
fn every_type_form() -> FormDefinition {
    let label = serde_json::json!({"zh-Hant": "x", "zh-Hans": "x", "pt": "x", "en": "x"});
    let option = |v: &str| serde_json::json!({"value": v, "label": label});
    let fields: Vec<Value> = [
        ("t", "text", serde_json::json!({"min": 1, "max": 20, "pattern": "[a-z]+"})),
        ("n", "number", serde_json::json!({"min": 0, "max": 10})),
        ("d", "date", serde_json::json!({"min": "2000-01-01"})),
        ("b", "boolean", serde_json::json!({})),
        ("s", "select", serde_json::json!({"options": [option("a"), option("b")]})),
        ("m", "multiselect", serde_json::json!({"options": [option("a"), option("b")], "max": 1})),
        ("e", "email", serde_json::json!({})),
        ("p", "phone", serde_json::json!({})),
        ("mo", "macao_id", serde_json::json!({})),
        ("tp", "mainland_travel_permit", serde_json::json!({})),
        ("cn", "mainland_id", serde_json::json!({})),
    ]
    .into_iter()
    .map(|(key, kind, extra)| {
        let mut f = serde_json::json!({"key": key, "type": kind, "required": true, "label": label});
        f.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        f
    })
    .collect();
    serde_json::from_value(serde_json::json!({"fields": fields, "documents": []})).unwrap()
}

proptest! {
    #[test]
    fn identity_numbers_refuse_or_normalise_for_good(raw in near_miss(), k in 0..4usize) {
        if let Ok(n) = IdentityNumber::parse(KINDS[k], &raw) {
            let again = IdentityNumber::parse(KINDS[k], n.as_str());
            prop_assert!(again.as_ref().is_ok_and(|a| a.as_str() == n.as_str()), "{raw:?}");
        }
    }

    #[test]
    fn contacts_refuse_or_normalise_for_good(raw in near_miss()) {
        if let Ok(e) = Email::parse(&raw) {
            prop_assert_eq!(Email::parse(e.as_str()).map(Email::into_inner).ok(), Some(e.as_str().to_owned()));
        }
        if let Ok(p) = Phone::parse(&raw) {
            prop_assert_eq!(Phone::parse(p.as_str()).map(Phone::into_inner).ok(), Some(p.as_str().to_owned()));
        }
        let _ = LoginId::parse(&raw);
    }

    #[test]
    fn language_tags_and_accept_language_never_panic(raw in any::<String>(), tag in "[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8}){0,3}(;q=[0-9.]{1,5})?") {
        let _ = Locale::parse_tag(&raw);
        let _ = Locale::negotiate(&raw);
        let header = format!("{tag}, {raw}");
        if let Some(l) = Locale::negotiate(&header) {
            prop_assert!(Locale::parse_tag(l.as_str()) == Some(l));
        }
    }

    #[test]
    fn any_json_as_a_form_definition_is_checked_without_panicking(v in json()) {
        if let Ok(def) = serde_json::from_value::<FormDefinition>(v) {
            let _ = def.check("form");
        }
    }

    #[test]
    fn any_form_data_is_judged_field_by_field(data in json(), fields in prop::collection::btree_map(
        prop::sample::select(vec!["t", "n", "d", "b", "s", "m", "e", "p", "mo", "tp", "cn", "other"]),
        json(), 0..12)) {
        let def = every_type_form();
        let object = Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
        for candidate in [data, object] {
            for mode in [Mode::Draft, Mode::Submit] {
                if let Err(errors) = validate(&def, &candidate, mode) {
                    prop_assert!(!errors.is_empty());
                    for e in errors {
                        prop_assert!(e.field.starts_with("form_data"), "{}", e.field);
                    }
                }
            }
        }
    }
}
