//! HTTP plumbing shared by every endpoint: request ids, logs and metrics, JSON bodies, unknown routes.

pub mod json;
pub mod language;
pub mod metrics;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use tracing::Instrument;

use crate::error::ApiError;
use crate::state::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request: the caller's `X-Request-Id` when it is sane, otherwise a new one.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn accept_request_id(value: Option<&HeaderValue>) -> Option<String> {
    let v = value?.to_str().ok()?;
    let ok = !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| v.to_owned())
}

/// Outermost middleware: assigns the request id, opens the request's log span, records metrics and
/// writes one access log line.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let started = Instant::now();
    let id = accept_request_id(req.headers().get(&REQUEST_ID)).unwrap_or_else(crate::db::types::new_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    let authenticated = req.headers().contains_key(header::AUTHORIZATION);
    let method = req.method().to_string();
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %req.path());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let mut res = next.call(req).instrument(span.clone()).await?;
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
    if authenticated {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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
                crate::error::ErrorCode::MethodNotAllowed,
                format!("{} is not allowed here; allowed: {methods}", req.method()),
            );
            e.allow = Some(methods);
            Err(e)
        }
        None => Err(ApiError::new(crate::error::ErrorCode::NotFound, "no such route; see /openapi.json")),
    }
}

/// Path templates with their methods and operation ids, taken from the OpenAPI document so the router,
/// the 405 answers and the audit table cannot disagree.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
}

/// One path template and its (method, operation id) pairs.
#[derive(Debug)]
struct Route {
    segments: Vec<Segment>,
    methods: Vec<(String, String)>,
}

#[derive(Debug)]
enum Segment {
    Literal(String),
    Param(String),
}

/// The operation a request is for, with its path parameters by name.
#[derive(Debug, Clone)]
pub struct Operation {
    pub id: String,
    pub params: Vec<(String, String)>,
}

impl Operation {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

impl RouteTable {
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let mut routes = Vec::new();
        for (path, item) in doc.paths.paths.iter() {
            let segments = path
                .split('/')
                .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => Segment::Param(name.to_owned()),
                    None => Segment::Literal(s.to_owned()),
                })
                .collect();
            let ops = [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("PATCH", &item.patch),
            ];
            let methods = ops
                .into_iter()
                .filter_map(|(m, op)| {
                    let op = op.as_ref()?;
                    Some((m.to_owned(), op.operation_id.clone().unwrap_or_default()))
                })
                .collect();
            routes.push(Route { segments, methods });
        }
        Self { routes }
    }

    fn matching<'a>(
        &'a self,
        path: &'a str,
    ) -> impl Iterator<Item = (&'a [Segment], &'a [(String, String)], Vec<&'a str>)> + 'a {
        let parts: Vec<&str> = path.split('/').collect();
        self.routes.iter().filter_map(move |Route { segments, methods }| {
            let matches = segments.len() == parts.len()
                && segments.iter().zip(&parts).all(|(s, p)| match s {
                    Segment::Literal(l) => l == p,
                    Segment::Param(_) => !p.is_empty(),
                });
            matches.then(|| (segments.as_slice(), methods.as_slice(), parts.clone()))
        })
    }

    /// The methods allowed on `path`, comma-separated, if any route template matches it.
    pub fn allowed_methods(&self, path: &str) -> Option<String> {
        let mut allowed: Vec<&str> = Vec::new();
        for (_, methods, _) in self.matching(path) {
            allowed.extend(methods.iter().map(|(m, _)| m.as_str()));
        }
        if allowed.is_empty() {
            return None;
        }
        allowed.dedup();
        Some(allowed.join(", "))
    }

    /// The documented operation for a method and path. A literal segment wins over a parameter, as in
    /// the router.
    pub fn operation(&self, method: &str, path: &str) -> Option<Operation> {
        let literal_count =
            |segments: &[Segment]| segments.iter().filter(|s| matches!(s, Segment::Literal(_))).count();
        let (segments, methods, parts) = self
            .matching(path)
            .filter(|(_, methods, _)| methods.iter().any(|(m, _)| m == method))
            .max_by_key(|(segments, _, _)| literal_count(segments))?;
        let id = methods.iter().find(|(m, _)| m == method)?.1.clone();
        let params = segments
            .iter()
            .zip(parts)
            .filter_map(|(s, p)| match s {
                Segment::Param(name) => Some((name.clone(), percent_decode(p))),
                Segment::Literal(_) => None,
            })
            .collect();
        Some(Operation { id, params })
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Problem documents for actix's own extractor failures (query strings and paths).
pub fn query_error(err: actix_web::error::QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::malformed(format!("invalid query string: {err}")).into()
}

pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::malformed(format!("invalid path: {err}")).into()
}
