//! Unit tests of `domain::contact`, compiled only under `#[cfg(test)]` by the module they test.

use super::*;

fn email(raw: &str) -> Result<String, ContactError> {
    Email::parse(raw).map(Email::into_inner)
}

fn phone(raw: &str) -> Result<String, ContactError> {
    Phone::parse(raw).map(Phone::into_inner)
}

// ---- ContactError ----

#[test]
fn error_codes_are_stable() {
    assert_eq!(ContactError::Empty.code(), "required");
    assert_eq!(ContactError::InvalidEmail.code(), "invalid_email");
    assert_eq!(ContactError::InvalidPhone.code(), "invalid_phone");
    assert_eq!(ContactError::UnsupportedCountry.code(), "unsupported_country");
    assert_eq!(ContactError::TooLong.code(), "too_long");
}

#[test]
fn error_messages_are_present_and_consistent() {
    let all = [
        ContactError::Empty,
        ContactError::InvalidEmail,
        ContactError::InvalidPhone,
        ContactError::UnsupportedCountry,
        ContactError::TooLong,
    ];
    for error in all {
        assert!(!error.message().is_empty());
        assert_eq!(error.to_string(), error.message());
        let field_error = error.field_error("email");
        assert_eq!(field_error, FieldError::new("email", error.code(), error.message()));
    }
    let too_long = ContactError::TooLong.message();
    assert!(too_long.contains(&EMAIL_MAX_CHARS.to_string()));
    assert!(too_long.contains(&EMAIL_LOCAL_MAX_CHARS.to_string()));
}

// ---- Email ----

#[test]
fn email_accepts_and_normalises() {
    let cases = [
        ("user@example.com", "user@example.com"),
        ("  User.Name@Example.COM \n", "user.name@example.com"),
        ("first.last+tag@mail.gov.mo", "first.last+tag@mail.gov.mo"),
        ("a@b.cn", "a@b.cn"),
        ("o'brien@example.org", "o'brien@example.org"),
        ("x_y-z@sub-domain.example.com.mo", "x_y-z@sub-domain.example.com.mo"),
        ("1234@163.com", "1234@163.com"),
        ("user@xn--fiqs8s.cn", "user@xn--fiqs8s.cn"),
        ("a!#$%&*/=?^`{|}~@example.com", "a!#$%&*/=?^`{|}~@example.com"),
    ];
    for (raw, expected) in cases {
        assert_eq!(email(raw).as_deref(), Ok(expected), "{raw:?}");
    }
}

#[test]
fn email_rejects_blank() {
    for raw in ["", "   ", "\t\n"] {
        assert_eq!(email(raw), Err(ContactError::Empty), "{raw:?}");
    }
}

#[test]
fn email_rejects_wrong_number_of_at_signs() {
    for raw in ["userexample.com", "a@b@example.com", "@@example.com", "user@@example.com"] {
        assert_eq!(email(raw), Err(ContactError::InvalidEmail), "{raw:?}");
    }
}

#[test]
fn email_rejects_bad_local_part() {
    let bad = [
        "@example.com",           // empty
        ".user@example.com",      // leading dot
        "user.@example.com",      // trailing dot
        "us..er@example.com",     // doubled dot
        "us er@example.com",      // space
        "\"quoted\"@example.com", // quoted form
        "a,b@example.com",
        "a<b>@example.com",
        "a;b@example.com",
        "a\\b@example.com",
        "a\u{7}b@example.com",       // control character
        "用户@example.com",          // non-ASCII
        "\u{212a}elvin@example.com", // Kelvin sign lower-cases to ASCII k
    ];
    for raw in bad {
        assert_eq!(email(raw), Err(ContactError::InvalidEmail), "{raw:?}");
    }
}

