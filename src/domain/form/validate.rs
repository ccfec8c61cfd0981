//! Validation of what a resident fills in against the form's definition.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::limit::{Limit, limits, parse_iso_date};
use super::pattern::compile_pattern;
use super::{FieldDefinition, FieldType, FormDefinition, TEXT_MAX_CHARS};
use crate::domain::FieldError;
use crate::domain::contact::{ContactError, Email, Phone};
use crate::domain::identity::{self, IdentityKind};
use crate::domain::locale::Locale;

/// How strictly [`validate`] treats missing values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Saving work in progress: required fields may still be empty.
    Draft,
    /// Handing the application in: required fields must be filled.
    Submit,
}

/// Validates form data (must be a JSON object) against the definition and returns the
/// normalised data (phone to E.164, identity numbers normalised, emails lowercased,
/// multiselect values kept in given order, dates as YYYY-MM-DD) or ALL problems at once, each
/// with field `form_data.<key>` (or `form_data` if not an object).
///
/// Draft checks every value that is present (type, format, limits, pattern, options) and
/// refuses unknown fields, so whatever is stored is clean; Submit does the same and also
/// requires the required fields. The modes differ in nothing else. A value counts as absent
/// when it is `null`, a string of only whitespace, or an empty array; absent values are left
/// out of the result. Strings are trimmed, and `\r\n` in text becomes `\n`.
///
/// Errors follow the definition's field order, then unknown fields sorted by key; one field
/// may have several (say, too long and not matching the pattern). The definition is expected
/// to have passed [`FormDefinition::check`]: a `min` or `max` of the wrong type is ignored,
/// and a pattern that does not compile rejects every value, as the data cannot be vouched for.
pub fn validate(
    def: &FormDefinition,
    data: &Value,
    mode: Mode,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let Some(object) = data.as_object() else {
        return Err(vec![FieldError::new("form_data", "invalid_type", "must be a JSON object")]);
    };

    let mut errors = Vec::new();
    let mut out = Map::new();
    for field in &def.fields {
        let path = format!("form_data.{}", field.key);
        match object.get(&field.key) {
            Some(value) if !is_empty(value) => match validate_value(field, value, &path) {
                Ok(normalised) => {
                    out.insert(field.key.clone(), normalised);
                }
                Err(mut problems) => errors.append(&mut problems),
            },
            _ => {
                if mode == Mode::Submit && field.required {
                    errors.push(FieldError::new(path, "required", "is required"));
                }
            }
        }
    }

    let known: HashSet<&str> = def.fields.iter().map(|f| f.key.as_str()).collect();
    let mut unknown: Vec<&String> = object.keys().filter(|k| !known.contains(k.as_str())).collect();
    unknown.sort();
    for key in unknown {
        errors.push(FieldError::new(
            format!("form_data.{key}"),
            "unknown_field",
            "is not a field of this form",
        ));
    }

    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// Kinds of required documents not in `present`, as FieldErrors `documents.<kind>` with code
/// "required", in definition order.
pub fn missing_documents(def: &FormDefinition, present: &[&str]) -> Vec<FieldError> {
    def.documents
        .iter()
        .filter(|doc| doc.required && !present.contains(&doc.kind.as_str()))
        .map(|doc| {
            let name = doc.label.get(Locale::En);
            let name = if name.is_empty() { &doc.kind } else { name };
            FieldError::new(format!("documents.{}", doc.kind), "required", format!("{name} is required"))
        })
        .collect()
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// Checks one non-empty value; `Ok` holds its normalised form.
fn validate_value(field: &FieldDefinition, value: &Value, path: &str) -> Result<Value, Vec<FieldError>> {
    let one = |code: &str, message: String| vec![FieldError::new(path, code, message)];
    let wrong_type = |expected: &str| one("invalid_type", format!("must be {expected}"));

    match field.field_type {
        FieldType::Text => match value.as_str() {
            Some(s) => validate_text(field, s, path).map(Value::String),
            None => Err(wrong_type("a string")),
        },
        FieldType::Number => match value {
            Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => {
                validate_number(field, n, path).map(|()| value.clone())
            }
            _ => Err(wrong_type("a number")),
        },
        FieldType::Date => match value.as_str() {
            Some(s) => validate_date(field, s.trim(), path).map(Value::String),
            None => Err(wrong_type("a date string written YYYY-MM-DD")),
        },
        FieldType::Boolean => match value {
            Value::Bool(_) => Ok(value.clone()),
            _ => Err(wrong_type("true or false")),
        },
        FieldType::Select => match value.as_str() {
            Some(s) => {
                let s = s.trim();
                if field.options.iter().any(|o| o.value == s) {
                    Ok(Value::String(s.to_owned()))
                } else {
                    Err(one("invalid_option", "is not one of the allowed options".to_owned()))
                }
            }
            None => Err(wrong_type("a string")),
        },
        FieldType::Multiselect => {
            let items: Option<Vec<&str>> =
                value.as_array().and_then(|items| items.iter().map(|v| v.as_str().map(str::trim)).collect());
            match items {
                Some(items) => validate_multiselect(field, &items, path)
                    .map(|items| Value::Array(items.into_iter().map(Value::String).collect())),
                None => Err(wrong_type("an array of strings")),
            }
        }
        FieldType::Email => match value.as_str() {
            // Addresses are compared and looked up case-insensitively everywhere, so the
            // stored form is lowercased once here.
            Some(s) => Email::parse(s.trim())
                .map(|email| Value::String(email.as_str().to_lowercase()))
                .map_err(|e| contact_error(path, e)),
            None => Err(wrong_type("a string")),
        },
        FieldType::Phone => match value.as_str() {
            Some(s) => Phone::parse(s.trim())
                .map(|phone| Value::String(phone.as_str().to_owned()))
                .map_err(|e| contact_error(path, e)),
            None => Err(wrong_type("a string")),
        },
        FieldType::MacaoId => validate_identity(IdentityKind::MacaoId, value, path),
        FieldType::MainlandTravelPermit => validate_identity(IdentityKind::MainlandTravelPermit, value, path),
        FieldType::MainlandId => validate_identity(IdentityKind::MainlandId, value, path),
    }
}

fn validate_identity(kind: IdentityKind, value: &Value, path: &str) -> Result<Value, Vec<FieldError>> {
    let Some(s) = value.as_str() else {
        return Err(vec![FieldError::new(path, "invalid_type", "must be a string")]);
    };
    identity::validate_field(path, kind, s.trim()).map(Value::String).map_err(|mut e| {
        // The identity module names the field it was given; make sure it is the path the
        // client sent, whatever that module does with it.
        e.field = path.to_owned();
        vec![e]
    })
}

fn contact_error(path: &str, e: ContactError) -> Vec<FieldError> {
    vec![FieldError::new(path, e.code(), e.message())]
}

fn validate_text(field: &FieldDefinition, raw: &str, path: &str) -> Result<String, Vec<FieldError>> {
    // Browsers send line breaks in text areas as CRLF; storing one form keeps lengths and
    // patterns predictable.
    let text = raw.replace("\r\n", "\n").trim().to_owned();
    let mut errors = Vec::new();

    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        errors.push(FieldError::new(
            path,
            "invalid_characters",
            "must not contain control characters other than line breaks and tabs",
        ));
    }

    let (min, max) = limits(field);
    let length = text.chars().count() as u64;
    if let Some(Limit::Whole(min)) = min
        && length < min
    {
        errors.push(FieldError::new(
            path,
            "too_short",
            format!("must be at least {min} {}", plural(min, "character")),
        ));
    }
    let max = match max {
        Some(Limit::Whole(max)) => max.min(TEXT_MAX_CHARS),
        _ => TEXT_MAX_CHARS,
    };
    if length > max {
        errors.push(FieldError::new(
            path,
            "too_long",
            format!("must be at most {max} {}", plural(max, "character")),
        ));
    }

    if let Some(pattern) = &field.pattern {
        match compile_pattern(pattern) {
            Ok(re) => {
                if !re.is_match(&text) {
                    errors.push(FieldError::new(
                        path,
                        "pattern_mismatch",
                        "does not match the required format",
                    ));
                }
            }
            Err(_) => errors.push(FieldError::new(
                path,
                "pattern_mismatch",
                "cannot be checked because the form's pattern is invalid",
            )),
        }
    }

    if errors.is_empty() { Ok(text) } else { Err(errors) }
}

fn validate_number(
    field: &FieldDefinition,
    n: &serde_json::Number,
    path: &str,
) -> Result<(), Vec<FieldError>> {
    let Some(value) = n.as_f64() else {
        return Err(vec![FieldError::new(path, "invalid_type", "must be a number")]);
    };
    let (min, max) = limits(field);
    if let Some(Limit::Number(min)) = min
        && value < min
    {
        return Err(vec![FieldError::new(path, "below_minimum", format!("must be at least {min}"))]);
    }
    if let Some(Limit::Number(max)) = max
        && value > max
    {
        return Err(vec![FieldError::new(path, "above_maximum", format!("must be at most {max}"))]);
    }
    Ok(())
}

fn validate_date(field: &FieldDefinition, s: &str, path: &str) -> Result<String, Vec<FieldError>> {
    let Some(date) = parse_iso_date(s) else {
        return Err(vec![FieldError::new(path, "invalid_date", "must be a real date written YYYY-MM-DD")]);
    };
    let (min, max) = limits(field);
    if let Some(Limit::Date(min)) = min
        && date < min
    {
        return Err(vec![FieldError::new(
            path,
            "below_minimum",
            format!("must be on or after {}", Limit::Date(min)),
        )]);
    }
    if let Some(Limit::Date(max)) = max
        && date > max
    {
        return Err(vec![FieldError::new(
            path,
            "above_maximum",
            format!("must be on or before {}", Limit::Date(max)),
        )]);
    }
    Ok(date.format("%Y-%m-%d").to_string())
}

fn validate_multiselect(
    field: &FieldDefinition,
    items: &[&str],
    path: &str,
) -> Result<Vec<String>, Vec<FieldError>> {
    let mut errors = Vec::new();

    let unknown: Vec<String> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| !field.options.iter().any(|o| o.value == **item))
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    if !unknown.is_empty() {
        let message = match unknown.as_slice() {
            [one] => format!("item {one} is not one of the allowed options"),
            many => format!("items {} are not among the allowed options", many.join(", ")),
        };
        errors.push(FieldError::new(path, "invalid_option", message));
    }

    // Only repeats of real options are named: those values come from the definition, not
    // from whatever the client sent.
    let mut seen = HashSet::new();
    let mut repeated: Vec<&str> = Vec::new();
    for item in items {
        if !seen.insert(*item) && field.options.iter().any(|o| o.value == *item) && !repeated.contains(item) {
            repeated.push(item);
        }
    }
    if !repeated.is_empty() {
        errors.push(FieldError::new(
            path,
            "duplicate_option",
            format!("lists {} more than once", quoted_list(&repeated)),
        ));
    }

    let (min, max) = limits(field);
    let count = items.len() as u64;
    if let Some(Limit::Whole(min)) = min
        && count < min
    {
        errors.push(FieldError::new(
            path,
            "too_few",
            format!("must have at least {min} {}", plural(min, "selection")),
        ));
    }
    if let Some(Limit::Whole(max)) = max
        && count > max
    {
        errors.push(FieldError::new(
            path,
            "too_many",
            format!("must have at most {max} {}", plural(max, "selection")),
        ));
    }

    if errors.is_empty() { Ok(items.iter().map(|s| (*s).to_owned()).collect()) } else { Err(errors) }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 { word.to_owned() } else { format!("{word}s") }
}

fn quoted_list(values: &[&str]) -> String {
    values.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", ")
}
