//! Unit tests of the checks on form definitions, compiled only under `#[cfg(test)]` by the module they test.

use serde_json::{Value, json};

use super::fixtures::*;
use super::*;
use crate::domain::identity::IdentityKind;
use crate::domain::locale::Locale;

// -------------------------------------------------------------------------------
// Definitions
// -------------------------------------------------------------------------------

#[test]
fn residence_permit_definition_passes_check() {
    let def = residence_permit();
    assert_eq!(def.check("form"), Ok(()));
    assert_eq!(def.check(""), Ok(()));
    assert_eq!(def.fields.len(), 11);
    assert_eq!(def.documents.len(), 3);
    assert!(!def.documents[2].required);
    assert!(!def.fields[2].required);
}

#[test]
fn definition_serde_round_trip_omits_empty_optionals() {
    let def = residence_permit();
    let json = serde_json::to_value(&def).unwrap();
    let full_name = &json["fields"][0];
    assert_eq!(full_name["type"], "text");
    assert!(full_name.get("options").is_none());
    assert!(full_name.get("pattern").is_none());
    assert_eq!(full_name["min"], 2);
    let phone = json["fields"][5].as_object().unwrap();
    let mut keys: Vec<&str> = phone.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["key", "label", "required", "type"]);
    assert_eq!(json["fields"][8]["type"], "macao_id");
    let back: FormDefinition = serde_json::from_value(json).unwrap();
    assert_eq!(back, def);
}

#[test]
fn definition_defaults_and_type_names() {
    let def: FormDefinition = serde_json::from_value(json!({
        "fields": [{ "key": "a", "type": "mainland_travel_permit", "label": any_label("A") }]
    }))
    .unwrap();
    assert!(!def.fields[0].required);
    assert!(def.documents.is_empty());
    assert_eq!(def.fields[0].field_type, FieldType::MainlandTravelPermit);
    assert!(
        serde_json::from_value::<FormDefinition>(json!({
            "fields": [{ "key": "a", "type": "colour", "label": any_label("A") }]
        }))
        .is_err()
    );
    for t in [
        FieldType::Text,
        FieldType::Number,
        FieldType::Date,
        FieldType::Boolean,
        FieldType::Select,
        FieldType::Multiselect,
        FieldType::Email,
        FieldType::Phone,
        FieldType::MacaoId,
        FieldType::MainlandTravelPermit,
        FieldType::MainlandId,
    ] {
        assert_eq!(serde_json::to_value(t).unwrap(), json!(t.as_str()));
    }
    assert_eq!(FieldType::MainlandId.identity_kind(), Some(IdentityKind::MainlandId));
    assert_eq!(FieldType::Text.identity_kind(), None);
}

#[test]
fn lookups_by_key_and_kind() {
    let def = residence_permit();
    assert_eq!(def.field("macao_id").map(|f| f.field_type), Some(FieldType::MacaoId));
    assert!(def.field("nope").is_none());
    assert_eq!(
        def.document_kind("proof_of_address").map(|d| d.label.get(Locale::Pt)),
        Some("Comprovativo de morada")
    );
    assert!(def.document_kind("Proof_of_address").is_none());
}

#[test]
fn check_keys() {
    let long_ok = format!("a{}", "b".repeat(62));
    let too_long = format!("a{}", "b".repeat(63));
    let def = def_with_fields(json!([
        text_field(""),
        text_field("FullName"),
        text_field("1st_name"),
        text_field("full-name"),
        text_field("_name"),
        text_field("name "),
        text_field(&too_long),
        text_field(&long_ok),
        text_field("a"),
        text_field("name_2"),
        text_field("name_2"),
        text_field("a")
    ]));
    let result = def.check("form");
    assert_eq!(
        codes(&result),
        pairs(&[
            ("form.fields[0].key", "required"),
            ("form.fields[1].key", "invalid_format"),
            ("form.fields[2].key", "invalid_format"),
            ("form.fields[3].key", "invalid_format"),
            ("form.fields[4].key", "invalid_format"),
            ("form.fields[5].key", "invalid_format"),
            ("form.fields[6].key", "invalid_format"),
            ("form.fields[10].key", "duplicate"),
            ("form.fields[11].key", "duplicate"),
        ])
    );
    let errors = result.unwrap_err();
    assert_eq!(errors[7].message, "\"name_2\" is already used by fields[9]");
    assert!(errors[1].message.contains("62"), "{}", errors[1].message);
}

