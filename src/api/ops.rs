//! Operations endpoints for load balancers, monitoring and developers; unversioned and public.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` for liveness, `ready` for readiness.
    #[schema(example = "ok")]
    pub status: String,
}

/// Liveness: the process answers
///
/// Touches no database, so a database outage does not get the process restarted.
#[utoipa::path(
    tag = "operations",
    operation_id = "healthz",
    responses((status = 200, description = "The process is alive.", body = Health,
        example = json!({"status": "ok"})))
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok".into() })
}

/// Readiness: the database answers a query
///
/// 503 with `Retry-After` while it does not; 200 again as soon as it does, without a restart.
#[utoipa::path(
    tag = "operations",
    operation_id = "readyz",
    responses(
        (status = 200, description = "The database is reachable.", body = Health,
            example = json!({"status": "ready"})),
        (status = 503, description = "The database is unreachable.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.db.ping().await?;
    Ok(HttpResponse::Ok().json(Health { status: "ready".into() }))
}

/// Prometheus metrics
///
/// Request counts and latency histograms by route pattern and status, and database pool usage, in the Prometheus text format.
/// Where `QAT_METRICS_TOKEN` is set (always in production) the scraper sends it as a bearer token.
#[utoipa::path(
    tag = "operations",
    operation_id = "metrics",
    security((), ("metrics" = [])),
    responses(
        (status = 200, description = "Metrics in Prometheus text format.", body = String,
            content_type = "text/plain; version=0.0.4",
            example = "qat_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"),
        (status = 401, description = "A metrics token is configured and was not sent.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
pub async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if let Some(token) = &state.config.metrics_token {
        let sent = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !bool::from(sent.as_bytes().ct_eq(token.expose().as_bytes())) {
            return Err(ApiError::unauthorized("/metrics needs the configured bearer token"));
        }
    }
    let (in_use, idle) = state.db.pool_state();
    let mut text = state.metrics.render(in_use, idle);
    if let Some(open) = state.db.read_connections() {
        text.push_str(
            "# HELP qat_db_read_connections PostgreSQL connections the HTTP workers hold for reads.\n",
        );
        text.push_str("# TYPE qat_db_read_connections gauge\n");
        text.push_str(&format!("qat_db_read_connections {open}\n"));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text + &state.deliveries.render()))
}

pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(state.openapi_json.clone())
}

pub async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header(("Location", "/docs/")).finish()
}
