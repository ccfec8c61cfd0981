//! HTTP plumbing with no knowledge of the application: request ids, JSON bodies, languages, metrics,
//! the route table taken from the OpenAPI document, and problem documents for actix's own extractors.

pub mod delivery_metrics;
pub mod json;
pub mod json_bounds;
pub mod language;
pub mod metrics;
pub mod rate_limit;
mod routes;

use actix_web::HttpRequest;
use actix_web::http::header::{HeaderName, HeaderValue};

pub use routes::{Operation, RouteTable};

use crate::error::ApiError;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request: the caller's `X-Request-Id` when it is sane, otherwise a new one.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub fn accept_request_id(value: Option<&HeaderValue>) -> Option<String> {
    let v = value?.to_str().ok()?;
    let ok = !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| v.to_owned())
}

/// Problem documents for actix's own extractor failures (query strings and paths).
pub fn query_error(err: actix_web::error::QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::malformed(format!("invalid query string: {err}")).into()
}

pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::malformed(format!("invalid path: {err}")).into()
}