#[test]
fn check_with_empty_prefix_uses_bare_paths() {
    let def = def_with_fields(json!([text_field("Bad")]));
    assert_eq!(codes(&def.check("")), pairs(&[("fields[0].key", "invalid_format")]));
    assert_eq!(codes(&def.check("service.form")), pairs(&[("service.form.fields[0].key", "invalid_format")]));
}

#[test]
fn check_labels_in_all_four_languages() {
    let def: FormDefinition = serde_json::from_value(json!({
        "fields": [
            { "key": "a", "type": "text", "label": { "zh-Hant": "甲", "en": "A" } },
            {
                "key": "b", "type": "select", "label": any_label("B"),
                "options": [{ "value": "x", "label": label("乙", " ", "B", "B") }]
            }
        ],
        "documents": [{ "kind": "photo", "label": { "en": "Photo" } }]
    }))
    .unwrap();
    let result = def.check("form");
    assert_eq!(
        codes(&result),
        pairs(&[
            ("form.fields[0].label", "incomplete_translation"),
            ("form.fields[1].options[0].label", "incomplete_translation"),
            ("form.documents[0].label", "incomplete_translation"),
        ])
    );
    let errors = result.unwrap_err();
    assert_eq!(errors[0].message, "is missing text in zh-Hans, pt");
    assert_eq!(errors[1].message, "is missing text in zh-Hans");
    assert_eq!(errors[2].message, "is missing text in zh-Hant, zh-Hans, pt");
}

#[test]
fn check_options_only_and_always_on_choice_fields() {
    let opt = |v: &str| json!({ "value": v, "label": any_label("option") });
    let def = def_with_fields(json!([
        { "key": "a", "type": "select", "label": any_label("a") },
        { "key": "b", "type": "multiselect", "label": any_label("b"), "options": [] },
        { "key": "c", "type": "text", "label": any_label("c"), "options": [opt("x")] },
        { "key": "d", "type": "boolean", "label": any_label("d"), "options": [opt("x")] },
        {
            "key": "e", "type": "select", "label": any_label("e"),
            "options": [opt("x"), opt("y"), opt("x"), opt(""), opt(" z"), opt("y")]
        },
        { "key": "f", "type": "multiselect", "label": any_label("f"), "options": [opt("only")] }
    ]));
    let result = def.check("form");
    assert_eq!(
        codes(&result),
        pairs(&[
            ("form.fields[0].options", "required"),
            ("form.fields[1].options", "required"),
            ("form.fields[2].options", "not_allowed"),
            ("form.fields[3].options", "not_allowed"),
            ("form.fields[4].options[2].value", "duplicate"),
            ("form.fields[4].options[3].value", "required"),
            ("form.fields[4].options[4].value", "invalid_format"),
            ("form.fields[4].options[5].value", "duplicate"),
        ])
    );
    let errors = result.unwrap_err();
    assert_eq!(errors[0].message, "a select field needs at least one option");
    assert_eq!(errors[2].message, "options are only allowed on select and multiselect fields, not text");
    assert_eq!(errors[4].message, "\"x\" is already used by option [0]");
}

