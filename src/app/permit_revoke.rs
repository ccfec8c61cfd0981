//! A supervisor of the issuing organisation revokes a permit: its status bit flips (the next status list
//! says so, and online verification at once), the resident is told why, partners get `permit.revoked`,
//! and the audit trail records who did it.

use crate::app::caller::Supervisor;
use crate::app::permit_issue::{notify, permit_event};
use crate::app::workflow;
use crate::audit::AuditTrail;
use crate::db::Db;
use crate::db::types::now;
use crate::domain::permit::notice;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::applications;
use crate::store::permits::{self as store, Credential, Permit};

/// Longest revocation reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Revokes one of the organisation's permits with a reason the holder reads.
pub async fn revoke(
    db: &Db,
    caller: Supervisor,
    id: String,
    reason: ApiResult<String>,
    trail: AuditTrail,
) -> ApiResult<(Permit, Credential)> {
    db.write(move |conn| {
        let permit = store::find_for_organisation(conn, &id, &caller.organisation_id)?;
        trail.set_subject(&permit.resident_id);
        if permit.status != store::ACTIVE {
            return Err(ApiError::conflict(ErrorCode::PermitNotActive, "the permit is revoked already"));
        }
        let reason = reason?.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
            return Err(ApiError::field(
                "reason",
                "invalid_length",
                format!("reason must be 1 to {MAX_REASON_CHARS} characters"),
            ));
        }
        store::revoke(conn, &permit.id, &reason, now())?;
        let (revoked, credential) = store::find_for_resident(conn, &permit.id, &permit.resident_id)?;
        if let Some(holder) = notify(conn, &revoked, |l| notice::revoked(l, &revoked.number, &reason))? {
            crate::app::messages::queue_permit_revoked(conn, &holder, &revoked.id, &revoked.number)?;
        }
        let app =
            applications::find_for_organisation(conn, &revoked.application_id, &caller.organisation_id)?;
        workflow::queue_webhook(conn, &app, "permit.revoked", permit_event(&revoked))?;
        trail.write_in(conn, 200)?;
        Ok((revoked, credential))
    })
    .await
}
