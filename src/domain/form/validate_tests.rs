//! Unit tests of validating form data against a definition, compiled only under `#[cfg(test)]`.

use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use super::fixtures::*;
use super::limit::parse_iso_date;
use super::*;
use crate::domain::FieldError;
use crate::domain::contact::{Email, Phone};
use crate::domain::identity::{self, IdentityKind};

// -------------------------------------------------------------------------------
// Validation: shape, required, unknown
// -------------------------------------------------------------------------------

#[test]
fn data_must_be_an_object() {
    let def = residence_permit();
    for data in [json!([]), json!("x"), Value::Null, json!(5), json!(true)] {
        for mode in [Mode::Draft, Mode::Submit] {
            let result = validate(&def, &data, mode);
            assert_eq!(codes(&result), pairs(&[("form_data", "invalid_type")]), "{data}");
            assert_eq!(result.unwrap_err()[0].message, "must be a JSON object");
        }
    }
}

#[test]
fn a_complete_submission_is_normalised() {
    let def = residence_permit();
    let (_, macao_id) = valid_macao_id();
    let out = validate(&def, &good_data(), Mode::Submit).unwrap();
    assert_eq!(
        Value::Object(out),
        json!({
            "full_name": "Chan Tai Man",
            "date_of_birth": "1990-05-17",
            "marital_status": "married",
            "languages": ["portuguese", "cantonese"],
            "household_size": 3,
            "contact_phone": "+85366123456",
            "contact_email": "chan.taiman@example.mo",
            "has_property": false,
            "macao_id": macao_id,
            "employer_registration": "AB123456",
            "remarks": "Line one\nLine two\twith a tab"
        })
    );
    // Normalised output validates to itself.
    let again =
        validate(&def, &json!(validate(&def, &good_data(), Mode::Submit).unwrap()), Mode::Submit).unwrap();
    assert_eq!(Value::Object(again), Value::Object(validate(&def, &good_data(), Mode::Draft).unwrap()));
}

#[test]
fn draft_accepts_missing_required_fields_and_submit_does_not() {
    let def = residence_permit();
    let data = json!({ "marital_status": "single", "has_property": true });
    let draft = validate(&def, &data, Mode::Draft).unwrap();
    assert_eq!(Value::Object(draft), json!({ "marital_status": "single", "has_property": true }));
    let submit = validate(&def, &data, Mode::Submit);
    assert_eq!(
        codes(&submit),
        pairs(&[
            ("form_data.full_name", "required"),
            ("form_data.date_of_birth", "required"),
            ("form_data.macao_id", "required"),
        ])
    );
    assert_eq!(submit.unwrap_err()[0].message, "is required");
    // An empty object is a fine draft.
    assert_eq!(validate(&def, &json!({}), Mode::Draft), Ok(Map::new()));
}

#[test]
fn null_blank_and_empty_values_count_as_absent() {
    let def = residence_permit();
    let data = json!({
        "full_name": "   ",
        "date_of_birth": null,
        "macao_id": "",
        "languages": [],
        "remarks": "",
        "contact_phone": null,
        "household_size": "",
        "marital_status": "\r\n"
    });
    assert_eq!(validate(&def, &data, Mode::Draft), Ok(Map::new()));
    assert_eq!(
        codes(&validate(&def, &data, Mode::Submit)),
        pairs(&[
            ("form_data.full_name", "required"),
            ("form_data.date_of_birth", "required"),
            ("form_data.macao_id", "required"),
        ])
    );
    // Optional fields left empty are simply not stored.
    let out = validate(&def, &with(good_data(), "languages", json!([])), Mode::Submit).unwrap();
    assert!(!out.contains_key("languages"));
    let out = validate(&def, &with(good_data(), "remarks", json!(null)), Mode::Submit).unwrap();
    assert!(!out.contains_key("remarks"));
}