#[test]
fn email_rejects_bad_domain() {
    let bad = [
        "user@",
        "user@localhost",    // no dot
        "user@.example.com", // empty label
        "user@example..com", // empty label
        "user@example.com.", // trailing dot
        "user@-example.com", // label starts with hyphen
        "user@example-.com", // label ends with hyphen
        "user@exa_mple.com", // underscore
        "user@exa mple.com", // space
        "user@[127.0.0.1]",  // address literal
        "user@127.0.0.1",    // all-digit top-level label
        "user@例子.中国",    // unencoded internationalised domain
        "user@example.com\r\nbcc:x@y.com",
    ];
    for raw in bad {
        assert_eq!(email(raw), Err(ContactError::InvalidEmail), "{raw:?}");
    }
    let long_label = format!("user@{}.com", "a".repeat(DOMAIN_LABEL_MAX_CHARS + 1));
    assert_eq!(email(&long_label), Err(ContactError::InvalidEmail));
    let max_label = format!("user@{}.com", "a".repeat(DOMAIN_LABEL_MAX_CHARS));
    assert!(email(&max_label).is_ok());
}

#[test]
fn email_length_limits() {
    let local_max = "a".repeat(EMAIL_LOCAL_MAX_CHARS);
    assert!(email(&format!("{local_max}@example.com")).is_ok());
    let local_over = "a".repeat(EMAIL_LOCAL_MAX_CHARS + 1);
    assert_eq!(email(&format!("{local_over}@example.com")), Err(ContactError::TooLong));

    // 64 + 1 + 63 + 1 + 63 + 1 + 61 = 254 characters.
    let domain_254 = format!("{}.{}.{}", "b".repeat(63), "c".repeat(63), "d".repeat(61));
    let exactly_max = format!("{local_max}@{domain_254}");
    assert_eq!(exactly_max.len(), EMAIL_MAX_CHARS);
    assert!(email(&exactly_max).is_ok());
    let over_max = format!("{local_max}@{domain_254}e");
    assert_eq!(email(&over_max), Err(ContactError::TooLong));

    // Surrounding whitespace does not count towards the limit.
    assert!(email(&format!("   {exactly_max}   ")).is_ok());
}

#[test]
fn email_accessors() {
    let parsed = Email::parse("Chan.Tai.Man@Example.MO").unwrap();
    assert_eq!(parsed.as_str(), "chan.tai.man@example.mo");
    assert_eq!(parsed.local_part(), "chan.tai.man");
    assert_eq!(parsed.domain(), "example.mo");
    assert_eq!(parsed.to_string(), "chan.tai.man@example.mo");
    assert_eq!(parsed, Email::parse("chan.tai.man@example.mo").unwrap());
}

// ---- Phone ----

#[test]
fn phone_accepts_macao_numbers() {
    let cases = [
        "+853 6234 5678",
        "+85362345678",
        "(+853) 6234-5678",
        "+(853) 6234.5678",
        "00853 6234 5678",
        "0085362345678",
        "6234 5678",
        "62345678",
        "6234-5678",
        "(6234) 5678",
        " +853\u{a0}6234\u{a0}5678 ",
    ];
    for raw in cases {
        assert_eq!(phone(raw).as_deref(), Ok("+85362345678"), "{raw:?}");
    }
    assert_eq!(phone("2888 1234").as_deref(), Ok("+85328881234"));
}

#[test]
fn phone_accepts_mainland_mobile_numbers() {
    let cases = ["+86 138 0013 8000", "+8613800138000", "0086 138-0013-8000", "(+86) 138.0013.8000"];
    for raw in cases {
        assert_eq!(phone(raw).as_deref(), Ok("+8613800138000"), "{raw:?}");
    }
    assert_eq!(phone("+86 199 9999 9999").as_deref(), Ok("+8619999999999"));
}

#[test]
fn phone_rejects_blank() {
    for raw in ["", "  ", "\n"] {
        assert_eq!(phone(raw), Err(ContactError::Empty), "{raw:?}");
    }
}

#[test]
fn phone_rejects_wrong_lengths() {
    let bad = [
        "+853 6234 567",      // 7 digits
        "+853 6234 56789",    // 9 digits
        "+853",               // no number
        "00853 1234",         // too short
        "6234567",            // bare 7 digits
        "623456789",          // bare 9 digits
        "+86 138 0013 800",   // 10 digits
        "+86 138 0013 80000", // 12 digits
        "+86 238 0013 8000",  // landline-style, not starting with 1
        "+86 010 1234 5678",  // leading 0 in national number
    ];
    for raw in bad {
        assert_eq!(phone(raw), Err(ContactError::InvalidPhone), "{raw:?}");
    }
}

