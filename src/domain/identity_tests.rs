//! Unit tests of `domain::identity`, compiled only under `#[cfg(test)]` by the module they test.

use super::*;
use serde::de::IntoDeserializer;
use serde::de::value::{Error as ValueError, StrDeserializer};

/// Check character computed from the ISO 7064 definition (weight of position i is
/// 2^(17-i) mod 11, check value (12 - sum mod 11) mod 11, 10 written as X) rather than the
/// lookup tables used by the code under test, so the two cross-check each other.
fn reference_check(body: &str) -> char {
    assert_eq!(body.len(), 17, "body must have 17 digits: {body}");
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let weight = 2u32.pow(17 - i as u32) % 11;
            c.to_digit(10).expect("digit") * weight
        })
        .sum();
    match (12 - sum % 11) % 11 {
        10 => 'X',
        v => char::from_digit(v, 10).expect("single digit"),
    }
}

fn with_check(body: &str) -> String {
    format!("{body}{}", reference_check(body))
}

/// The body followed by a check character that is certainly wrong for it.
fn with_wrong_check(body: &str) -> String {
    let right = reference_check(body);
    let wrong = if right == '0' { '1' } else { '0' };
    format!("{body}{wrong}")
}

fn parse(kind: IdentityKind, raw: &str) -> Result<String, IdentityError> {
    IdentityNumber::parse(kind, raw).map(|n| n.as_str().to_owned())
}

// ---- IdentityKind ----

#[test]
fn kind_wire_names_round_trip() {
    let names: Vec<&str> = IdentityKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(names, ["macao_id", "mainland_travel_permit", "mainland_id", "residence_permit"]);
    for kind in IdentityKind::ALL {
        assert_eq!(IdentityKind::parse(kind.as_str()), Some(kind));
        assert_eq!(kind.to_string(), kind.as_str());
    }
}

