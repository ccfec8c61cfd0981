//! Pure domain rules: no HTTP, no database. Everything here is tested without a server.

pub mod calendar;
pub mod catalogue;
pub mod channel;
pub mod contact;
pub mod form;
pub mod identity;
pub mod locale;
pub mod notify;
pub mod password;
pub mod permit;
pub mod person;
pub mod preferences;
pub mod role;
pub mod status;
pub mod templates;
pub mod webhook;

use serde::{Deserialize, Serialize};

/// One problem with one field of a request body, as it appears in a problem document's `errors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Dotted path of the field in the request body, such as `form_data.date_of_birth`.
    #[schema(max_length = 1000)]
    pub field: String,
    /// Stable machine-readable code, such as `required` or `invalid_check_digit`.
    #[schema(max_length = 1000)]
    pub code: String,
    /// English explanation; clients localise by `code`. Long quotes of the request are cut.
    #[schema(max_length = 1000)]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), code: code.into(), message: message.into() }
    }
}

#[cfg(test)]
mod parsers_proptest;