#[test]
fn a_required_boolean_accepts_false() {
    let def = def_with_fields(json!([
        { "key": "consent", "type": "boolean", "required": true, "label": any_label("c") }
    ]));
    let out = validate(&def, &json!({ "consent": false }), Mode::Submit).unwrap();
    assert_eq!(out.get("consent"), Some(&json!(false)));
    assert_eq!(codes(&validate(&def, &json!({}), Mode::Submit)), pairs(&[("form_data.consent", "required")]));
}

#[test]
fn unknown_fields_come_last_sorted_by_key() {
    let def = residence_permit();
    let data = with(
        with(with(without(good_data(), "full_name"), "zeta", json!(1)), "alpha", Value::Null),
        "household_size",
        json!(0),
    );
    for (mode, expected) in [
        (
            Mode::Draft,
            pairs(&[
                ("form_data.household_size", "below_minimum"),
                ("form_data.alpha", "unknown_field"),
                ("form_data.zeta", "unknown_field"),
            ]),
        ),
        (
            Mode::Submit,
            pairs(&[
                ("form_data.full_name", "required"),
                ("form_data.household_size", "below_minimum"),
                ("form_data.alpha", "unknown_field"),
                ("form_data.zeta", "unknown_field"),
            ]),
        ),
    ] {
        let result = validate(&def, &data, mode);
        assert_eq!(codes(&result), expected, "{mode:?}");
        assert_eq!(result.unwrap_err().last().unwrap().message, "is not a field of this form");
    }
}

#[test]
fn wrong_json_types_are_invalid_type() {
    let cases = [
        ("full_name", json!(42)),
        ("full_name", json!(["Chan"])),
        ("date_of_birth", json!(19900517)),
        ("marital_status", json!(true)),
        ("languages", json!("cantonese")),
        ("languages", json!(["cantonese", 1])),
        ("languages", json!([null])),
        ("household_size", json!("3")),
        ("household_size", json!(true)),
        ("household_size", json!({ "n": 3 })),
        ("contact_phone", json!(66123456)),
        ("contact_email", json!({ "to": "a@b.mo" })),
        ("has_property", json!("false")),
        ("has_property", json!(0)),
        ("macao_id", json!(12345678)),
        ("remarks", json!({})),
    ];
    for (key, value) in cases {
        assert_eq!(field_codes(key, value.clone()), ["invalid_type"], "{key}: {value}");
    }
    assert_eq!(field_errors("household_size", json!("3"))[0].message, "must be a number");
    assert_eq!(field_errors("languages", json!("x"))[0].message, "must be an array of strings");
}

// -------------------------------------------------------------------------------
// Validation: per type
// -------------------------------------------------------------------------------

#[test]
fn text_length_limits() {
    assert_eq!(field_codes("full_name", json!("X")), ["too_short"]);
    assert_eq!(field_errors("full_name", json!("X"))[0].message, "must be at least 2 characters");
    assert_eq!(field_ok("full_name", json!("陳大")), json!("陳大"));
    assert_eq!(field_ok("full_name", json!("字".repeat(100))), json!("字".repeat(100)));
    assert_eq!(field_codes("full_name", json!("字".repeat(101))), ["too_long"]);
    assert_eq!(
        field_errors("full_name", json!("a".repeat(101)))[0].message,
        "must be at most 100 characters"
    );
    // Length is counted after trimming.
    assert_eq!(field_ok("full_name", json!(format!("  {}  ", "a".repeat(100)))), json!("a".repeat(100)));
}

#[test]
fn text_has_an_implicit_maximum() {
    let at_limit = "a".repeat(10_000);
    assert_eq!(field_ok("remarks", json!(at_limit)), json!(at_limit));
    assert_eq!(field_codes("remarks", json!("a".repeat(10_001))), ["too_long"]);
    assert_eq!(
        field_errors("remarks", json!("a".repeat(10_001)))[0].message,
        "must be at most 10000 characters"
    );
}

