//! Who looked at what: the admin's audit trail and the resident's own access log.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::pagination::{Page, PageParams, page, time_key};
use crate::audit::{Audit, audited};
use crate::auth::Principal;
use crate::context::RequestContext;
use crate::db::schema::{accounts as acc, audit_events as au, organisations as o};
use crate::db::types::utc;
use crate::domain::locale::LocalizedText;
use crate::error::ApiResult;
use crate::http::language::Lang;
use crate::state::AppState;
use crate::store::audit::AuditEvent;

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
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    filter: web::Query<AuditQuery>,
    q: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    p.admin()?;
    let f = filter.into_inner();
    let described = format!(
        "actor_id={};organisation_id={};action={};target_id={}",
        f.actor_id.as_deref().unwrap_or(""),
        f.organisation_id.as_deref().unwrap_or(""),
        f.action.as_deref().unwrap_or(""),
        f.target_id.as_deref().unwrap_or("")
    );
    let audit = Audit::by(&p, &ctx, "audit.list").target("query", &described);
    audited(state.clone(), audit.clone(), async move {
        let (limit, after) = (q.limit()?, q.time_cursor()?);
        let rows: Vec<AuditEvent> = state
            .db
            .write(move |conn| {
                let mut query = au::table.into_boxed();
                if let Some(v) = f.actor_id {
                    query = query.filter(au::actor_id.eq(v));
                }
                if let Some(v) = f.organisation_id {
                    query = query.filter(au::organisation_id.eq(v));
                }
                if let Some(v) = f.action {
                    query = query.filter(au::action.eq(v));
                }
                if let Some(v) = f.target_id {
                    query = query.filter(au::target_id.eq(v));
                }
                if let Some(t) = f.since {
                    query = query.filter(au::created_at.ge(t.naive_utc()));
                }
                if let Some((at, id)) = after {
                    query = query.filter(au::created_at.le(at).and(au::created_at.lt(at).or(au::id.lt(id))));
                }
                let rows = query.order((au::created_at.desc(), au::id.desc())).limit(limit + 1).load(conn)?;
                audit.write(conn)?;
                Ok(rows)
            })
            .await?;
        Ok(HttpResponse::Ok().json(page(
            rows,
            limit,
            |e| (time_key(e.created_at), e.id.clone()),
            AuditEventView::from,
        )))
    })
    .await
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
    state: web::Data<AppState>,
    p: Principal,
    lang: Lang,
    q: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let me = p.resident()?.to_owned();
    let (limit, after) = (q.limit()?, q.time_cursor()?);
    type Row = (AuditEvent, Option<String>, Option<String>);
    let rows: Vec<Row> = state
        .db
        .run(move |conn| {
            let mut query = au::table
                .left_join(o::table.on(au::organisation_id.eq(o::id.nullable())))
                .left_join(acc::table.on(au::actor_id.eq(acc::id.nullable())))
                .filter(au::subject_account_id.eq(&me))
                .filter(au::actor_type.eq_any(["staff", "api_client"]))
                .select((au::all_columns, o::name.nullable(), acc::role.nullable()))
                .into_boxed();
            if let Some((at, id)) = after {
                query = query.filter(au::created_at.le(at).and(au::created_at.lt(at).or(au::id.lt(id))));
            }
            Ok(query.order((au::created_at.desc(), au::id.desc())).limit(limit + 1).load(conn)?)
        })
        .await?;
    let locale = lang.0;
    let body = page(
        rows,
        limit,
        |(e, _, _)| (time_key(e.created_at), e.id.clone()),
        |(e, org_name, role)| AccessLogEntry {
            organisation_name: org_name
                .and_then(|n| serde_json::from_str::<LocalizedText>(&n).ok())
                .map(|t| t.get(locale).to_owned()),
            actor_role: if e.actor_type == "api_client" {
                "api_client".into()
            } else {
                role.unwrap_or_else(|| "staff".into())
            },
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
