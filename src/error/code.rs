//! Every problem `code` the API can send, in one enum. Clients branch on these values, so a variant is
//! never renamed or reused for another meaning; new conditions get new variants.

use actix_web::http::StatusCode;
use serde::{Deserialize, Serialize};

/// Stable machine-readable problem code. Each has one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the request could not be read (broken JSON, bad header, bad query string).
    MalformedRequest,
    /// 401: no valid access token.
    Unauthorized,
    /// 401: wrong login or password.
    InvalidCredentials,
    /// 403: this kind of caller, or a token without the needed scope, may not use the operation.
    Forbidden,
    /// 403: an officer acting on an application assigned to someone else.
    AssignedToOther,
    /// 404: the object does not exist or is not the caller's to see.
    NotFound,
    /// 405: the path exists, the method does not.
    MethodNotAllowed,
    /// 409: the object exists already (a unique value is taken).
    Conflict,
    /// 409: a value that must be unique (a code, an identity document) is used already.
    AlreadyExists,
    /// 409: an admin disabling their own account.
    CannotDisableSelf,
    /// 409: the email or phone number belongs to another account.
    LoginTaken,
    /// 409: the status machine does not allow this action from the current status.
    InvalidTransition,
    /// 409: the application is no longer a draft or waiting for information, so it cannot change.
    ApplicationNotEditable,
    /// 409: the application is decided or withdrawn.
    ApplicationClosed,
    /// 409: the application carries as many documents as it may.
    DocumentLimitReached,
    /// 409: the resident has as many open drafts as they may; submit or withdraw one first.
    DraftLimitReached,
    /// 409: the resident's stored documents would exceed their storage quota.
    StorageQuotaExceeded,
    /// 409: the API client has as many webhook endpoints as it may; delete one first.
    EndpointLimitReached,
    /// 409: the account has as many push devices as it may; delete one first.
    DeviceLimitReached,
    /// 409: only a draft form version can be published.
    VersionNotDraft,
    /// 409: the webhook endpoint is disabled.
    EndpointDisabled,
    /// 409: a request with the same `Idempotency-Key` is still running.
    IdempotencyInProgress,
    /// 409: the permit is revoked already.
    PermitNotActive,
    /// 412: `If-Match` names another version.
    PreconditionFailed,
    /// 413: the body is larger than allowed.
    PayloadTooLarge,
    /// 413: the multipart body has more parts than the operation takes.
    TooManyParts,
    /// 415: the body's media type is not accepted.
    UnsupportedMediaType,
    /// 431: the request line and headers are larger than allowed.
    HeadersTooLarge,
    /// 422: fields are invalid; `errors` lists each.
    ValidationFailed,
    /// 422: the `Idempotency-Key` was used with another request.
    IdempotencyKeyReused,
    /// 428: `If-Match` is required.
    PreconditionRequired,
    /// 429: too many requests or attempts; see `Retry-After`.
    RateLimited,
    /// 500: an unexpected failure, logged with its cause.
    Internal,
    /// 503: a dependency (the database) is unavailable; see `Retry-After`.
    ServiceUnavailable,
}