/// (field type, min, max, expected errors as (path suffix, code)).
type LimitCase = (&'static str, Value, Value, Vec<(&'static str, &'static str)>);

#[test]
fn check_limits_types_per_field_type() {
    let opts = json!([
        { "value": "a", "label": any_label("a") },
        { "value": "b", "label": any_label("b") }
    ]);
    let field = |t: &str, min: Value, max: Value| {
        let mut f = json!({ "key": "f", "type": t, "label": any_label("f"), "min": min, "max": max });
        if t == "multiselect" {
            f["options"] = opts.clone();
        }
        f
    };
    let cases: Vec<LimitCase> = vec![
        ("text", json!(0), json!(10_000), vec![]),
        ("text", json!(5), json!(5), vec![]),
        ("text", json!(-1), json!("10"), vec![("min", "invalid_type"), ("max", "invalid_type")]),
        ("text", json!(1.5), json!(true), vec![("min", "invalid_type"), ("max", "invalid_type")]),
        ("text", json!(10), json!(3), vec![("min", "invalid_range")]),
        ("text", Value::Null, json!(10_001), vec![("max", "above_maximum")]),
        ("text", json!(20_000), json!(30_000), vec![("min", "above_maximum"), ("max", "above_maximum")]),
        ("number", json!(-5.5), json!(1e9), vec![]),
        ("number", json!(3), json!(3), vec![]),
        ("number", json!("1"), json!([2]), vec![("min", "invalid_type"), ("max", "invalid_type")]),
        ("number", json!(2.5), json!(2), vec![("min", "invalid_range")]),
        ("date", json!("1900-01-01"), json!("2026-01-01"), vec![]),
        ("date", json!(19000101), json!({}), vec![("min", "invalid_type"), ("max", "invalid_type")]),
        (
            "date",
            json!("2026-02-30"),
            json!("1/1/2026"),
            vec![("min", "invalid_date"), ("max", "invalid_date")],
        ),
        ("date", json!("2026-01-02"), json!("2026-01-01"), vec![("min", "invalid_range")]),
        ("multiselect", json!(0), json!(5), vec![]),
        ("multiselect", json!(2), json!(2), vec![]),
        ("multiselect", json!("1"), json!(-2), vec![("min", "invalid_type"), ("max", "invalid_type")]),
        ("multiselect", json!(2), json!(1), vec![("min", "invalid_range")]),
        ("multiselect", json!(3), Value::Null, vec![("min", "invalid_range")]),
        ("boolean", json!(0), json!(1), vec![("min", "not_allowed"), ("max", "not_allowed")]),
        ("select", Value::Null, json!(1), vec![("max", "not_allowed")]),
        ("email", json!(1), Value::Null, vec![("min", "not_allowed")]),
        ("phone", json!(1), Value::Null, vec![("min", "not_allowed")]),
        ("macao_id", json!(1), Value::Null, vec![("min", "not_allowed")]),
    ];
    for (t, min, max, expected) in cases {
        let mut f = field(t, min.clone(), max.clone());
        if t == "select" {
            f["options"] = opts.clone();
        }
        let def = def_with_fields(json!([f]));
        let expected: Vec<(String, String)> =
            expected.iter().map(|(p, c)| (format!("fields[0].{p}"), (*c).to_owned())).collect();
        assert_eq!(codes(&def.check("")), expected, "{t} min={min} max={max}");
    }
}

#[test]
fn check_limit_messages_name_the_values() {
    let def = def_with_fields(json!([
        { "key": "a", "type": "text", "label": any_label("a"), "min": 10, "max": 3 },
        { "key": "b", "type": "date", "label": any_label("b"), "min": "2026-01-02", "max": "2026-01-01" },
        { "key": "c", "type": "text", "label": any_label("c"), "max": 10_001 }
    ]));
    let errors = def.check("").unwrap_err();
    assert_eq!(errors[0].message, "min (10) is greater than max (3)");
    assert_eq!(errors[1].message, "min (2026-01-02) is greater than max (2026-01-01)");
    assert_eq!(errors[2].message, "may be at most 10000 characters");
}

#[test]
fn check_patterns() {
    let with_pattern =
        |t: &str, p: &str| json!({ "key": "f", "type": t, "label": any_label("f"), "pattern": p });
    let ok = ["[A-Z]{2}[0-9]{6}", "^\\d+$", "(?i)abc", "a|ab", &"a".repeat(200)];
    for p in ok {
        let def = def_with_fields(json!([with_pattern("text", p)]));
        assert_eq!(def.check(""), Ok(()), "{p}");
    }
    let bad: [(&str, &str, &str); 7] = [
        ("number", "[0-9]+", "not_allowed"),
        ("select", "x", "not_allowed"),
        ("text", "", "invalid_pattern"),
        ("text", "(", "invalid_pattern"),
        ("text", "a)|(b", "invalid_pattern"),
        ("text", "(?x)a # comment", "invalid_pattern"),
        ("text", "(\\w{100}){100}", "invalid_pattern"),
    ];
    for (t, p, code) in bad {
        let mut f = with_pattern(t, p);
        if t == "select" {
            f["options"] = json!([{ "value": "x", "label": any_label("x") }]);
        }
        let def = def_with_fields(json!([f]));
        assert_eq!(codes(&def.check("")), pairs(&[("fields[0].pattern", code)]), "{p}");
    }
    let long = "a".repeat(201);
    let def = def_with_fields(json!([with_pattern("text", &long)]));
    let errors = def.check("").unwrap_err();
    assert_eq!(codes(&Err::<(), _>(errors.clone())), pairs(&[("fields[0].pattern", "too_long")]));
    assert_eq!(errors[0].message, "may be at most 200 characters");
    let big = def_with_fields(json!([with_pattern("text", "(\\w{100}){100}")]));
    assert_eq!(big.check("").unwrap_err()[0].message, "is too complex: it compiles to more than 1024 KiB");
}

#[test]
fn check_documents() {
    let doc = |kind: &str| json!({ "kind": kind, "required": true, "label": any_label("document") });
    let def: FormDefinition = serde_json::from_value(json!({
        "fields": [],
        "documents": [doc("photo"), doc("Photo"), doc(""), doc("photo"), doc("id_card")]
    }))
    .unwrap();
    let result = def.check("form");
    assert_eq!(
        codes(&result),
        pairs(&[
            ("form.documents[1].kind", "invalid_format"),
            ("form.documents[2].kind", "required"),
            ("form.documents[3].kind", "duplicate"),
        ])
    );
    assert_eq!(result.unwrap_err()[2].message, "\"photo\" is already used by documents[0]");
}

#[test]
fn field_keys_and_document_kinds_are_separate_namespaces() {
    let def: FormDefinition = serde_json::from_value(json!({
        "fields": [text_field("photo")],
        "documents": [{ "kind": "photo", "label": any_label("Photo") }]
    }))
    .unwrap();
    assert_eq!(def.check(""), Ok(()));
}

#[test]
fn check_reports_every_problem_in_definition_order() {
    let def: FormDefinition = serde_json::from_value(json!({
        "fields": [
            {
                "key": "Bad", "type": "number", "label": { "en": "x" },
                "options": [{ "value": "a", "label": any_label("a") }],
                "min": 5, "max": 1, "pattern": "x"
            },
            { "key": "fine", "type": "text", "label": any_label("fine") },
            { "key": "choice", "type": "select", "label": any_label("choice") }
        ],
        "documents": [{ "kind": "9", "label": any_label("nine") }]
    }))
    .unwrap();
    assert_eq!(
        codes(&def.check("form")),
        pairs(&[
            ("form.fields[0].key", "invalid_format"),
            ("form.fields[0].label", "incomplete_translation"),
            ("form.fields[0].options", "not_allowed"),
            ("form.fields[0].min", "invalid_range"),
            ("form.fields[0].pattern", "not_allowed"),
            ("form.fields[2].options", "required"),
            ("form.documents[0].kind", "invalid_format"),
        ])
    );
}
