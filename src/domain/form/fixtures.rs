//! Fixtures shared by the form's unit tests: a realistic definition, good data, and helpers to
//! compare errors.

use serde_json::{Value, json};

use super::{FormDefinition, Mode, validate};
use crate::domain::FieldError;
use crate::domain::identity::{self, IdentityKind};

pub(super) fn label(zh_hant: &str, zh_hans: &str, pt: &str, en: &str) -> Value {
    json!({ "zh-Hant": zh_hant, "zh-Hans": zh_hans, "pt": pt, "en": en })
}

/// A complete label for fixtures where the wording does not matter.
pub(super) fn any_label(en: &str) -> Value {
    label(en, en, en, en)
}

pub(super) fn option(value: &str, zh_hant: &str, zh_hans: &str, pt: &str, en: &str) -> Value {
    json!({ "value": value, "label": label(zh_hant, zh_hans, pt, en) })
}

/// The form of a residence-permit application, as a department would define it.
pub(super) fn residence_permit_json() -> Value {
    json!({
        "fields": [
            {
                "key": "full_name", "type": "text", "required": true,
                "label": label("姓名", "姓名", "Nome completo", "Full name"),
                "min": 2, "max": 100
            },
            {
                "key": "date_of_birth", "type": "date", "required": true,
                "label": label("出生日期", "出生日期", "Data de nascimento", "Date of birth"),
                "min": "1900-01-01", "max": "2026-01-01"
            },
            {
                "key": "marital_status", "type": "select",
                "label": label("婚姻狀況", "婚姻状况", "Estado civil", "Marital status"),
                "options": [
                    option("single", "未婚", "未婚", "Solteiro", "Single"),
                    option("married", "已婚", "已婚", "Casado", "Married"),
                    option("divorced", "離婚", "离婚", "Divorciado", "Divorced"),
                    option("widowed", "喪偶", "丧偶", "Viúvo", "Widowed")
                ]
            },
            {
                "key": "languages", "type": "multiselect",
                "label": label("語言", "语言", "Línguas", "Languages"),
                "options": [
                    option("cantonese", "粵語", "粤语", "Cantonês", "Cantonese"),
                    option("mandarin", "普通話", "普通话", "Mandarim", "Mandarin"),
                    option("portuguese", "葡萄牙語", "葡萄牙语", "Português", "Portuguese"),
                    option("english", "英語", "英语", "Inglês", "English")
                ],
                "min": 1, "max": 3
            },
            {
                "key": "household_size", "type": "number",
                "label": label("家庭人數", "家庭人数", "Agregado familiar", "Household size"),
                "min": 1, "max": 20
            },
            {
                "key": "contact_phone", "type": "phone",
                "label": label("聯絡電話", "联络电话", "Telefone", "Contact phone")
            },
            {
                "key": "contact_email", "type": "email",
                "label": label("電郵", "电邮", "Correio electrónico", "Email")
            },
            {
                "key": "has_property", "type": "boolean",
                "label": label("是否擁有物業", "是否拥有物业", "Possui imóvel", "Owns property")
            },
            {
                "key": "macao_id", "type": "macao_id", "required": true,
                "label": label("澳門居民身份證", "澳门居民身份证", "BIR", "Macao ID card")
            },
            {
                "key": "employer_registration", "type": "text",
                "label": label("僱主登記編號", "雇主登记编号", "Registo do empregador", "Employer registration"),
                "pattern": "[A-Z]{2}[0-9]{6}"
            },
            {
                "key": "remarks", "type": "text",
                "label": label("備註", "备注", "Observações", "Remarks")
            }
        ],
        "documents": [
            {
                "kind": "passport_photo", "required": true,
                "label": label("證件相片", "证件相片", "Fotografia", "Passport photo")
            },
            {
                "kind": "proof_of_address", "required": true,
                "label": label("住址證明", "住址证明", "Comprovativo de morada", "Proof of address")
            },
            {
                "kind": "marriage_certificate",
                "label": label("結婚證書", "结婚证书", "Certidão de casamento", "Marriage certificate")
            }
        ]
    })
}

pub(super) fn residence_permit() -> FormDefinition {
    serde_json::from_value(residence_permit_json()).unwrap()
}

/// A Macao ID number the identity module accepts, raw and normalised. Found by trying
/// check characters rather than hard-coded, so these tests do not depend on how that
/// module computes check digits or formats its output.
pub(super) fn valid_macao_id() -> (String, String) {
    for base in ["1234567", "5215299", "7012345", "1000000"] {
        for check in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".chars() {
            for raw in [format!("{base}({check})"), format!("{base}{check}")] {
                if let Ok(normalised) = identity::validate_field("x", IdentityKind::MacaoId, &raw) {
                    return (raw, normalised);
                }
            }
        }
    }
    panic!("the identity module accepted none of the candidate Macao ID numbers");
}

/// Complete, valid submission data with the untidy spacing and case people type.
pub(super) fn good_data() -> Value {
    let (raw_id, _) = valid_macao_id();
    json!({
        "full_name": "  Chan Tai Man  ",
        "date_of_birth": "1990-05-17",
        "marital_status": "married",
        "languages": ["portuguese", "cantonese"],
        "household_size": 3,
        "contact_phone": "+853 6612 3456",
        "contact_email": "Chan.TaiMan@Example.MO",
        "has_property": false,
        "macao_id": format!(" {raw_id} "),
        "employer_registration": "AB123456",
        "remarks": "Line one\r\nLine two\twith a tab"
    })
}

pub(super) fn with(mut data: Value, key: &str, value: Value) -> Value {
    data[key] = value;
    data
}

pub(super) fn without(mut data: Value, key: &str) -> Value {
    if let Some(map) = data.as_object_mut() {
        map.remove(key);
    }
    data
}

/// The (field, code) pairs of a result's errors, in order; empty when it is `Ok`.
pub(super) fn codes<T>(result: &Result<T, Vec<FieldError>>) -> Vec<(String, String)> {
    match result {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(|e| (e.field.clone(), e.code.clone())).collect(),
    }
}

pub(super) fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(f, c)| ((*f).to_owned(), (*c).to_owned())).collect()
}

/// Errors for one field value of the residence-permit form, in both modes.
pub(super) fn field_errors(key: &str, value: Value) -> Vec<FieldError> {
    let def = residence_permit();
    let data = with(good_data(), key, value);
    let draft = validate(&def, &data, Mode::Draft);
    let submit = validate(&def, &data, Mode::Submit);
    // Value checks do not depend on the mode.
    assert_eq!(draft, submit, "{key}");
    submit.err().unwrap_or_default()
}

pub(super) fn field_codes(key: &str, value: Value) -> Vec<String> {
    field_errors(key, value)
        .into_iter()
        .map(|e| {
            assert_eq!(e.field, format!("form_data.{key}"));
            e.code
        })
        .collect()
}

pub(super) fn field_ok(key: &str, value: Value) -> Value {
    let def = residence_permit();
    let data = with(good_data(), key, value);
    let mut out = validate(&def, &data, Mode::Submit).unwrap();
    out.remove(key).unwrap_or(Value::Null)
}

pub(super) fn def_with_fields(fields: Value) -> FormDefinition {
    serde_json::from_value(json!({ "fields": fields })).unwrap()
}

pub(super) fn text_field(key: &str) -> Value {
    json!({ "key": key, "type": "text", "label": any_label("x") })
}