#[test]
fn text_rejects_control_characters_but_keeps_line_breaks_and_tabs() {
    for bad in ["bell\u{7}", "nul\u{0}x", "cr\ronly", "esc\u{1b}[31m", "del\u{7f}", "c1\u{85}x"] {
        assert_eq!(field_codes("remarks", json!(bad)), ["invalid_characters"], "{bad:?}");
    }
    assert_eq!(field_ok("remarks", json!("a\nb\tc")), json!("a\nb\tc"));
    assert_eq!(field_ok("remarks", json!("a\r\nb\r\n")), json!("a\nb"));
    assert_eq!(field_ok("remarks", json!("澳門 🙂 Macau")), json!("澳門 🙂 Macau"));
}

#[test]
fn text_pattern_must_match_the_whole_value() {
    assert_eq!(field_ok("employer_registration", json!(" AB123456 ")), json!("AB123456"));
    for bad in ["ab123456", "AB12345", "XAB123456", "AB1234567", "AB123456\nAB123456"] {
        assert_eq!(field_codes("employer_registration", json!(bad)), ["pattern_mismatch"], "{bad:?}");
    }
    assert_eq!(
        field_errors("employer_registration", json!("nope"))[0].message,
        "does not match the required format"
    );
    // Anchoring wraps the whole pattern, so an alternation is not half-anchored.
    let def = def_with_fields(json!([
        { "key": "code", "type": "text", "label": any_label("c"), "pattern": "a|ab" },
        { "key": "lines", "type": "text", "label": any_label("l"), "pattern": "(?m)^x$" }
    ]));
    assert!(validate(&def, &json!({ "code": "ab" }), Mode::Submit).is_ok());
    assert!(validate(&def, &json!({ "code": "abc" }), Mode::Submit).is_err());
    assert!(validate(&def, &json!({ "code": "cab" }), Mode::Submit).is_err());
    assert!(validate(&def, &json!({ "lines": "x" }), Mode::Submit).is_ok());
    assert!(validate(&def, &json!({ "lines": "x\nx" }), Mode::Submit).is_err());
}

#[test]
fn text_reports_each_problem() {
    let value = format!("\u{7}{}", "A".repeat(120));
    assert_eq!(
        field_codes("employer_registration", json!(value)),
        ["invalid_characters", "pattern_mismatch"]
    );
    let def = def_with_fields(json!([
        { "key": "ref", "type": "text", "label": any_label("r"), "max": 5, "pattern": "[0-9]+" }
    ]));
    assert_eq!(
        codes(&validate(&def, &json!({ "ref": "abc\u{1}defgh" }), Mode::Draft)),
        pairs(&[
            ("form_data.ref", "invalid_characters"),
            ("form_data.ref", "too_long"),
            ("form_data.ref", "pattern_mismatch"),
        ])
    );
}

#[test]
fn numbers_within_limits() {
    assert_eq!(field_ok("household_size", json!(1)), json!(1));
    assert_eq!(field_ok("household_size", json!(20)), json!(20));
    assert_eq!(field_ok("household_size", json!(2.5)), json!(2.5));
    assert_eq!(field_codes("household_size", json!(0)), ["below_minimum"]);
    assert_eq!(field_codes("household_size", json!(-3)), ["below_minimum"]);
    assert_eq!(field_codes("household_size", json!(0.99)), ["below_minimum"]);
    assert_eq!(field_codes("household_size", json!(21)), ["above_maximum"]);
    assert_eq!(field_codes("household_size", json!(20.01)), ["above_maximum"]);
    assert_eq!(field_codes("household_size", json!(u64::MAX)), ["above_maximum"]);
    assert_eq!(field_errors("household_size", json!(0))[0].message, "must be at least 1");
    assert_eq!(field_errors("household_size", json!(21))[0].message, "must be at most 20");
    let def = def_with_fields(json!([
        { "key": "n", "type": "number", "label": any_label("n"), "min": -0.5 }
    ]));
    assert_eq!(
        validate(&def, &json!({ "n": -1 }), Mode::Draft).unwrap_err()[0].message,
        "must be at least -0.5"
    );
    assert!(validate(&def, &json!({ "n": -0.5 }), Mode::Draft).is_ok());
}