#[test]
fn kind_parse_rejects_unknown_and_inexact_names() {
    for bad in ["", "MacaoId", "MACAO_ID", " macao_id", "macao-id", "passport"] {
        assert_eq!(IdentityKind::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn kind_serde_names_match_as_str() {
    for kind in IdentityKind::ALL {
        let de: StrDeserializer<'_, ValueError> = kind.as_str().into_deserializer();
        assert_eq!(IdentityKind::deserialize(de), Ok(kind));
    }
    let de: StrDeserializer<'_, ValueError> = "MacaoId".into_deserializer();
    assert!(IdentityKind::deserialize(de).is_err());
}

// ---- IdentityError ----

#[test]
fn error_codes_are_stable() {
    assert_eq!(IdentityError::Empty.code(), "required");
    assert_eq!(IdentityError::InvalidFormat.code(), "invalid_format");
    assert_eq!(IdentityError::InvalidCheckDigit.code(), "invalid_check_digit");
    assert_eq!(IdentityError::InvalidPrefix.code(), "invalid_prefix");
    assert_eq!(IdentityError::InvalidDate.code(), "invalid_date");
}

#[test]
fn error_messages_name_the_kind() {
    let errors = [
        IdentityError::Empty,
        IdentityError::InvalidFormat,
        IdentityError::InvalidCheckDigit,
        IdentityError::InvalidPrefix,
        IdentityError::InvalidDate,
    ];
    for kind in IdentityKind::ALL {
        for error in errors {
            let message = error.message(kind);
            assert!(message.contains(kind.label()), "{error:?} for {kind:?}: {message}");
            assert!(!error.to_string().is_empty());
        }
    }
    assert_eq!(
        IdentityError::InvalidFormat.message(IdentityKind::MacaoId).split(':').next(),
        Some("a Macao resident identity card number looks like 1234567(8)")
    );
}

#[test]
fn field_error_carries_field_code_and_message() {
    let error = IdentityError::InvalidDate.field_error("form_data.id", IdentityKind::MainlandId);
    assert_eq!(error.field, "form_data.id");
    assert_eq!(error.code, "invalid_date");
    assert_eq!(error.message, IdentityError::InvalidDate.message(IdentityKind::MainlandId));
}

// ---- Empty ----

#[test]
fn blank_input_is_empty_for_every_kind() {
    for kind in IdentityKind::ALL {
        for raw in ["", " ", "\t\n ", "\u{3000}"] {
            assert_eq!(parse(kind, raw), Err(IdentityError::Empty), "{kind:?} {raw:?}");
        }
    }
}

// ---- Macao resident identity card ----

#[test]
fn macao_id_accepts_and_normalises() {
    let cases = [
        ("1234567(8)", "1234567(8)"),
        ("12345678", "1234567(8)"),
        ("5123456(A)", "5123456(A)"),
        ("7000000z", "7000000(Z)"),
        ("  7654321(b)\t", "7654321(B)"),
    ];
    for (raw, expected) in cases {
        assert_eq!(parse(IdentityKind::MacaoId, raw).as_deref(), Ok(expected), "{raw:?}");
    }
}

#[test]
fn macao_id_rejects_bad_format() {
    let bad = [
        "2234567(8)",        // first digit must be 1, 5 or 7
        "0234567(8)",        // first digit must be 1, 5 or 7
        "123456(7)",         // too few digits
        "12345678(9)",       // too many digits
        "123456789",         // too many digits
        "1234567",           // no check character
        "1234567(8",         // unbalanced parentheses
        "12345678)",         // unbalanced parentheses
        "1234567()",         // empty parentheses
        "1234567(88)",       // two check characters
        "1234567[8]",        // wrong brackets
        "1234567 (8)",       // inner whitespace
        "123456A(8)",        // letter in the body
        "1234567(-)",        // punctuation as check character
        "1234567(é)",        // non-ASCII check character
        "１２３４５６７(8)", // full-width digits
    ];
    for raw in bad {
        assert_eq!(parse(IdentityKind::MacaoId, raw), Err(IdentityError::InvalidFormat), "{raw:?}");
    }
}

#[test]
fn macao_id_is_not_mistaken_for_other_kinds() {
    assert_eq!(parse(IdentityKind::MainlandTravelPermit, "1234567(8)"), Err(IdentityError::InvalidFormat));
    assert_eq!(parse(IdentityKind::MainlandId, "1234567(8)"), Err(IdentityError::InvalidFormat));
}

// ---- Mainland Travel Permit ----

#[test]
fn travel_permit_accepts_both_lengths_and_prefixes() {
    let cases = [
        ("M12345678", "M12345678"),
        ("H12345678", "H12345678"),
        ("M1234567890", "M1234567890"),
        (" h0000000000 ", "H0000000000"),
        ("m87654321", "M87654321"),
    ];
    for (raw, expected) in cases {
        assert_eq!(parse(IdentityKind::MainlandTravelPermit, raw).as_deref(), Ok(expected), "{raw:?}");
    }
}

#[test]
fn travel_permit_rejects_bad_format() {
    let bad = [
        "A12345678",    // wrong letter
        "12345678",     // no letter
        "M1234567",     // 7 digits
        "M123456789",   // 9 digits
        "M12345678901", // 11 digits
        "MM12345678",   // two letters
        "M1234567A",    // letter among digits
        "M 12345678",   // inner whitespace
        "M-12345678",   // separator
        "12345678M",    // letter at the end
        "Ｍ12345678",   // full-width letter
    ];
    for raw in bad {
        assert_eq!(
            parse(IdentityKind::MainlandTravelPermit, raw),
            Err(IdentityError::InvalidFormat),
            "{raw:?}"
        );
    }
}

// ---- Mainland identity card ----

/// Worked by hand, weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2:
///
/// 11010519491231002X: digits 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2 give products
/// 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2 -> "10X98765432"[2] = X.
///
/// 110101199003071233: digits 1 1 0 1 0 1 1 9 9 0 0 3 0 7 1 2 3 give products
/// 7+9+0+5+0+4+2+9+54+0+0+27+0+35+8+8+6 = 174; 174 mod 11 = 9 -> "10X98765432"[9] = 3.
///
/// 820000199506150027: digits 8 2 0 0 0 0 1 9 9 5 0 6 1 5 0 0 2 give products
/// 56+18+0+0+0+0+2+9+54+15+0+54+10+25+0+0+4 = 247; 247 mod 11 = 5 -> "10X98765432"[5] = 7.
const HAND_CHECKED_MAINLAND: [&str; 2] = ["11010519491231002X", "110101199003071233"];
const HAND_CHECKED_PERMIT: &str = "820000199506150027";

#[test]
fn hand_checked_samples_agree_with_both_implementations() {
    for sample in HAND_CHECKED_MAINLAND.into_iter().chain([HAND_CHECKED_PERMIT]) {
        let (body, check) = sample.split_at(17);
        assert_eq!(reference_check(body).to_string(), check, "{sample}");
        assert_eq!(mod11_2_check(body.as_bytes()).map(char::from), check.chars().next(), "{sample}");
    }
}

#[test]
fn table_check_matches_reference_for_every_remainder() {
    // Vary the last body digit and sequence number so every remainder 0..=10 is hit.
    let mut seen = std::collections::HashSet::new();
    for sequence in 0..200 {
        let body = format!("44030619880229{sequence:03}");
        let expected = reference_check(&body);
        assert_eq!(mod11_2_check(body.as_bytes()).map(char::from), Some(expected), "{body}");
        seen.insert(expected);
    }
    assert_eq!(seen.len(), 11, "all check characters exercised: {seen:?}");
}

#[test]
fn mod11_2_check_rejects_malformed_bodies() {
    assert_eq!(mod11_2_check(b"1101051949123100"), None);
    assert_eq!(mod11_2_check(b"110105194912310021"), None);
    assert_eq!(mod11_2_check(b"1101051949123100A"), None);
}

#[test]
fn mainland_id_accepts_valid_numbers() {
    for sample in HAND_CHECKED_MAINLAND {
        assert_eq!(parse(IdentityKind::MainlandId, sample).as_deref(), Ok(sample));
    }
    for body in [
        "44030619880229123", // leap day in a leap year
        "31010120000229001", // 2000 is a leap year
        "11010119000101001", // earliest allowed year
        "11010121001231001", // latest allowed year
        "65010219991130999",
    ] {
        let number = with_check(body);
        assert_eq!(parse(IdentityKind::MainlandId, &number).as_deref(), Ok(number.as_str()));
    }
}

#[test]
fn mainland_id_normalises_case_and_whitespace() {
    assert_eq!(
        parse(IdentityKind::MainlandId, "  11010519491231002x\n").as_deref(),
        Ok("11010519491231002X")
    );
}

#[test]
fn mainland_id_rejects_bad_format() {
    let bad = [
        "11010519491231002",   // 17 characters
        "11010519491231002XX", // 19 characters
        "110105194912310021X", // 19 characters
        "X10105194912310021",  // X not in last place
        "1101051949123100XX",  // X in two places
        "11010519491231002Y",  // wrong letter
        "110105 19491231002X", // inner whitespace
        "110105-19491231-002X",
        "１10105194912310021", // full-width digit
        "110105194912310",     // old 15-digit cards are not accepted
    ];
    for raw in bad {
        assert_eq!(parse(IdentityKind::MainlandId, raw), Err(IdentityError::InvalidFormat), "{raw:?}");
    }
}

#[test]
fn mainland_id_rejects_residence_permit_prefixes() {
    for region in ["810000", "820000", "830000"] {
        let number = with_check(&format!("{region}19900101123"));
        assert_eq!(parse(IdentityKind::MainlandId, &number), Err(IdentityError::InvalidPrefix), "{number}");
    }
    // Similar but ordinary region codes are fine.
    for region in ["810001", "820100", "440000"] {
        let number = with_check(&format!("{region}19900101123"));
        assert!(parse(IdentityKind::MainlandId, &number).is_ok(), "{number}");
    }
}

#[test]
fn eighteen_character_numbers_reject_impossible_dates() {
    let bad_dates = [
        "19000229", // 1900 is not a leap year
        "19990229", // not a leap year
        "21000229", // 2100 is not a leap year
        "19990230", // February never has 30 days
        "19990431", // April has 30 days
        "19991131", // November has 30 days
        "19991301", // month 13
        "19990001", // month 0
        "19990100", // day 0
        "19990132", // day 32
        "18991231", // before 1900
        "21010101", // after 2100
        "00000000",
    ];
    for date in bad_dates {
        let mainland = with_check(&format!("110101{date}123"));
        assert_eq!(parse(IdentityKind::MainlandId, &mainland), Err(IdentityError::InvalidDate), "{mainland}");
        let permit = with_check(&format!("820000{date}123"));
        assert_eq!(
            parse(IdentityKind::ResidencePermit, &permit),
            Err(IdentityError::InvalidDate),
            "{permit}"
        );
    }
    // A correctly checked number from 1880 is still out of range.
    assert_eq!(parse(IdentityKind::MainlandId, "440524188001010014"), Err(IdentityError::InvalidDate));
}

#[test]
fn eighteen_character_numbers_accept_month_ends() {
    let good_dates = [
        "19990131", "19990228", "19990331", "19990430", "19990531", "19990630", "19990731", "19990831",
        "19990930", "19991031", "19991130", "19991231", "20240229",
    ];
    for date in good_dates {
        let number = with_check(&format!("110101{date}123"));
        assert!(parse(IdentityKind::MainlandId, &number).is_ok(), "{number}");
    }
}

#[test]
fn eighteen_character_numbers_reject_wrong_check_character() {
    for sample in HAND_CHECKED_MAINLAND {
        let wrong = with_wrong_check(&sample[..17]);
        assert_eq!(parse(IdentityKind::MainlandId, &wrong), Err(IdentityError::InvalidCheckDigit), "{wrong}");
    }
    // A transposition of two body digits is caught.
    assert_eq!(parse(IdentityKind::MainlandId, "11010519491231020X"), Err(IdentityError::InvalidCheckDigit));
    let permit = with_wrong_check("82000019950615002");
    assert_eq!(parse(IdentityKind::ResidencePermit, &permit), Err(IdentityError::InvalidCheckDigit));
}

// ---- Residence permit ----

#[test]
fn residence_permit_accepts_hong_kong_and_macao_prefixes() {
    assert_eq!(parse(IdentityKind::ResidencePermit, HAND_CHECKED_PERMIT).as_deref(), Ok(HAND_CHECKED_PERMIT));
    for body in ["81000019800101001", "82000020001231998", "82000019000101000"] {
        let number = with_check(body);
        assert_eq!(parse(IdentityKind::ResidencePermit, &number).as_deref(), Ok(number.as_str()));
    }
    let lower_x = with_check("82000019850607003").to_ascii_lowercase();
    assert!(parse(IdentityKind::ResidencePermit, &lower_x).is_ok());
}

#[test]
fn residence_permit_rejects_other_prefixes() {
    for region in ["830000", "110101", "820001", "810100", "440306"] {
        let number = with_check(&format!("{region}19900101123"));
        assert_eq!(
            parse(IdentityKind::ResidencePermit, &number),
            Err(IdentityError::InvalidPrefix),
            "{number}"
        );
    }
    assert_eq!(
        parse(IdentityKind::ResidencePermit, HAND_CHECKED_MAINLAND[0]),
        Err(IdentityError::InvalidPrefix)
    );
}

#[test]
fn residence_permit_rejects_bad_format() {
    for raw in ["8200001995061500", "82000019950615002A", "M12345678", "1234567(8)"] {
        assert_eq!(parse(IdentityKind::ResidencePermit, raw), Err(IdentityError::InvalidFormat), "{raw:?}");
    }
}

// ---- Order of checks ----

#[test]
fn checks_run_in_documented_order() {
    // Format beats everything: prefix, date and check would all fail too.
    assert_eq!(parse(IdentityKind::MainlandId, "8300001899023"), Err(IdentityError::InvalidFormat));
    // Prefix beats date and check character.
    assert_eq!(parse(IdentityKind::MainlandId, "830000189902301230"), Err(IdentityError::InvalidPrefix));
    assert_eq!(parse(IdentityKind::ResidencePermit, "110000189902301230"), Err(IdentityError::InvalidPrefix));
    // Date beats check character.
    let bad_date_bad_check = with_wrong_check("11010119990230123");
    assert_eq!(parse(IdentityKind::MainlandId, &bad_date_bad_check), Err(IdentityError::InvalidDate));
    let permit_bad_date_bad_check = with_wrong_check("82000019991301123");
    assert_eq!(
        parse(IdentityKind::ResidencePermit, &permit_bad_date_bad_check),
        Err(IdentityError::InvalidDate)
    );
}

// ---- Accessors ----

#[test]
fn accessors_report_kind_and_value() {
    let number = IdentityNumber::parse(IdentityKind::MacaoId, "12345678").unwrap();
    assert_eq!(number.kind(), IdentityKind::MacaoId);
    assert_eq!(number.as_str(), "1234567(8)");
    assert_eq!(number, IdentityNumber::parse(IdentityKind::MacaoId, " 1234567(8) ").unwrap());
}

#[test]
fn same_text_under_different_kinds_is_not_equal() {
    let permit = with_check("82000019900101123");
    let as_permit = IdentityNumber::parse(IdentityKind::ResidencePermit, &permit).unwrap();
    // The same digits can never parse as a mainland ID, so compare with a rebuilt value.
    assert_ne!(as_permit, IdentityNumber { kind: IdentityKind::MainlandId, value: permit });
}

#[test]
fn birth_date_is_exposed_for_eighteen_character_kinds_only() {
    let mainland = IdentityNumber::parse(IdentityKind::MainlandId, HAND_CHECKED_MAINLAND[0]);
    assert_eq!(mainland.unwrap().birth_date(), Some((1949, 12, 31)));
    let permit = IdentityNumber::parse(IdentityKind::ResidencePermit, HAND_CHECKED_PERMIT);
    assert_eq!(permit.unwrap().birth_date(), Some((1995, 6, 15)));
    let macao = IdentityNumber::parse(IdentityKind::MacaoId, "1234567(8)").unwrap();
    assert_eq!(macao.birth_date(), None);
    let travel = IdentityNumber::parse(IdentityKind::MainlandTravelPermit, "M12345678");
    assert_eq!(travel.unwrap().birth_date(), None);
}

// ---- Masking ----

#[test]
fn masked_shows_at_most_three_real_characters() {
    let cases = [
        (IdentityKind::MacaoId, "1234567(8)", "1*****7(8)"),
        (IdentityKind::MainlandTravelPermit, "M12345678", "M******78"),
        (IdentityKind::MainlandTravelPermit, "H1234567890", "H********90"),
        (IdentityKind::MainlandId, "11010519491231002X", "1***************2X"),
        (IdentityKind::ResidencePermit, HAND_CHECKED_PERMIT, "8***************27"),
    ];
    for (kind, raw, expected) in cases {
        let number = IdentityNumber::parse(kind, raw).unwrap();
        let masked = number.masked();
        assert_eq!(masked, expected);
        let revealed = masked.chars().filter(char::is_ascii_alphanumeric).count();
        assert!(revealed <= 3, "{masked}");
        assert_eq!(masked.chars().count(), number.as_str().chars().count());
    }
}

#[test]
fn debug_does_not_reveal_the_number() {
    let number = IdentityNumber::parse(IdentityKind::MainlandId, "11010519491231002X").unwrap();
    let debug = format!("{number:?}");
    assert!(!debug.contains("11010519491231002X"), "{debug}");
    assert!(!debug.contains("19491231"), "{debug}");
    assert!(debug.contains("MainlandId"), "{debug}");
}

// ---- validate_field ----

#[test]
fn validate_field_returns_normalised_value() {
    assert_eq!(
        validate_field("form_data.id_number", IdentityKind::MacaoId, " 5123456a "),
        Ok("5123456(A)".to_owned())
    );
}

#[test]
fn validate_field_reports_field_code_and_message() {
    let cases = [
        (IdentityKind::MacaoId, "", IdentityError::Empty),
        (IdentityKind::MacaoId, "9234567(8)", IdentityError::InvalidFormat),
        (IdentityKind::MainlandId, "820000199506150027", IdentityError::InvalidPrefix),
        (IdentityKind::MainlandId, "11010519491231002Y", IdentityError::InvalidFormat),
        (IdentityKind::MainlandId, "110105194912310021", IdentityError::InvalidCheckDigit),
    ];
    for (kind, raw, error) in cases {
        let field_error = validate_field("applicant.id", kind, raw).unwrap_err();
        assert_eq!(field_error, error.field_error("applicant.id", kind), "{raw:?}");
        assert_eq!(field_error.code, error.code());
    }
}
