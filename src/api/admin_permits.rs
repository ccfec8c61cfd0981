//! Admins withdraw a permit signing key; the permits it signed are re-issued under the current key.

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::caller::Admin;
use crate::app::permit_renewal;
use crate::audit::AuditTrail;
use crate::db::types::utc;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

/// The result of a withdrawal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WithdrawalView {
    /// Hex id of the withdrawn key.
    pub kid: String,
    pub withdrawn_at: DateTime<Utc>,
    /// Active permits it had signed, now carrying a credential from the current key.
    pub reissued: usize,
}

/// Withdraw a permit signing key and re-issue its permits
///
/// For a key that leaked or must no longer be trusted. It leaves the trust list at once (checkpoints drop it at their next sync, or when their list expires), so every credential it signed fails as `unknown_key`; every active permit it signed gets a new credential from the current key in the same transaction, which holders see at their next `getPermit`. The key signing now cannot be withdrawn: configure its successor first.
#[utoipa::path(
    tag = "admin",
    operation_id = "withdrawPermitKey",
    security(("bearer" = [])),
    params(("kid" = String, Path, description = "Hex key id, as in the trust list"),
        ("X-Audit-Reason" = Option<String>, Header, description = "Why (percent-encoded UTF-8, at most 500 characters)")),
    responses(
        (status = 200, description = "Withdrawn, with the number of permits re-issued.", body = WithdrawalView),
        (status = 404, description = "No such key.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Withdrawn already, or the key signing now.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/permit-keys/{kid}/withdraw")]
pub async fn withdraw_permit_key(
    caller: Admin,
    state: web::Data<AppState>,
    trail: AuditTrail,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let keys = state.permit_keys.clone();
    let w = permit_renewal::withdraw_key(&state.db, keys, caller, path.into_inner(), trail).await?;
    Ok(HttpResponse::Ok().json(WithdrawalView {
        kid: w.kid,
        withdrawn_at: utc(w.withdrawn_at),
        reissued: w.reissued,
    }))
}