#[test]
fn dates_are_strict_iso_and_within_limits() {
    assert_eq!(field_ok("date_of_birth", json!(" 1990-05-17 ")), json!("1990-05-17"));
    assert_eq!(field_ok("date_of_birth", json!("2026-01-01")), json!("2026-01-01"));
    assert_eq!(field_ok("date_of_birth", json!("1900-01-01")), json!("1900-01-01"));
    assert_eq!(field_ok("date_of_birth", json!("2000-02-29")), json!("2000-02-29"));
    for bad in [
        "1990-02-30",
        "1991-02-29",
        "1990-13-01",
        "1990-00-10",
        "1990-5-17",
        "90-05-17",
        "17/05/1990",
        "1990/05/17",
        "1990-05-17T00:00:00",
        "+1990-05-17",
        "1990-05-1７",
        "yesterday",
    ] {
        assert_eq!(field_codes("date_of_birth", json!(bad)), ["invalid_date"], "{bad}");
    }
    assert_eq!(field_codes("date_of_birth", json!("2026-01-02")), ["above_maximum"]);
    assert_eq!(
        field_errors("date_of_birth", json!("2026-01-02"))[0].message,
        "must be on or before 2026-01-01"
    );
    assert_eq!(field_codes("date_of_birth", json!("1899-12-31")), ["below_minimum"]);
    assert_eq!(
        field_errors("date_of_birth", json!("1899-12-31"))[0].message,
        "must be on or after 1900-01-01"
    );
}

#[test]
fn select_takes_one_defined_option() {
    assert_eq!(field_ok("marital_status", json!("widowed")), json!("widowed"));
    assert_eq!(field_ok("marital_status", json!(" single ")), json!("single"));
    for bad in ["Single", "engaged", "single,married"] {
        assert_eq!(field_codes("marital_status", json!(bad)), ["invalid_option"], "{bad}");
    }
    assert_eq!(
        field_errors("marital_status", json!("engaged"))[0].message,
        "is not one of the allowed options"
    );
}

#[test]
fn multiselect_options_duplicates_and_counts() {
    assert_eq!(
        field_ok("languages", json!(["english", " mandarin", "cantonese"])),
        json!(["english", "mandarin", "cantonese"])
    );
    assert_eq!(field_ok("languages", json!(["mandarin"])), json!(["mandarin"]));
    assert_eq!(field_codes("languages", json!(["klingon"])), ["invalid_option"]);
    assert_eq!(
        field_errors("languages", json!(["mandarin", "klingon"]))[0].message,
        "item 2 is not one of the allowed options"
    );
    assert_eq!(
        field_errors("languages", json!(["x", "mandarin", "y"]))[0].message,
        "items 1, 3 are not among the allowed options"
    );
    assert_eq!(field_codes("languages", json!(["mandarin", "mandarin"])), ["duplicate_option"]);
    assert_eq!(
        field_errors("languages", json!(["mandarin", "english", "mandarin"]))[0].message,
        "lists \"mandarin\" more than once"
    );
    assert_eq!(
        field_codes("languages", json!(["mandarin", "english", "cantonese", "portuguese"])),
        ["too_many"]
    );
    assert_eq!(
        field_errors("languages", json!(["mandarin", "english", "cantonese", "portuguese"]))[0].message,
        "must have at most 3 selections"
    );
    assert_eq!(
        field_codes("languages", json!(["mandarin", "zulu", "mandarin", "english"])),
        ["invalid_option", "duplicate_option", "too_many"]
    );
}

#[test]
fn multiselect_too_few() {
    let def = def_with_fields(json!([{
        "key": "districts", "type": "multiselect", "label": any_label("d"), "min": 2,
        "options": [
            { "value": "se", "label": any_label("Sé") },
            { "value": "taipa", "label": any_label("Taipa") },
            { "value": "coloane", "label": any_label("Coloane") }
        ]
    }]));
    assert_eq!(def.check(""), Ok(()));
    let result = validate(&def, &json!({ "districts": ["taipa"] }), Mode::Draft);
    assert_eq!(codes(&result), pairs(&[("form_data.districts", "too_few")]));
    assert_eq!(result.unwrap_err()[0].message, "must have at least 2 selections");
    assert!(validate(&def, &json!({ "districts": ["coloane", "se"] }), Mode::Draft).is_ok());
}

