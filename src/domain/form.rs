//! Application forms: the definition a department admin writes for a service, the checks that
//! keep such a definition sane, and the validation of what a resident fills in.
//!
//! Definitions are versioned with their service, so a form does not change under an
//! application started with it. Validation returns the data in a normalised shape, which is
//! the shape to store: two residents who type the same phone number differently store the
//! same text.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::FieldError;
use super::contact::{ContactError, Email, Phone};
use super::identity::{self, IdentityKind};
use super::locale::{Locale, LocalizedText};

/// Longest text any text field accepts, in characters, whatever its own `max` says.
pub const TEXT_MAX_CHARS: u64 = 10_000;

/// Longest `pattern` an admin may set, in characters.
pub const PATTERN_MAX_CHARS: usize = 200;

/// Ceiling on the compiled size of a `pattern`, in bytes. Patterns come from admins, and a
/// short pattern such as `(\w{100}){100}` can compile to a very large program.
pub const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// Longest field key or document kind, in bytes (they are ASCII).
pub const KEY_MAX_LEN: usize = 63;

/// What a field holds and how it is entered. Serialised in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Number,
    Date,
    Boolean,
    Select,
    Multiselect,
    Email,
    Phone,
    MacaoId,
    MainlandTravelPermit,
    MainlandId,
}

impl FieldType {
    /// The snake_case name used in definitions.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::Boolean => "boolean",
            FieldType::Select => "select",
            FieldType::Multiselect => "multiselect",
            FieldType::Email => "email",
            FieldType::Phone => "phone",
            FieldType::MacaoId => "macao_id",
            FieldType::MainlandTravelPermit => "mainland_travel_permit",
            FieldType::MainlandId => "mainland_id",
        }
    }

    /// True for select and multiselect, the only types that have (and must have) options.
    pub fn has_options(self) -> bool {
        matches!(self, FieldType::Select | FieldType::Multiselect)
    }

    /// The identity document the field holds a number of, for the three identity types.
    pub fn identity_kind(self) -> Option<IdentityKind> {
        match self {
            FieldType::MacaoId => Some(IdentityKind::MacaoId),
            FieldType::MainlandTravelPermit => Some(IdentityKind::MainlandTravelPermit),
            FieldType::MainlandId => Some(IdentityKind::MainlandId),
            _ => None,
        }
    }

    /// What `min` and `max` mean for this type, if the type takes them at all.
    fn limit_kind(self) -> Option<LimitKind> {
        match self {
            FieldType::Text => Some(LimitKind::Length),
            FieldType::Number => Some(LimitKind::Value),
            FieldType::Date => Some(LimitKind::Date),
            FieldType::Multiselect => Some(LimitKind::Count),
            _ => None,
        }
    }
}

/// One choice of a select or multiselect field. `value` is what is stored; `label` is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldOption {
    pub value: String,
    pub label: LocalizedText,
}

/// One field of a form, as an admin defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldDefinition {
    /// Key of the value in the submitted data; snake_case, unique within the form.
    pub key: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// Whether the field must be filled in before the application can be submitted.
    #[serde(default)]
    pub required: bool,
    pub label: LocalizedText,
    /// The choices, for select and multiselect only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<FieldOption>,
    /// Lower limit: a whole number of characters for text, a number for number, a whole
    /// number of selections for multiselect, an ISO date (`YYYY-MM-DD`) for date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Value>,
    /// Upper limit, in the same terms as `min`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Value>,
    /// A regular expression the whole text must match, for text only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

/// A document the resident uploads with the application, such as a passport photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DocumentRequirement {
    /// Identifies the upload; same rule as field keys, unique within the form.
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    pub label: LocalizedText,
}

/// The form of one service version: its fields in display order and the documents it asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FormDefinition {
    pub fields: Vec<FieldDefinition>,
    #[serde(default)]
    pub documents: Vec<DocumentRequirement>,
}

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

    /// The field with this key, if the form has one.
    pub fn field(&self, key: &str) -> Option<&FieldDefinition> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// The document requirement of this kind, if the form asks for one.
    pub fn document_kind(&self, kind: &str) -> Option<&DocumentRequirement> {
        self.documents.iter().find(|d| d.kind == kind)
    }
}

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

