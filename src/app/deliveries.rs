//! Support's view of the messages a resident was sent: channel, outcome and masked address, never the
//! text. Every look is audited with the resident as its subject.

use chrono::NaiveDateTime;

use crate::app::caller::Admin;
use crate::audit::AuditTrail;
use crate::db::Db;
use crate::domain::role::Role;
use crate::error::{ApiError, ApiResult};
use crate::store::accounts;
use crate::store::messages::{self as outbox, Message};

/// A page of the resident's messages, newest first; 404 for an id that is not a resident's.
pub async fn list(
    db: &Db,
    _caller: Admin,
    resident_id: String,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
    trail: AuditTrail,
) -> ApiResult<Vec<Message>> {
    trail.set_subject(&resident_id);
    db.run(move |conn| {
        let account = accounts::find_any(conn, &resident_id).map_err(|_| ApiError::not_found())?;
        if account.role != Role::Resident {
            return Err(ApiError::not_found());
        }
        Ok(outbox::list_for_account(conn, &resident_id, after, limit)?)
    })
    .await
}