#[test]
fn emails_are_parsed_and_lowercased() {
    assert_eq!(field_ok("contact_email", json!("  Chan@Example.MO ")), json!("chan@example.mo"));
    let bad = "not-an-email";
    let expected = Email::parse(bad).err().unwrap();
    let errors = field_errors("contact_email", json!(bad));
    assert_eq!(errors, vec![FieldError::new("form_data.contact_email", expected.code(), expected.message())]);
}

#[test]
fn phones_are_parsed_to_e164() {
    assert_eq!(field_ok("contact_phone", json!("+853 6612 3456")), json!("+85366123456"));
    for bad in ["12", "phone"] {
        let expected = Phone::parse(bad).err().unwrap();
        assert_eq!(
            field_errors("contact_phone", json!(bad)),
            vec![FieldError::new("form_data.contact_phone", expected.code(), expected.message())],
            "{bad}"
        );
    }
}

#[test]
fn macao_id_is_normalised_and_errors_carry_the_form_path() {
    let (raw, normalised) = valid_macao_id();
    assert_eq!(field_ok("macao_id", json!(raw)), json!(normalised));
    for bad in ["ABC", "123", "12-34"] {
        let expected = identity::validate_field("elsewhere", IdentityKind::MacaoId, bad).err().unwrap();
        let errors = field_errors("macao_id", json!(bad));
        assert_eq!(errors.len(), 1, "{bad}");
        assert_eq!(errors[0].field, "form_data.macao_id");
        assert_eq!(errors[0].code, expected.code, "{bad}");
    }
}

#[test]
fn each_identity_type_uses_its_identity_kind() {
    let def = def_with_fields(json!([
        { "key": "bir", "type": "macao_id", "label": any_label("a") },
        { "key": "permit", "type": "mainland_travel_permit", "label": any_label("b") },
        { "key": "resident_id", "type": "mainland_id", "label": any_label("c") }
    ]));
    let samples = [
        "11010519491231002X",
        "110105194912310021",
        "H12345678",
        "M1234567801",
        "1234567(8)",
        "12345678",
        "nonsense",
    ];
    for (key, kind) in [
        ("bir", IdentityKind::MacaoId),
        ("permit", IdentityKind::MainlandTravelPermit),
        ("resident_id", IdentityKind::MainlandId),
    ] {
        for sample in samples {
            let data = json!({ key: sample });
            let got = validate(&def, &data, Mode::Draft);
            let path = format!("form_data.{key}");
            match identity::validate_field(&path, kind, sample) {
                Ok(normalised) => {
                    assert_eq!(got.unwrap().get(key), Some(&json!(normalised)), "{key} {sample}")
                }
                Err(e) => {
                    let errors = got.unwrap_err();
                    assert_eq!(errors.len(), 1);
                    assert_eq!(errors[0].field, path);
                    assert_eq!(errors[0].code, e.code, "{key} {sample}");
                }
            }
        }
    }
}

#[test]
fn every_problem_is_reported_at_once_in_definition_order() {
    let def = residence_permit();
    let data = json!({
        "full_name": "X",
        "date_of_birth": "1990-02-30",
        "marital_status": "engaged",
        "languages": ["cantonese", "cantonese"],
        "household_size": 21,
        "contact_phone": "phone",
        "contact_email": "nobody",
        "has_property": "no",
        "employer_registration": "ab",
        "remarks": "\u{0}",
        "nickname": "Ah Man",
        "favourite_colour": "red"
    });
    let phone = Phone::parse("phone").err().unwrap().code();
    let email = Email::parse("nobody").err().unwrap().code();
    let result = validate(&def, &data, Mode::Submit);
    assert_eq!(
        codes(&result),
        pairs(&[
            ("form_data.full_name", "too_short"),
            ("form_data.date_of_birth", "invalid_date"),
            ("form_data.marital_status", "invalid_option"),
            ("form_data.languages", "duplicate_option"),
            ("form_data.household_size", "above_maximum"),
            ("form_data.contact_phone", phone),
            ("form_data.contact_email", email),
            ("form_data.has_property", "invalid_type"),
            ("form_data.macao_id", "required"),
            ("form_data.employer_registration", "pattern_mismatch"),
            ("form_data.remarks", "invalid_characters"),
            ("form_data.favourite_colour", "unknown_field"),
            ("form_data.nickname", "unknown_field"),
        ])
    );
    // Draft drops only the missing-required error.
    let draft = codes(&validate(&def, &data, Mode::Draft));
    let mut expected = codes(&result);
    expected.retain(|(_, code)| code != "required");
    assert_eq!(draft, expected);
}

