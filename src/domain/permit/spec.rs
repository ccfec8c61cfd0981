//! What an admin sets on a service version that issues a permit, and how an approved application's
//! form becomes the permit's printed content.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::claims::{MAX_DEPARTMENT, MAX_FIELD_KEY, MAX_FIELDS, MAX_TYPE, PermitBody, holder_name};
use crate::domain::FieldError;
use crate::domain::form::{FieldType, FormDefinition};

/// Longest validity an admin may give, in days (about ten years).
pub const MAX_VALIDITY_DAYS: u32 = 3660;

/// The permit a service version issues on approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PermitSpec {
    /// The kind of permit, such as `vehicle`: 3-12 lowercase letters, digits and hyphens.
    #[serde(rename = "type")]
    #[schema(example = "vehicle")]
    pub kind: String,
    /// Days the permit is valid from approval; give this or `valid_until_field`.
    pub validity_days: Option<u32>,
    /// Key of a `date` field of the form whose date (Macao time, inclusive) ends the permit.
    pub valid_until_field: Option<String>,
    /// Key of at most one form field printed on the permit (text, number, date or select; identity
    /// numbers, e-mail addresses and phone numbers never are).
    #[serde(default)]
    pub fields: Vec<String>,
}

fn err(field: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(field, code, message)
}

impl PermitSpec {
    /// Every problem with the setting against the version's form and the organisation's code, at once.
    pub fn check(&self, at: &str, form: &FormDefinition, organisation_code: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let k = &self.kind;
        let slug = (3..=MAX_TYPE).contains(&k.len())
            && k.starts_with(|c: char| c.is_ascii_lowercase())
            && k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !slug {
            errors.push(err(
                &format!("{at}.type"),
                "invalid_format",
                format!("use 3-{MAX_TYPE} lowercase letters, digits and hyphens"),
            ));
        }
        match (self.validity_days, &self.valid_until_field) {
            (Some(d), None) if (1..=MAX_VALIDITY_DAYS).contains(&d) => {}
            (Some(_), None) => errors.push(err(
                &format!("{at}.validity_days"),
                "out_of_range",
                format!("validity_days must be 1 to {MAX_VALIDITY_DAYS}"),
            )),
            (None, Some(key)) => {
                if form.field(key).map(|f| f.field_type) != Some(FieldType::Date) {
                    errors.push(err(
                        &format!("{at}.valid_until_field"),
                        "unknown",
                        "must name a date field of the form",
                    ));
                }
            }
            _ => errors.push(err(
                &format!("{at}.validity_days"),
                "required",
                "give exactly one of validity_days and valid_until_field",
            )),
        }
        if self.fields.len() > MAX_FIELDS {
            errors.push(err(
                &format!("{at}.fields"),
                "too_many",
                format!("at most {MAX_FIELDS} fields fit on a permit"),
            ));
        }
        for (i, key) in self.fields.iter().enumerate() {
            let printable = matches!(
                form.field(key).map(|f| f.field_type),
                Some(FieldType::Text | FieldType::Number | FieldType::Date | FieldType::Select)
            );
            if !printable || key.len() > MAX_FIELD_KEY {
                errors.push(err(
                    &format!("{at}.fields[{i}]"),
                    "not_printable",
                    format!(
                        "must name a text, number, date or select field of the form, key at most {MAX_FIELD_KEY} bytes"
                    ),
                ));
            }
        }
        if organisation_code.len() > MAX_DEPARTMENT {
            errors.push(err(
                at,
                "organisation_code_too_long",
                format!(
                    "permits print the organisation's code, which must be at most {MAX_DEPARTMENT} characters"
                ),
            ));
        }
        errors
    }

    /// When a permit approved at `approved_at` ends; `None` if the form lacks the date it ends on or that
    /// date is already past.
    pub fn valid_until(&self, approved_at: DateTime<Utc>, form_data: &Value) -> Option<DateTime<Utc>> {
        let end = match (self.validity_days, &self.valid_until_field) {
            (Some(days), _) => approved_at + chrono::Duration::days(days.into()),
            (None, Some(key)) => {
                let date = NaiveDate::parse_from_str(form_data.get(key)?.as_str()?, "%Y-%m-%d").ok()?;
                // The end of that day in Macao (UTC+8, no daylight saving).
                let next = date.succ_opt()?.and_hms_opt(0, 0, 0)?;
                Utc.from_utc_datetime(&next) - chrono::Duration::hours(8) - chrono::Duration::seconds(1)
            }
            (None, None) => return None,
        };
        (end > approved_at).then_some(end)
    }
}

fn printable(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The printed content of a permit from an approved application. `full_name` is the form's `full_name`
/// when it has one, otherwise the account's name; the travel-permit tail comes from the first travel
/// permit field of the form.
pub fn permit_body(
    spec: &PermitSpec,
    form: &FormDefinition,
    form_data: &Value,
    account_name: &str,
    number: &str,
    organisation_code: &str,
) -> PermitBody {
    let full_name = form_data.get("full_name").and_then(Value::as_str).unwrap_or(account_name);
    let (surname, initials) = holder_name(full_name);
    let tail = form
        .fields
        .iter()
        .find(|f| f.field_type == FieldType::MainlandTravelPermit)
        .and_then(|f| form_data.get(&f.key))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let fields = spec
        .fields
        .iter()
        .filter_map(|k| form_data.get(k).and_then(printable).map(|v| (k.clone(), v)))
        .collect();
    PermitBody {
        kind: spec.kind.clone(),
        number: number.to_owned(),
        department: organisation_code.to_owned(),
        surname,
        initials,
        travel_permit_tail: tail,
        fields,
    }
    .fitted()
}