// ---------------------------------------------------------------------------------------
// Checking definitions
// ---------------------------------------------------------------------------------------

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

/// What `min` and `max` mean for a field type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LimitKind {
    /// Characters of a text.
    Length,
    /// Value of a number.
    Value,
    /// A calendar date.
    Date,
    /// Selections of a multiselect.
    Count,
}

/// A `min` or `max` read according to its field type.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Limit {
    Whole(u64),
    Number(f64),
    Date(NaiveDate),
}

impl Limit {
    fn read(kind: LimitKind, value: &Value) -> Result<Limit, (&'static str, &'static str)> {
        match kind {
            LimitKind::Length | LimitKind::Count => {
                value.as_u64().map(Limit::Whole).ok_or(("invalid_type", "must be a whole number, 0 or more"))
            }
            LimitKind::Value => value
                .as_f64()
                .filter(|n| n.is_finite())
                .map(Limit::Number)
                .ok_or(("invalid_type", "must be a number")),
            LimitKind::Date => match value.as_str() {
                Some(s) => parse_iso_date(s)
                    .map(Limit::Date)
                    .ok_or(("invalid_date", "must be a real date written YYYY-MM-DD")),
                None => Err(("invalid_type", "must be a date written YYYY-MM-DD")),
            },
        }
    }

    /// `a` is after `b`, for two limits of the same kind.
    fn exceeds(a: Limit, b: Limit) -> bool {
        match (a, b) {
            (Limit::Whole(a), Limit::Whole(b)) => a > b,
            (Limit::Number(a), Limit::Number(b)) => a > b,
            (Limit::Date(a), Limit::Date(b)) => a > b,
            _ => false,
        }
    }
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Limit::Whole(n) => write!(f, "{n}"),
            Limit::Number(n) => write!(f, "{n}"),
            Limit::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
        }
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

/// Why an admin's pattern cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PatternError {
    Empty,
    TooLong,
    Syntax,
    TooBig,
}

impl PatternError {
    fn message(self) -> String {
        match self {
            PatternError::Empty => "must not be empty".to_owned(),
            PatternError::TooLong => format!("may be at most {PATTERN_MAX_CHARS} characters"),
            PatternError::Syntax => "is not a valid regular expression".to_owned(),
            PatternError::TooBig => {
                format!("is too complex: it compiles to more than {} KiB", PATTERN_SIZE_LIMIT / 1024)
            }
        }
    }
}

/// Compiles an admin's pattern so that it must match the whole value.
fn compile_pattern(pattern: &str) -> Result<Regex, PatternError> {
    if pattern.is_empty() {
        return Err(PatternError::Empty);
    }
    if pattern.chars().count() > PATTERN_MAX_CHARS {
        return Err(PatternError::TooLong);
    }
    let build = |source: &str| {
        RegexBuilder::new(source)
            .size_limit(PATTERN_SIZE_LIMIT)
            .dfa_size_limit(PATTERN_SIZE_LIMIT)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(_) => PatternError::TooBig,
                _ => PatternError::Syntax,
            })
    };
    // The pattern must stand on its own first: otherwise `a)|(b` would compile once wrapped
    // and match far more than the admin meant.
    build(pattern)?;
    // `\A` and `\z` rather than `^` and `$`, which a `(?m)` in the pattern would turn into
    // line anchors.
    build(&format!(r"\A(?:{pattern})\z"))
}

// ---------------------------------------------------------------------------------------
// Validating data
// ---------------------------------------------------------------------------------------

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

