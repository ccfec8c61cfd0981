//! The one error type of the API, rendered as RFC 9457 `application/problem+json`.

use std::borrow::Cow;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::FieldError;

mod code;
pub use code::ErrorCode;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An API failure: what the caller sees (status, stable `code`, English `detail`, field errors) and,
/// separately, a cause that is logged but never sent. Boxed so that `Result`s stay small.
#[derive(Debug)]
pub struct ApiError(Box<ApiErrorInner>);

#[derive(Debug)]
pub struct ApiErrorInner {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub detail: Cow<'static, str>,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
    pub allow: Option<String>,
    cause: Option<String>,
}

impl std::ops::Deref for ApiError {
    type Target = ApiErrorInner;
    fn deref(&self) -> &ApiErrorInner {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ApiErrorInner {
        &mut self.0
    }
}

/// Body of an error response (RFC 9457).
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"type": "https://qinaotong.example/problems/not_found", "title": "Not Found",
    "status": 404, "detail": "no such application", "code": "not_found"}))]
pub struct Problem {
    /// URI naming the kind of problem; one per `code`.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    /// English explanation for developers; clients localise by `code`.
    #[schema(max_length = 1000)]
    pub detail: String,
    /// Stable machine-readable code, such as `validation_failed`.
    pub code: ErrorCode,
    /// Present for validation failures: one entry per problem field, the first 100 of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 100)]
    pub errors: Vec<FieldError>,
}

/// Most entries in `errors`: a client fixes these and hears of the rest on its next try.
pub const MAX_FIELD_ERRORS: usize = 100;
/// Longest text in a problem document, in characters (messages may quote what the request sent).
pub const MAX_PROBLEM_TEXT: usize = 1000;

/// `text` cut to [`MAX_PROBLEM_TEXT`] characters, an ellipsis marking the cut.
fn clip(text: &str) -> String {
    if text.chars().count() <= MAX_PROBLEM_TEXT {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(MAX_PROBLEM_TEXT - 1).collect();
    cut.push('…');
    cut
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error whose status follows from its code.
    pub fn new(code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self(Box::new(ApiErrorInner {
            status: code.status(),
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            allow: None,
            cause: None,
        }))
    }

    /// Attaches an internal cause that is logged, never sent.
    pub fn with_cause(mut self, cause: impl std::fmt::Display) -> Self {
        self.cause = Some(cause.to_string());
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    pub fn malformed(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::MalformedRequest, detail)
    }
    pub fn unauthorized(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Unauthorized, detail)
    }
    pub fn forbidden(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Forbidden, detail)
    }
    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound, "the resource does not exist")
    }
    /// 409 (or the status of `code`) for a state that forbids the request.
    pub fn conflict(code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(code, detail)
    }
    pub fn precondition_failed() -> Self {
        Self::new(
            ErrorCode::PreconditionFailed,
            "If-Match does not match the current version; fetch the resource again",
        )
    }
    pub fn precondition_required() -> Self {
        Self::new(
            ErrorCode::PreconditionRequired,
            "this operation needs an If-Match header with the resource's ETag",
        )
    }
    pub fn payload_too_large(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::PayloadTooLarge, detail)
    }
    pub fn unsupported_media_type(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::UnsupportedMediaType, detail)
    }
    /// 422 with every field problem at once.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut e = Self::new(ErrorCode::ValidationFailed, "the request has invalid fields; see errors");
        e.errors = errors;
        e
    }
    /// 422 for a single field.
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, code, message)])
    }
    pub fn rate_limited(retry_after: u64) -> Self {
        Self::new(ErrorCode::RateLimited, "too many attempts; wait and try again")
            .with_retry_after(retry_after)
    }
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::ServiceUnavailable, "the service is temporarily unavailable; try again shortly")
            .with_retry_after(2)
            .with_cause(cause)
    }
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::Internal, "an unexpected error occurred").with_cause(cause)
    }

    pub fn problem(&self) -> Problem {
        Problem {
            type_: format!("https://qinaotong.example/problems/{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: clip(&self.detail),
            code: self.code,
            errors: self
                .errors
                .iter()
                .take(MAX_FIELD_ERRORS)
                .map(|e| FieldError::new(clip(&e.field), clip(&e.code), clip(&e.message)))
                .collect(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)?;
        if let Some(cause) = &self.cause {
            write!(f, " ({cause})")?;
        }
        Ok(())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.status.is_server_error() {
            tracing::error!(code = %self.code, cause = self.cause.as_deref().unwrap_or(""), "request failed");
        } else if let Some(cause) = &self.cause {
            tracing::info!(code = %self.code, cause = %cause, "request refused");
        }
        let mut res = HttpResponse::build(self.status);
        res.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if let Some(allow) = &self.allow {
            res.insert_header((header::ALLOW, allow.clone()));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"qinaotong\""));
        }
        res.body(serde_json::to_vec(&self.problem()).unwrap_or_default())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => Self::not_found(),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::conflict(ErrorCode::Conflict, "the resource already exists").with_cause(e)
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Self::unavailable(e).with_retry_after(1)
            }
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
            | Error::BrokenTransactionManager => Self::unavailable(e),
            Error::DatabaseError(_, ref info) if is_unavailable_message(info.message()) => {
                Self::unavailable(e)
            }
            other => Self::internal(other),
        }
    }
}

/// Messages of failures that mean "try again": the database restarting or SQLite busy.
fn is_unavailable_message(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    m.contains("database is locked")
        || m.contains("terminating connection")
        || m.contains("server closed the connection")
        || m.contains("connection refused")
        || m.contains("no connection to the server")
        || m.contains("the database system is")
}

impl ApiError {
    /// A database error as the API answers it, with a unique-key violation turned into `conflict`.
    pub fn unique_or(e: diesel::result::Error, conflict: impl FnOnce() -> ApiError) -> ApiError {
        match e {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                conflict()
            }
            other => other.into(),
        }
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(e: r2d2::Error) -> Self {
        Self::unavailable(e)
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_documents_stay_within_their_published_bounds() {
        let long = "é".repeat(5000);
        let errors =
            (0..150).map(|i| FieldError::new(format!("f{i}{long}"), "invalid_option", &long)).collect();
        let problem = ApiError::validation(errors).problem();
        assert_eq!(problem.errors.len(), MAX_FIELD_ERRORS);
        let e = &problem.errors[0];
        assert!(e.field.starts_with("f0é") && e.field.ends_with('…'));
        assert!([&e.field, &e.message].iter().all(|t| t.chars().count() == MAX_PROBLEM_TEXT));
        let short = ApiError::field("name", "required", "name is required").problem();
        assert_eq!(short.errors[0].message, "name is required");
    }
}
