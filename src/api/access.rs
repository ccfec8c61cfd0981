//! Who looked at what, over HTTP: the admin's audit trail and the resident's own access log. Rules
//! live in `app::access`; searching the trail is itself audited by `api::audit`, with its filters.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::pagination::{Page, PageParams, page, time_key};
use crate::app::access::{self, AccessEntry};
use crate::app::caller::{Admin, Resident};
use crate::db::types::utc;
use crate::error::ApiResult;
use crate::http::language::Lang;
use crate::state::AppState;
use crate::store::audit::{AuditEvent, AuditFilter};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEventView {
    pub id: String,
    /// `resident`, `staff`, `api_client` or `system`.
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub organisation_id: Option<String>,
    /// Dotted, such as `application.read` or `auth.login_failed`.
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// HTTP status of the request.
    pub result: i32,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<AuditEvent> for AuditEventView {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id,
            actor_type: e.actor_type,
            actor_id: e.actor_id,
            organisation_id: e.organisation_id,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            result: e.result,
            reason: e.reason,
            request_id: e.request_id,
            created_at: utc(e.created_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub actor_id: Option<String>,
    pub organisation_id: Option<String>,
    /// Exact action, such as `application.read`.
    pub action: Option<String>,
    pub target_id: Option<String>,
    /// Only events at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
}

/// List audit events
///
/// The append-only trail of staff, admin, API-client and authentication activity, newest first. This
/// list is itself audited, with its filters.
#[utoipa::path(
    tag = "admin",
    operation_id = "listAuditEvents",
    security(("bearer" = [])),
    params(AuditQuery, PageParams),
    responses((status = 200, description = "A page of audit events.", body = Page<AuditEventView>))
)]
#[get("/admin/audit-events")]
pub async fn list_audit_events(
    caller: Admin,
    state: web::Data<AppState>,
    filter: web::Query<AuditQuery>,
    q: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let (limit, after) = (q.limit()?, q.time_cursor()?);
    let f = filter.into_inner();
    let filter = AuditFilter {
        actor_id: f.actor_id,
        organisation_id: f.organisation_id,
        action: f.action,
        target_id: f.target_id,
        since: f.since.map(|t| t.naive_utc()),
    };
    let rows = access::audit_events(&state.db, caller, filter, after, limit + 1).await?;
    Ok(HttpResponse::Ok().json(page(
        rows,
        limit,
        |e| (time_key(e.created_at), e.id.clone()),
        AuditEventView::from,
    )))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccessLogEntry {
    pub organisation_id: Option<String>,
    /// In the language asked for.
    pub organisation_name: Option<String>,
    /// `officer`, `supervisor` or `api_client`.
    pub actor_role: String,
    pub action: String,
    pub target_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Who accessed the caller's data
///
/// Reads and changes of the caller's applications and documents by staff and API clients, newest first.
#[utoipa::path(
    tag = "me",
    operation_id = "listMyAccessLog",
    security(("bearer" = [])),
    params(PageParams, ("lang" = Option<String>, Query, description = "Language of organisation names")),
    responses((status = 200, description = "A page of accesses.", body = Page<AccessLogEntry>))
)]
#[get("/me/access-log")]
pub async fn list_my_access_log(
    caller: Resident,
    state: web::Data<AppState>,
    lang: Lang,
    q: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let (limit, after) = (q.limit()?, q.time_cursor()?);
    let rows = access::access_log(&state.db, caller, after, limit + 1).await?;
    let locale = lang.0;
    let body = page(
        rows,
        limit,
        |e| (time_key(e.created_at), e.id.clone()),
        |e: AccessEntry| AccessLogEntry {
            organisation_name: e.organisation_name.map(|t| t.get(locale).to_owned()),
            actor_role: e.actor_role,
            organisation_id: e.organisation_id,
            action: e.action,
            target_id: e.target_id,
            created_at: utc(e.created_at),
        },
    );
    let mut res = HttpResponse::Ok();
    lang.mark(&mut res);
    Ok(res.json(body))
}
