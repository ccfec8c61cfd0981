//! The checks an admin's form definition must pass before it is stored.

use std::collections::HashMap;

use serde_json::Value;

use super::limit::{Limit, LimitKind};
use super::pattern::{PatternError, compile_pattern};
use super::{FieldDefinition, FieldType, FormDefinition, KEY_MAX_LEN, TEXT_MAX_CHARS};
use crate::domain::FieldError;
use crate::domain::locale::LocalizedText;

impl FormDefinition {
    /// Checks a definition an admin submits: unique non-empty snake_case keys
    /// (`^[a-z][a-z0-9_]{0,62}$`), labels complete in all four languages, options present
    /// (non-empty, unique values) exactly for select/multiselect, min/max of the right JSON
    /// type for the field type and min <= max, pattern compiles (only on text) and is at most
    /// 200 chars, unique document kinds (same key rule). Errors use field paths like
    /// `fields[2].options`, `documents[0].kind`, with the given prefix prepended (e.g. prefix
    /// `"form"` -> `"form.fields[2].options"`); an empty prefix adds nothing.
    ///
    /// Every problem is reported, in definition order. Codes: `required`, `invalid_format`,
    /// `duplicate`, `incomplete_translation`, `not_allowed`, `invalid_type`, `invalid_date`,
    /// `above_maximum`, `invalid_range`, `too_long`, `invalid_pattern`.
    pub fn check(&self, prefix: &str) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let path = |rest: String| join_path(prefix, &rest);

        let mut keys: HashMap<&str, usize> = HashMap::new();
        for (i, field) in self.fields.iter().enumerate() {
            let at = |name: &str| path(format!("fields[{i}].{name}"));
            check_key(&field.key, at("key"), &mut keys, "fields", i, &mut errors);
            check_label(&field.label, at("label"), &mut errors);
            check_options(field, &at("options"), &mut errors);
            check_limits(field, &at("min"), &at("max"), &mut errors);
            check_pattern(field, at("pattern"), &mut errors);
        }

        let mut kinds: HashMap<&str, usize> = HashMap::new();
        for (i, doc) in self.documents.iter().enumerate() {
            let at = |name: &str| path(format!("documents[{i}].{name}"));
            check_key(&doc.kind, at("kind"), &mut kinds, "documents", i, &mut errors);
            check_label(&doc.label, at("label"), &mut errors);
        }

        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

fn join_path(prefix: &str, rest: &str) -> String {
    if prefix.is_empty() { rest.to_owned() } else { format!("{prefix}.{rest}") }
}

/// `^[a-z][a-z0-9_]{0,62}$`, without a regex: keys are checked often and the rule is tiny.
fn is_valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    match bytes.split_first() {
        Some((first, rest)) => {
            first.is_ascii_lowercase()
                && bytes.len() <= KEY_MAX_LEN
                && rest.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        }
        None => false,
    }
}

fn check_key<'a>(
    key: &'a str,
    path: String,
    seen: &mut HashMap<&'a str, usize>,
    list: &str,
    index: usize,
    errors: &mut Vec<FieldError>,
) {
    if key.is_empty() {
        errors.push(FieldError::new(path, "required", "must not be empty"));
    } else if !is_valid_key(key) {
        errors.push(FieldError::new(
            path,
            "invalid_format",
            format!(
                "must be a lowercase letter followed by up to {} lowercase letters, digits or underscores",
                KEY_MAX_LEN - 1
            ),
        ));
    } else if let Some(first) = seen.get(key) {
        errors.push(FieldError::new(
            path,
            "duplicate",
            format!("\"{key}\" is already used by {list}[{first}]"),
        ));
    } else {
        seen.insert(key, index);
    }
}

fn check_label(label: &LocalizedText, path: String, errors: &mut Vec<FieldError>) {
    let missing = label.missing();
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|l| l.as_str()).collect();
        errors.push(FieldError::new(
            path,
            "incomplete_translation",
            format!("is missing text in {}", names.join(", ")),
        ));
    }
}

