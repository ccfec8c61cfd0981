//! Supervisors of the issuing organisation revoke permits; audited like every organisation-side change.

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::permit_views::PermitView;
use crate::app::caller::Supervisor;
use crate::app::permit_revoke;
use crate::audit::AuditTrail;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::json::Json;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct RevokePermit {
    /// Why, shown to the holder (1 to 500 characters).
    #[schema(example = "The vehicle was sold.")]
    pub reason: String,
}

/// Revoke a permit
///
/// Supervisors of the organisation that issued it. The permit's bit in its status list is set (online verification answers `revoked` at once, checkpoints after their next sync), the holder is notified with the reason and partners get `permit.revoked`.
#[utoipa::path(
    tag = "permits",
    operation_id = "revokePermit",
    security(("bearer" = [])),
    params(("permit_id" = String, Path, description = "Permit id"),
        ("X-Audit-Reason" = Option<String>, Header, description = "Why (percent-encoded UTF-8, at most 500 characters)")),
    request_body = RevokePermit,
    responses(
        (status = 200, description = "The revoked permit.", body = PermitView),
        (status = 404, description = "No such permit of the caller's organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Revoked already (`permit_not_active`).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason, or too long.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/permits/{permit_id}/revoke")]
pub async fn revoke_permit(
    caller: Supervisor,
    state: web::Data<AppState>,
    trail: AuditTrail,
    path: web::Path<String>,
    body: Result<Json<RevokePermit>, ApiError>,
) -> ApiResult<HttpResponse> {
    let reason = body.map(|b| b.0.reason);
    let row = permit_revoke::revoke(&state.db, caller, path.into_inner(), reason, trail).await?;
    Ok(HttpResponse::Ok().json(PermitView::new(row, false)))
}
