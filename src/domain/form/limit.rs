//! What `min` and `max` mean for each field type, read the same way when a definition is
//! checked and when data is validated against it.

use chrono::NaiveDate;
use serde_json::Value;

use super::{FieldDefinition, FieldType};

impl FieldType {
    /// What `min` and `max` mean for this type, if the type takes them at all.
    pub(super) fn limit_kind(self) -> Option<LimitKind> {
        match self {
            FieldType::Text => Some(LimitKind::Length),
            FieldType::Number => Some(LimitKind::Value),
            FieldType::Date => Some(LimitKind::Date),
            FieldType::Multiselect => Some(LimitKind::Count),
            _ => None,
        }
    }
}

/// What `min` and `max` mean for a field type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LimitKind {
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
pub(super) enum Limit {
    Whole(u64),
    Number(f64),
    Date(NaiveDate),
}

impl Limit {
    pub(super) fn read(kind: LimitKind, value: &Value) -> Result<Limit, (&'static str, &'static str)> {
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
    pub(super) fn exceeds(a: Limit, b: Limit) -> bool {
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

pub(super) fn limits(field: &FieldDefinition) -> (Option<Limit>, Option<Limit>) {
    let Some(kind) = field.field_type.limit_kind() else {
        return (None, None);
    };
    let read = |v: &Option<Value>| v.as_ref().and_then(|v| Limit::read(kind, v).ok());
    (read(&field.min), read(&field.max))
}

/// Parses exactly `YYYY-MM-DD` (four-digit year, zero-padded month and day) as a real date.
/// chrono's own `%Y-%m-%d` also takes unpadded and signed forms, which would make the stored
/// text differ from the input.
pub(super) fn parse_iso_date(s: &str) -> Option<NaiveDate> {
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