fn limits(field: &FieldDefinition) -> (Option<Limit>, Option<Limit>) {
    let Some(kind) = field.field_type.limit_kind() else {
        return (None, None);
    };
    let read = |v: &Option<Value>| v.as_ref().and_then(|v| Limit::read(kind, v).ok());
    (read(&field.min), read(&field.max))
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

/// Parses exactly `YYYY-MM-DD` (four-digit year, zero-padded month and day) as a real date.
/// chrono's own `%Y-%m-%d` also takes unpadded and signed forms, which would make the stored
/// text differ from the input.
fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return None;
    }
    let year = s.get(0..4)?.parse().ok()?;
    let month = s.get(5..7)?.parse().ok()?;
    let day = s.get(8..10)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn label(zh_hant: &str, zh_hans: &str, pt: &str, en: &str) -> Value {
        json!({ "zh-Hant": zh_hant, "zh-Hans": zh_hans, "pt": pt, "en": en })
    }

    /// A complete label for fixtures where the wording does not matter.
    fn any_label(en: &str) -> Value {
        label(en, en, en, en)
    }

    fn option(value: &str, zh_hant: &str, zh_hans: &str, pt: &str, en: &str) -> Value {
        json!({ "value": value, "label": label(zh_hant, zh_hans, pt, en) })
    }

    /// The form of a residence-permit application, as a department would define it.
    fn residence_permit_json() -> Value {
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

    fn residence_permit() -> FormDefinition {
        serde_json::from_value(residence_permit_json()).unwrap()
    }

    /// A Macao ID number the identity module accepts, raw and normalised. Found by trying
    /// check characters rather than hard-coded, so these tests do not depend on how that
    /// module computes check digits or formats its output.
    fn valid_macao_id() -> (String, String) {
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
    fn good_data() -> Value {
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

    fn with(mut data: Value, key: &str, value: Value) -> Value {
        data[key] = value;
        data
    }

    fn without(mut data: Value, key: &str) -> Value {
        if let Some(map) = data.as_object_mut() {
            map.remove(key);
        }
        data
    }

    /// The (field, code) pairs of a result's errors, in order; empty when it is `Ok`.
    fn codes<T>(result: &Result<T, Vec<FieldError>>) -> Vec<(String, String)> {
        match result {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(|e| (e.field.clone(), e.code.clone())).collect(),
        }
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected.iter().map(|(f, c)| ((*f).to_owned(), (*c).to_owned())).collect()
    }

    /// Errors for one field value of the residence-permit form, in both modes.
    fn field_errors(key: &str, value: Value) -> Vec<FieldError> {
        let def = residence_permit();
        let data = with(good_data(), key, value);
        let draft = validate(&def, &data, Mode::Draft);
        let submit = validate(&def, &data, Mode::Submit);
        // Value checks do not depend on the mode.
        assert_eq!(draft, submit, "{key}");
        submit.err().unwrap_or_default()
    }

    fn field_codes(key: &str, value: Value) -> Vec<String> {
        field_errors(key, value)
            .into_iter()
            .map(|e| {
                assert_eq!(e.field, format!("form_data.{key}"));
                e.code
            })
            .collect()
    }

    fn field_ok(key: &str, value: Value) -> Value {
        let def = residence_permit();
        let data = with(good_data(), key, value);
        let mut out = validate(&def, &data, Mode::Submit).unwrap();
        out.remove(key).unwrap_or(Value::Null)
    }

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

    fn def_with_fields(fields: Value) -> FormDefinition {
        serde_json::from_value(json!({ "fields": fields })).unwrap()
    }

    fn text_field(key: &str) -> Value {
        json!({ "key": key, "type": "text", "label": any_label("x") })
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
        assert_eq!(
            codes(&def.check("service.form")),
            pairs(&[("service.form.fields[0].key", "invalid_format")])
        );
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
        assert_eq!(
            big.check("").unwrap_err()[0].message,
            "is too complex: it compiles to more than 1024 KiB"
        );
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
        let again = validate(&def, &json!(validate(&def, &good_data(), Mode::Submit).unwrap()), Mode::Submit)
            .unwrap();
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
        assert_eq!(
            codes(&validate(&def, &json!({}), Mode::Submit)),
            pairs(&[("form_data.consent", "required")])
        );
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
        assert_eq!(
            errors,
            vec![FieldError::new("form_data.contact_email", expected.code(), expected.message())]
        );
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
        let out =
            validate(&def, &json!({ "n": -100, "d": "2999-01-01", "t": "a".repeat(10_000) }), Mode::Draft)
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
        for bad in ["", "2024-02-3", "2024-2-03", "20240203", "2024_02_03", "2023-02-29", "２０２４-02-03"]
        {
            assert_eq!(parse_iso_date(bad), None, "{bad}");
        }
    }
}