#[test]
fn draft_still_checks_values_that_are_present() {
    let def = residence_permit();
    let data = json!({ "full_name": "a".repeat(101), "household_size": 0 });
    assert_eq!(
        codes(&validate(&def, &data, Mode::Draft)),
        pairs(&[("form_data.full_name", "too_long"), ("form_data.household_size", "below_minimum"),])
    );
}

#[test]
fn an_unchecked_definition_fails_safe() {
    // Such a definition would not pass `check`; validation must still not panic, must
    // refuse text it cannot vouch for, and ignores limits it cannot read.
    let def = def_with_fields(json!([
        { "key": "code", "type": "text", "label": any_label("c"), "pattern": "(" },
        { "key": "n", "type": "number", "label": any_label("n"), "min": "five" },
        { "key": "d", "type": "date", "label": any_label("d"), "max": "soon" },
        { "key": "t", "type": "text", "label": any_label("t"), "max": 1_000_000 }
    ]));
    assert!(def.check("").is_err());
    let result = validate(&def, &json!({ "code": "x" }), Mode::Draft);
    assert_eq!(codes(&result), pairs(&[("form_data.code", "pattern_mismatch")]));
    let out = validate(&def, &json!({ "n": -100, "d": "2999-01-01", "t": "a".repeat(10_000) }), Mode::Draft)
        .unwrap();
    assert_eq!(out.len(), 3);
    assert_eq!(
        codes(&validate(&def, &json!({ "t": "a".repeat(10_001) }), Mode::Draft)),
        pairs(&[("form_data.t", "too_long")])
    );
}

// -------------------------------------------------------------------------------
// Documents
// -------------------------------------------------------------------------------

#[test]
fn missing_documents_lists_required_kinds_not_present() {
    let def = residence_permit();
    let missing = missing_documents(&def, &[]);
    assert_eq!(
        missing,
        vec![
            FieldError::new("documents.passport_photo", "required", "Passport photo is required"),
            FieldError::new("documents.proof_of_address", "required", "Proof of address is required"),
        ]
    );
    assert_eq!(
        codes(&Err::<(), _>(missing_documents(&def, &["passport_photo", "marriage_certificate"]))),
        pairs(&[("documents.proof_of_address", "required")])
    );
    assert!(missing_documents(&def, &["proof_of_address", "passport_photo", "other"]).is_empty());
    // Kinds match exactly.
    assert_eq!(missing_documents(&def, &["Passport_Photo", "proof_of_address"]).len(), 1);
}

#[test]
fn missing_documents_falls_back_to_the_kind_without_an_english_label() {
    let def: FormDefinition = serde_json::from_value(json!({
        "fields": [],
        "documents": [{ "kind": "household_register", "required": true, "label": {} }]
    }))
    .unwrap();
    assert_eq!(missing_documents(&def, &[])[0].message, "household_register is required");
}

#[test]
fn iso_date_parser() {
    assert_eq!(parse_iso_date("2024-02-29"), NaiveDate::from_ymd_opt(2024, 2, 29));
    for bad in ["", "2024-02-3", "2024-2-03", "20240203", "2024_02_03", "2023-02-29", "２０２４-02-03"] {
        assert_eq!(parse_iso_date(bad), None, "{bad}");
    }
}
