//! Middleware around every request: request ids, the access log and metrics, and problem documents for
//! paths no route answers.

use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use tracing::Instrument;

use crate::error::{ApiError, ErrorCode};
use crate::http::{REQUEST_ID, RequestId, accept_request_id};
use crate::state::AppState;

/// Largest request line plus headers accepted. Heads beyond actix's own buffer (32 KiB) are cut off
/// before any middleware runs.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

fn head_size(req: &ServiceRequest) -> usize {
    let line = req.method().as_str().len() + req.uri().to_string().len() + 12;
    req.headers().iter().fold(line, |n, (name, value)| n + name.as_str().len() + value.len() + 4)
}

/// The documentation page loads only its own scripts and the contract, and may not be framed: Swagger
/// UI sets inline styles and data-URI icons, nothing else.
const DOCS_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Outermost middleware: assigns the request id, opens the request's log span, records metrics and
/// writes one access log line.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    let started = Instant::now();
    let id = accept_request_id(req.headers().get(&REQUEST_ID)).unwrap_or_else(crate::db::types::new_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    let too_large = head_size(&req) > MAX_HEAD_BYTES;
    let authenticated = req.headers().contains_key(header::AUTHORIZATION);
    let v1 = req.path().starts_with("/v1/");
    let docs = req.path() == "/docs" || req.path().starts_with("/docs/");
    let method = req.method().to_string();
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %req.path());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let hsts = state.as_ref().is_some_and(|s| s.config.hsts);
    let mut res = if too_large {
        let e = ApiError::new(
            ErrorCode::HeadersTooLarge,
            format!("the request line and headers exceed {MAX_HEAD_BYTES} bytes"),
        );
        req.into_response(actix_web::ResponseError::error_response(&e)).map_into_right_body()
    } else {
        next.call(req).instrument(span.clone()).await?.map_into_left_body()
    };
    let status = res.status().as_u16();
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
    let elapsed = started.elapsed().as_secs_f64();
    if let Some(state) = state {
        state.metrics.observe(&method, &route, status, elapsed);
    }
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID, v);
    }
    // Answers of the API hold personal data or depend on the caller: no cache may keep them. Only a
    // public document that says how long it may be kept (the permit trust and status lists) is cached,
    // and never when the request carried credentials.
    if authenticated || (v1 && !headers.contains_key(header::CACHE_CONTROL)) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if docs {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOCS_POLICY));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    span.in_scope(
        || tracing::info!(status, route = %route, latency_ms = elapsed * 1000.0, "request finished"),
    );
    Ok(res)
}

/// For paths no route answers: 405 with `Allow` when the path exists for other methods, 404 otherwise.
pub async fn fallback(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match state.routes.allowed_methods(req.path()) {
        Some(methods) => {
            let mut e = ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!("{} is not allowed here; allowed: {methods}", req.method()),
            );
            e.allow = Some(methods);
            Err(e)
        }
        None => Err(ApiError::new(ErrorCode::NotFound, "no such route; see /openapi.json")),
    }
}

/// The address a caller without a token is counted by: IPv6 clients by their /64, since one host
/// commonly holds a whole /64.
fn address_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("address:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(ip) => format!("address:{}", ip.to_canonical()),
        Err(_) => format!("address:{ip}"),
    }
}

/// The general request budget of every `/v1` caller: per account or API client when the token is
/// valid, per address otherwise. Answers 429 `rate_limited` with `Retry-After` past the budget, and
/// reports the budget on every answer in `RateLimit-Policy` and `RateLimit`.
pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let Some(state) = state.filter(|_| req.path().starts_with("/v1/")) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let config = &state.config;
    let authenticated = req.headers().contains_key(header::AUTHORIZATION)
        && match crate::auth::principal::authenticate(req.request(), &state.tokens, &state.revocations) {
            Ok(p) => {
                req.extensions_mut().insert(p);
                true
            }
            // The caller extractor answers 401 later; until then this is an anonymous request.
            Err(_) => false,
        };
    let (key, limit) = match req.extensions().get::<crate::auth::Principal>() {
        Some(p) if authenticated => (format!("caller:{}", p.id), config.rate_limit_per_minute),
        _ => {
            let ip = crate::context::client_ip(req.request(), &config.trusted_proxies);
            (address_key(&ip), config.rate_limit_anonymous_per_minute)
        }
    };
    if limit == 0 {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let decision = state.rate_limiter.check(&key, limit, Instant::now());
    let (policy, remaining) = decision.headers(std::time::Duration::from_secs(60));
    let mut res = if decision.allowed {
        next.call(req).await?.map_into_left_body()
    } else {
        let e = ApiError::new(ErrorCode::RateLimited, "too many requests; wait and try again")
            .with_retry_after(decision.reset_secs);
        req.into_response(actix_web::ResponseError::error_response(&e)).map_into_right_body()
    };
    let headers = res.headers_mut();
    for (name, value) in [("ratelimit-policy", policy), ("ratelimit", remaining)] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(header::HeaderName::from_static(name), v);
        }
    }
    Ok(res)
}
