//! Who looked at what: the admin's search of the audit trail, and each resident's log of the staff
//! and API clients that read or changed their data.

use chrono::NaiveDateTime;

use crate::app::caller::{Admin, Resident};
use crate::db::Db;
use crate::domain::locale::LocalizedText;
use crate::error::{ApiError, ApiResult};
use crate::store::audit::{self as store, AuditEvent, AuditFilter};

/// The audit trail, newest first. The search itself is audited by the HTTP layer, with its filters.
pub async fn audit_events(
    db: &Db,
    _caller: Admin,
    filter: AuditFilter,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> ApiResult<Vec<AuditEvent>> {
    db.run(move |conn| Ok(store::search(conn, filter, after, limit)?)).await
}

/// Actors whose accesses a resident is shown: their own actions are not news to them.
const OTHERS: [&str; 2] = ["staff", "api_client"];

/// One access to a resident's data.
pub struct AccessEntry {
    pub id: String,
    pub organisation_id: Option<String>,
    pub organisation_name: Option<LocalizedText>,
    /// `officer`, `supervisor` or `api_client`; `staff` for an account that is gone.
    pub actor_role: String,
    pub action: String,
    pub target_id: Option<String>,
    pub created_at: NaiveDateTime,
}

/// Accesses to the caller's data by staff and API clients, newest first.
pub async fn access_log(
    db: &Db,
    caller: Resident,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> ApiResult<Vec<AccessEntry>> {
    let rows = db.run(move |conn| Ok(store::accesses(conn, &caller.id, &OTHERS, after, limit)?)).await?;
    rows.into_iter()
        .map(|row| {
            let e = row.event;
            let organisation_name = row
                .organisation_name
                .map(|n| serde_json::from_str::<LocalizedText>(&n))
                .transpose()
                .map_err(|err| {
                    ApiError::internal(format!("stored organisation name does not parse: {err}"))
                })?;
            // API clients have no account; the client is the role.
            let actor_role = if e.actor_type == "api_client" {
                "api_client".to_owned()
            } else {
                row.actor_role.unwrap_or_else(|| "staff".to_owned())
            };
            Ok(AccessEntry {
                id: e.id,
                organisation_id: e.organisation_id,
                organisation_name,
                actor_role,
                action: e.action,
                target_id: e.target_id,
                created_at: e.created_at,
            })
        })
        .collect()
}