#[test]
fn phone_requires_plus_or_00_before_a_country_code() {
    for raw in ["853 6234 5678", "85362345678", "86 138 0013 8000", "13800138000"] {
        assert_eq!(phone(raw), Err(ContactError::InvalidPhone), "{raw:?}");
    }
}

#[test]
fn phone_rejects_bad_characters_and_plus_placement() {
    let bad = [
        "+",
        "+ - ( )",
        "-",
        "++853 6234 5678",
        "6234+5678",
        "853+62345678",
        "+853 6234 567a",
        "tel:+85362345678",
        "+853/6234/5678",
        "+853_62345678",
        "６２３４５６７８", // full-width digits
        "+853 6234 5678 ext 1",
    ];
    for raw in bad {
        assert_eq!(phone(raw), Err(ContactError::InvalidPhone), "{raw:?}");
    }
}

#[test]
fn phone_rejects_other_countries() {
    let unsupported = [
        "+852 9123 4567",   // Hong Kong
        "00852 9123 4567",  // Hong Kong
        "+886 912 345 678", // Taiwan
        "+1 415 555 0100",  // United States
        "+44 20 7946 0958", // United Kingdom
        "+81 3 1234 5678",  // Japan
    ];
    for raw in unsupported {
        assert_eq!(phone(raw), Err(ContactError::UnsupportedCountry), "{raw:?}");
    }
}

#[test]
fn phone_implausible_international_numbers_are_invalid_not_unsupported() {
    for raw in ["+1", "+44 20", "+0853 6234 5678", "000853 6234 5678", "+1234567890123456"] {
        assert_eq!(phone(raw), Err(ContactError::InvalidPhone), "{raw:?}");
    }
}

#[test]
fn phone_accessors() {
    let macao = Phone::parse("6234 5678").unwrap();
    assert_eq!(macao.as_str(), "+85362345678");
    assert_eq!(macao.country_code(), "853");
    assert_eq!(macao.national_number(), "62345678");
    assert_eq!(macao.to_string(), "+85362345678");

    let mainland = Phone::parse("+86 138 0013 8000").unwrap();
    assert_eq!(mainland.country_code(), "86");
    assert_eq!(mainland.national_number(), "13800138000");
    assert_eq!(mainland.clone().into_inner(), "+8613800138000");
}

#[test]
fn phone_masked_shows_country_code_and_last_four_digits() {
    assert_eq!(Phone::parse("62345678").unwrap().masked(), "+853****5678");
    assert_eq!(Phone::parse("+8613800138000").unwrap().masked(), "+86*******8000");
}

// ---- LoginId ----

#[test]
fn login_id_chooses_email_when_at_sign_present() {
    let login = LoginId::parse("  Someone@Example.com ").unwrap();
    assert!(matches!(login, LoginId::Email(_)));
    assert_eq!(login.as_str(), "someone@example.com");
    assert_eq!(login.to_string(), "someone@example.com");
}

#[test]
fn login_id_chooses_phone_otherwise() {
    let login = LoginId::parse("6234-5678").unwrap();
    assert!(matches!(login, LoginId::Phone(_)));
    assert_eq!(login.as_str(), "+85362345678");
}

#[test]
fn login_id_matches_what_registration_stores() {
    let stored_email = Email::parse("Chan@Example.MO").unwrap();
    for typed in ["chan@example.mo", " CHAN@EXAMPLE.MO "] {
        assert_eq!(LoginId::parse(typed).unwrap().as_str(), stored_email.as_str());
    }
    let stored_phone = Phone::parse("+853 6234 5678").unwrap();
    for typed in ["62345678", "0085362345678", "(+853) 6234-5678"] {
        assert_eq!(LoginId::parse(typed).unwrap().as_str(), stored_phone.as_str());
    }
}

#[test]
fn login_id_reports_errors_from_the_chosen_parser() {
    assert_eq!(LoginId::parse(""), Err(ContactError::Empty));
    assert_eq!(LoginId::parse("   "), Err(ContactError::Empty));
    assert_eq!(LoginId::parse("chan@"), Err(ContactError::InvalidEmail));
    assert_eq!(LoginId::parse("chan"), Err(ContactError::InvalidPhone));
    assert_eq!(LoginId::parse("+852 9123 4567"), Err(ContactError::UnsupportedCountry));
}
