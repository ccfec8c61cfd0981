//! Operations endpoints for load balancers, monitoring and developers; unversioned and public.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
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
    use diesel::connection::SimpleConnection;
    state.db.run(|conn| conn.batch_execute("SELECT 1").map_err(ApiError::unavailable)).await?;
    Ok(HttpResponse::Ok().json(Health { status: "ready".into() }))
}

/// Prometheus metrics
///
/// Request counts and latency histograms by route pattern and status, and database pool usage, in the Prometheus text format.
#[utoipa::path(
    tag = "operations",
    operation_id = "metrics",
    responses((status = 200, description = "Metrics in Prometheus text format.", body = String,
        content_type = "text/plain; version=0.0.4",
        example = "qat_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let (in_use, idle) = state.db.pool_state();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(in_use, idle))
}

pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(state.openapi_json.clone())
}

pub async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header(("Location", "/docs/")).finish()
}