impl ErrorCode {
    /// Every variant, for tests and documentation.
    pub const ALL: &'static [ErrorCode] = &[
        Self::MalformedRequest,
        Self::Unauthorized,
        Self::InvalidCredentials,
        Self::Forbidden,
        Self::AssignedToOther,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::Conflict,
        Self::AlreadyExists,
        Self::CannotDisableSelf,
        Self::LoginTaken,
        Self::InvalidTransition,
        Self::ApplicationNotEditable,
        Self::ApplicationClosed,
        Self::DocumentLimitReached,
        Self::DraftLimitReached,
        Self::StorageQuotaExceeded,
        Self::EndpointLimitReached,
        Self::DeviceLimitReached,
        Self::VersionNotDraft,
        Self::EndpointDisabled,
        Self::IdempotencyInProgress,
        Self::PermitNotActive,
        Self::PreconditionFailed,
        Self::PayloadTooLarge,
        Self::TooManyParts,
        Self::UnsupportedMediaType,
        Self::HeadersTooLarge,
        Self::ValidationFailed,
        Self::IdempotencyKeyReused,
        Self::PreconditionRequired,
        Self::RateLimited,
        Self::Internal,
        Self::ServiceUnavailable,
    ];

    pub fn status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            MalformedRequest => StatusCode::BAD_REQUEST,
            Unauthorized | InvalidCredentials => StatusCode::UNAUTHORIZED,
            Forbidden | AssignedToOther => StatusCode::FORBIDDEN,
            NotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Conflict
            | AlreadyExists
            | CannotDisableSelf
            | LoginTaken
            | InvalidTransition
            | ApplicationNotEditable
            | ApplicationClosed
            | DocumentLimitReached
            | DraftLimitReached
            | StorageQuotaExceeded
            | EndpointLimitReached
            | DeviceLimitReached
            | VersionNotDraft
            | EndpointDisabled
            | IdempotencyInProgress
            | PermitNotActive => StatusCode::CONFLICT,
            PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            PayloadTooLarge | TooManyParts => StatusCode::PAYLOAD_TOO_LARGE,
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ValidationFailed | IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The wire value, such as `not_found`.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            MalformedRequest => "malformed_request",
            Unauthorized => "unauthorized",
            InvalidCredentials => "invalid_credentials",
            Forbidden => "forbidden",
            AssignedToOther => "assigned_to_other",
            CannotDisableSelf => "cannot_disable_self",
            NotFound => "not_found",
            MethodNotAllowed => "method_not_allowed",
            Conflict => "conflict",
            AlreadyExists => "already_exists",
            LoginTaken => "login_taken",
            InvalidTransition => "invalid_transition",
            ApplicationNotEditable => "application_not_editable",
            ApplicationClosed => "application_closed",
            DocumentLimitReached => "document_limit_reached",
            DraftLimitReached => "draft_limit_reached",
            StorageQuotaExceeded => "storage_quota_exceeded",
            EndpointLimitReached => "endpoint_limit_reached",
            DeviceLimitReached => "device_limit_reached",
            VersionNotDraft => "version_not_draft",
            EndpointDisabled => "endpoint_disabled",
            IdempotencyInProgress => "idempotency_in_progress",
            PermitNotActive => "permit_not_active",
            PreconditionFailed => "precondition_failed",
            PayloadTooLarge => "payload_too_large",
            TooManyParts => "too_many_parts",
            UnsupportedMediaType => "unsupported_media_type",
            HeadersTooLarge => "headers_too_large",
            ValidationFailed => "validation_failed",
            IdempotencyKeyReused => "idempotency_key_reused",
            PreconditionRequired => "precondition_required",
            RateLimited => "rate_limited",
            Internal => "internal",
            ServiceUnavailable => "service_unavailable",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(dir: &std::path::Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("error/code.rs") {
                out.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }

    #[test]
    fn every_code_is_listed_named_once_and_sent_somewhere() {
        let own = include_str!("code.rs");
        let body = own.split("pub enum ErrorCode {").nth(1).and_then(|s| s.split('}').next()).unwrap();
        let declared = body.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("///")).count();
        assert_eq!(ErrorCode::ALL.len(), declared, "ErrorCode::ALL must list every variant");

        let mut src = String::new();
        sources(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")), &mut src);
        let mut seen = std::collections::HashSet::new();
        for &code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} is named twice");
            let wire = serde_json::to_value(code).unwrap();
            assert_eq!(wire, code.as_str(), "serde and as_str disagree");
            let name = format!("{code:?}");
            assert!(
                src.contains(&format!("ErrorCode::{name}")),
                "ErrorCode::{name} is never sent: use it or remove it"
            );
        }
    }
}