fn check_options(field: &FieldDefinition, path: &str, errors: &mut Vec<FieldError>) {
    if !field.field_type.has_options() {
        if !field.options.is_empty() {
            errors.push(FieldError::new(
                path,
                "not_allowed",
                format!(
                    "options are only allowed on select and multiselect fields, not {}",
                    field.field_type.as_str()
                ),
            ));
        }
        return;
    }
    if field.options.is_empty() {
        errors.push(FieldError::new(
            path,
            "required",
            format!("a {} field needs at least one option", field.field_type.as_str()),
        ));
        return;
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (k, option) in field.options.iter().enumerate() {
        let value_path = format!("{path}[{k}].value");
        // Values are compared after trimming input, so an option with surrounding spaces
        // could never be chosen.
        if option.value.trim().is_empty() {
            errors.push(FieldError::new(value_path, "required", "must not be empty"));
        } else if option.value.trim() != option.value {
            errors.push(FieldError::new(
                value_path,
                "invalid_format",
                "must not start or end with whitespace",
            ));
        } else if let Some(first) = seen.get(option.value.as_str()) {
            errors.push(FieldError::new(
                value_path,
                "duplicate",
                format!("\"{}\" is already used by option [{first}]", option.value),
            ));
        } else {
            seen.insert(&option.value, k);
        }
        check_label(&option.label, format!("{path}[{k}].label"), errors);
    }
}

fn check_limits(field: &FieldDefinition, min_path: &str, max_path: &str, errors: &mut Vec<FieldError>) {
    let Some(kind) = field.field_type.limit_kind() else {
        for (name, value, path) in [("min", &field.min, min_path), ("max", &field.max, max_path)] {
            if value.is_some() {
                errors.push(FieldError::new(
                    path,
                    "not_allowed",
                    format!(
                        "{name} is only allowed on text, number, date and multiselect fields, not {}",
                        field.field_type.as_str()
                    ),
                ));
            }
        }
        return;
    };

    let mut read = |value: &Option<Value>, path: &str| -> Option<Limit> {
        let limit = Limit::read(kind, value.as_ref()?);
        match limit {
            Ok(limit) => Some(limit),
            Err((code, message)) => {
                errors.push(FieldError::new(path, code, message));
                None
            }
        }
    };
    let min = read(&field.min, min_path);
    let max = read(&field.max, max_path);

    if kind == LimitKind::Length {
        for (limit, path) in [(min, min_path), (max, max_path)] {
            if let Some(Limit::Whole(n)) = limit
                && n > TEXT_MAX_CHARS
            {
                errors.push(FieldError::new(
                    path,
                    "above_maximum",
                    format!("may be at most {TEXT_MAX_CHARS} characters"),
                ));
            }
        }
    }
    if let (Some(min), Some(max)) = (min, max)
        && Limit::exceeds(min, max)
    {
        errors.push(FieldError::new(
            min_path,
            "invalid_range",
            format!("min ({min}) is greater than max ({max})"),
        ));
    }
    if kind == LimitKind::Count
        && let Some(Limit::Whole(n)) = min
        && !field.options.is_empty()
        && n > field.options.len() as u64
    {
        errors.push(FieldError::new(
            min_path,
            "invalid_range",
            format!("min ({n}) is more than the {} options available", field.options.len()),
        ));
    }
}

fn check_pattern(field: &FieldDefinition, path: String, errors: &mut Vec<FieldError>) {
    let Some(pattern) = &field.pattern else {
        return;
    };
    if field.field_type != FieldType::Text {
        errors.push(FieldError::new(
            path,
            "not_allowed",
            format!("pattern is only allowed on text fields, not {}", field.field_type.as_str()),
        ));
        return;
    }
    if let Err(problem) = compile_pattern(pattern) {
        let code = match problem {
            PatternError::TooLong => "too_long",
            PatternError::Empty | PatternError::Syntax | PatternError::TooBig => "invalid_pattern",
        };
        errors.push(FieldError::new(path, code, problem.message()));
    }
}
