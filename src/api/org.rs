//! The organisation side: staff and API clients work through their organisation's applications. Every
//! read and change is audited, refused ones included.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::applications::{ApplicationView, parse_status_filter, since};
use crate::api::documents::{DocumentInfo, serve};
use crate::api::pagination::{Page, PageParams, page, time_key};
use crate::audit::{Audit, audited};
use crate::auth::{Principal, Role};
use crate::context::RequestContext;
use crate::db::DbConn;
use crate::db::schema::accounts as acc;
use crate::db::types::{new_id, now};
use crate::domain::FieldError;
use crate::domain::status::{Action, transition};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::etag::{IfMatch, etag};
use crate::http::json::Json;
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::applications::{self as store, Application, Event, QueueFilter};
use crate::workflow::{self, Actor};

const READ: &str = "applications:read";
const WRITE: &str = "applications:write";

fn actor(p: &Principal) -> Actor {
    Actor { actor_type: p.role.actor_type(), id: p.id.clone() }
}

/// An application as its organisation sees it, with its documents.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrgApplicationView {
    #[serde(flatten)]
    pub application: ApplicationView,
    pub documents: Vec<DocumentInfo>,
}

fn org_view(conn: &mut DbConn, app: Application) -> ApiResult<OrgApplicationView> {
    let documents = store::list_documents(conn, &app.id)?.into_iter().map(DocumentInfo::from).collect();
    Ok(OrgApplicationView { application: ApplicationView::new(app, true), documents })
}

fn respond(view: OrgApplicationView) -> HttpResponse {
    HttpResponse::Ok().insert_header(("ETag", etag(view.application.version))).json(view)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Comma-separated statuses, such as `submitted,in_review`.
    pub status: Option<String>,
    /// A staff id, `me`, or `none` for unassigned applications.
    pub assignee: Option<String>,
    pub service_id: Option<String>,
    /// Only applications changed at or after this time (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
}

/// List the organisation's applications
///
/// Submitted applications of the caller's organisation, earliest due date first. Drafts are never shown.
/// Needs `applications:read` for API clients.
#[utoipa::path(
    tag = "organisation",
    operation_id = "listOrgApplications",
    security(("bearer" = [])),
    params(QueueQuery, PageParams, ("X-Audit-Reason" = Option<String>, Header, description = "Why (percent-encoded UTF-8, at most 500 characters)")),
    responses((status = 200, description = "A page of applications.", body = Page<ApplicationView>))
)]
#[get("/org/applications")]
pub async fn list_org_applications(
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    filter: web::Query<QueueQuery>,
    q: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let filters = format!(
        "status={};assignee={};service_id={}",
        filter.status.as_deref().unwrap_or(""),
        filter.assignee.as_deref().unwrap_or(""),
        filter.service_id.as_deref().unwrap_or("")
    );
    let audit = Audit::by(&p, &ctx, "application.list").target("query", &filters);
    audited(state.clone(), audit.clone(), async move {
        let org = p.organisation(READ)?.to_owned();
        let (limit, after) = (q.limit()?, q.time_cursor()?);
        let mut statuses = Vec::new();
        for s in filter.status.as_deref().unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if let Some(v) = parse_status_filter(&Some(s.to_owned()))? {
                statuses.push(v);
            }
        }
        let assignee = match filter.assignee.as_deref() {
            None => None,
            Some("none") => Some(None),
            Some("me") => Some(Some(p.id.clone())),
            Some(id) => Some(Some(id.to_owned())),
        };
        let f = QueueFilter {
            statuses,
            assignee,
            service_id: filter.service_id.clone(),
            updated_since: since(filter.updated_since),
        };
        let rows = state
            .db
            .write(move |conn| {
                let rows = store::queue(conn, &org, f, after, limit + 1)?;
                audit.write(conn)?;
                Ok(rows)
            })
            .await?;
        let body = page(
            rows,
            limit,
            |a| (time_key(a.due_at.unwrap_or(a.created_at)), a.id.clone()),
            |a| ApplicationView::new(a, true),
        );
        Ok(HttpResponse::Ok().json(body))
    })
    .await
}

/// Get one of the organisation's applications
///
/// With its form data, assignee and documents; the read is audited with the `X-Audit-Reason` given.
#[utoipa::path(
    tag = "organisation",
    operation_id = "getOrgApplication",
    security(("bearer" = [])),
    params(("application_id" = String, Path, description = "Application id"),
        ("X-Audit-Reason" = Option<String>, Header, description = "Why (percent-encoded UTF-8, at most 500 characters)")),
    responses(
        (status = 200, description = "The application.", body = OrgApplicationView, headers(("ETag" = String, description = "Current version"))),
        (status = 404, description = "No such application in the caller's organisation.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/org/applications/{application_id}")]
pub async fn get_org_application(
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let audit = Audit::by(&p, &ctx, "application.read").target("application", &id);
    audited(state.clone(), audit.clone(), async move {
        let org = p.organisation(READ)?.to_owned();
        let view = state
            .db
            .write(move |conn| {
                let app = store::find_for_organisation(conn, &id, &org)?;
                audit.subject(&app.resident_id).write(conn)?;
                org_view(conn, app)
            })
            .await?;
        Ok(respond(view))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignRequest {
    /// A staff member of the organisation; omitted means the caller.
    pub assignee_id: Option<String>,
}

fn staff_of(conn: &mut DbConn, id: &str, org: &str) -> QueryResult<Option<Account>> {
    acc::table
        .find(id)
        .filter(acc::organisation_id.eq(org))
        .filter(acc::role.eq_any(["officer", "supervisor"]))
        .filter(acc::status.eq(accounts::ACTIVE))
        .first(conn)
        .optional()
}

/// Assign an application
///
/// Officers take applications for themselves; supervisors and API clients assign anyone of the
/// organisation's staff. `If-Match` is honoured when present.
#[utoipa::path(
    tag = "organisation",
    operation_id = "assignApplication",
    security(("bearer" = [])),
    params(("application_id" = String, Path, description = "Application id"),
        ("If-Match" = Option<String>, Header, description = "Honoured when present"),
        ("X-Audit-Reason" = Option<String>, Header, description = "Why (percent-encoded UTF-8, at most 500 characters)")),
    request_body = AssignRequest,
    responses(
        (status = 200, description = "The assigned application.", body = OrgApplicationView, headers(("ETag" = String, description = "New version"))),
        (status = 403, description = "Officers may only take applications for themselves.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application in the caller's organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The application is decided or withdrawn.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The application changed since it was read.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The assignee is not staff of the organisation.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/org/applications/{application_id}/assign")]
pub async fn assign_application(
    req: HttpRequest,
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    path: web::Path<String>,
    body: Json<AssignRequest>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let if_match = IfMatch::from_request(&req);
    let audit = Audit::by(&p, &ctx, "application.assign").target("application", &id);
    let act = actor(&p);
    let (role, caller) = (p.role, p.id.clone());
    let requested = body.0.assignee_id;
    audited(state.clone(), audit.clone(), async move {
        let org = p.organisation(WRITE)?.to_owned();
        let view = state
            .db
            .write(move |conn| {
                let app = store::find_for_organisation(conn, &id, &org)?;
                let assignee = match (requested, role) {
                    (Some(a), _) => a,
                    (None, Role::Client) => {
                        return Err(ApiError::field(
                            "assignee_id",
                            "required",
                            "API clients must name the assignee",
                        ));
                    }
                    (None, _) => caller.clone(),
                };
                if role == Role::Officer
                    && (assignee != caller || app.assignee_id.as_deref().is_some_and(|a| a != caller))
                {
                    return Err(ApiError::forbidden(
                        "officers may only take unassigned applications, for themselves",
                    ));
                }
                if_match.check(app.version, false)?;
                if workflow::status_of(&app)?.is_terminal() {
                    return Err(ApiError::conflict(
                        "conflict",
                        "a decided or withdrawn application cannot be assigned",
                    ));
                }
                if staff_of(conn, &assignee, &org)?.is_none() {
                    return Err(ApiError::field(
                        "assignee_id",
                        "unknown",
                        "not an active staff member of this organisation",
                    ));
                }
                let mut next = app.clone();
                next.assignee_id = Some(assignee.clone());
                next.version += 1;
                next.updated_at = now();
                if !store::save_if_version(conn, &next, app.version)? {
                    return Err(ApiError::precondition_failed());
                }
                store::insert_event(
                    conn,
                    &Event {
                        id: new_id(),
                        application_id: app.id.clone(),
                        actor_type: act.actor_type.into(),
                        actor_id: Some(act.id.clone()),
                        action: "assign".into(),
                        from_status: None,
                        to_status: None,
                        comment: Some(assignee.clone()),
                        visible_to_resident: false,
                        created_at: next.updated_at,
                    },
                )?;
                audit.subject(&app.resident_id).write(conn)?;
                org_view(conn, next)
            })
            .await?;
        Ok(respond(view))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"action": "request_info", "comment": "請上傳清晰的證件相片。"}))]
pub struct TransitionRequest {
    /// `start_review`, `request_info`, `approve` or `reject`.
    pub action: String,
    /// Required for `request_info` and `reject`; shown to the resident.
    pub comment: Option<String>,
}

/// Move an application through review
///
/// `start_review` (assigns an unassigned application to the caller), `request_info`, `approve`, `reject`.
/// Officers act on applications assigned to them or unassigned; supervisors on any of the organisation's.
/// `If-Match` is required. The resident is notified and a webhook is queued in the same transaction.
#[utoipa::path(
    tag = "organisation",
    operation_id = "transitionApplication",
    security(("bearer" = [])),
    params(("application_id" = String, Path, description = "Application id"),
        ("If-Match" = String, Header, description = "The ETag last read; required"),
        ("X-Audit-Reason" = Option<String>, Header, description = "Why (percent-encoded UTF-8, at most 500 characters)")),
    request_body = TransitionRequest,
    responses(
        (status = 200, description = "The application in its new status.", body = OrgApplicationView, headers(("ETag" = String, description = "New version"))),
        (status = 403, description = "Assigned to another officer.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application in the caller's organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_transition`.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The application changed since it was read.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown action or missing comment.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/org/applications/{application_id}/transition")]
pub async fn transition_application(
    req: HttpRequest,
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    path: web::Path<String>,
    body: Json<TransitionRequest>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let if_match = IfMatch::from_request(&req);
    let body = body.0;
    let audit = Audit::by(&p, &ctx, "application.transition").target("application", &id);
    let act = actor(&p);
    let (role, caller) = (p.role, p.id.clone());
    audited(state.clone(), audit.clone(), async move {
        let org = p.organisation(WRITE)?.to_owned();
        let view = state
            .db
            .write(move |conn| {
                // Order of refusals: not found, not yours to act on, precondition, then the request itself.
                let app = store::find_for_organisation(conn, &id, &org)?;
                if role == Role::Officer && app.assignee_id.as_deref().is_some_and(|a| a != caller) {
                    return Err(ApiError::forbidden("the application is assigned to another officer"));
                }
                if_match.check(app.version, true)?;
                let action = Action::parse(&body.action).filter(|a| !a.by_resident()).ok_or_else(|| {
                    ApiError::field(
                        "action",
                        "invalid_option",
                        "action must be start_review, request_info, approve or reject",
                    )
                })?;
                let comment = body.comment.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
                let from = workflow::status_of(&app)?;
                if transition(from, action).is_err() {
                    return Err(ApiError::conflict(
                        "invalid_transition",
                        format!("cannot {} an application that is {}", action.as_str(), from.as_str()),
                    ));
                }
                if action.needs_comment() && comment.is_none() {
                    return Err(ApiError::validation(vec![FieldError::new(
                        "comment",
                        "required",
                        format!("{} needs a comment for the resident", action.as_str()),
                    )]));
                }
                if comment.as_ref().is_some_and(|c| c.chars().count() > 2000) {
                    return Err(ApiError::field(
                        "comment",
                        "too_long",
                        "comment must be at most 2000 characters",
                    ));
                }
                let next = workflow::apply(conn, &app, action, &act, comment)?;
                audit.subject(&app.resident_id).write(conn)?;
                org_view(conn, next)
            })
            .await?;
        Ok(respond(view))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NoteRequest {
    /// Internal note; residents never see it.
    pub text: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NoteView {
    pub id: String,
    pub application_id: String,
    pub text: String,
    pub author_type: String,
    pub author_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Add an internal note to an application
///
/// Notes do not change the application's version and are never shown to the resident.
#[utoipa::path(
    tag = "organisation",
    operation_id = "addApplicationNote",
    security(("bearer" = [])),
    params(("application_id" = String, Path, description = "Application id"),
        ("X-Audit-Reason" = Option<String>, Header, description = "Why (percent-encoded UTF-8, at most 500 characters)")),
    request_body = NoteRequest,
    responses(
        (status = 201, description = "The note.", body = NoteView, headers(("Location" = String, description = "URL of the application"))),
        (status = 404, description = "No such application in the caller's organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or too long text.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/org/applications/{application_id}/notes")]
pub async fn add_application_note(
    req: HttpRequest,
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    path: web::Path<String>,
    body: Json<NoteRequest>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let audit = Audit::by(&p, &ctx, "application.note").target("application", &id);
    let act = actor(&p);
    let text = body.0.text.trim().to_owned();
    let fp = crate::idempotency::json_fingerprint(&req);
    let owner = p.id.clone();
    let db = state.db.clone();
    audited(state.clone(), audit.clone(), async move {
        let org = p.organisation(WRITE)?.to_owned();
        crate::idempotency::run(&req, &state, &owner, "addApplicationNote", fp, |record| async move {
            db.write(move |conn| {
                let app = store::find_for_organisation(conn, &id, &org)?;
                if text.is_empty() || text.chars().count() > 4000 {
                    return Err(ApiError::field(
                        "text",
                        "invalid_length",
                        "text must be 1 to 4000 characters",
                    ));
                }
                let event = Event {
                    id: new_id(),
                    application_id: app.id.clone(),
                    actor_type: act.actor_type.into(),
                    actor_id: Some(act.id.clone()),
                    action: "note".into(),
                    from_status: None,
                    to_status: None,
                    comment: Some(text),
                    visible_to_resident: false,
                    created_at: now(),
                };
                store::insert_event(conn, &event)?;
                workflow::queue_webhook(
                    conn,
                    &app,
                    "application.note_added",
                    serde_json::json!({"note_id": event.id}),
                )?;
                audit.subject(&app.resident_id).write(conn)?;
                let view = NoteView {
                    id: event.id,
                    application_id: app.id.clone(),
                    text: event.comment.unwrap_or_default(),
                    author_type: event.actor_type,
                    author_id: event.actor_id,
                    created_at: crate::db::types::utc(event.created_at),
                };
                let created = crate::idempotency::Created::new(
                    format!("/v1/org/applications/{}", app.id),
                    None,
                    &view,
                )?;
                created.remember(conn, record.as_ref())?;
                Ok(created)
            })
            .await
        })
        .await
    })
    .await
}

/// Download a document of one of the organisation's applications
#[utoipa::path(
    tag = "organisation",
    operation_id = "downloadOrgDocument",
    security(("bearer" = [])),
    params(("application_id" = String, Path, description = "Application id"), ("document_id" = String, Path, description = "Document id"),
        ("X-Audit-Reason" = Option<String>, Header, description = "Why (percent-encoded UTF-8, at most 500 characters)")),
    responses(
        (status = 200, description = "The file.", content((Vec<u8> = "application/pdf"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/heic"))),
        (status = 404, description = "No such document in the caller's organisation.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/org/applications/{application_id}/documents/{document_id}")]
pub async fn download_org_document(
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (app_id, doc_id) = path.into_inner();
    let audit = Audit::by(&p, &ctx, "document.download").target("document", &doc_id);
    audited(state.clone(), audit.clone(), async move {
        let org = p.organisation(READ)?.to_owned();
        let doc = state
            .db
            .write(move |conn| {
                let app = store::find_for_organisation(conn, &app_id, &org)?;
                let doc = store::find_document(conn, &app_id, &doc_id)?;
                audit.subject(&app.resident_id).write(conn)?;
                Ok(doc)
            })
            .await?;
        serve(&state, doc).await
    })
    .await
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StaffView {
    pub id: String,
    pub full_name: String,
    /// `officer` or `supervisor`.
    pub role: String,
    pub email: Option<String>,
}

/// List the organisation's staff
///
/// Supervisors pick assignees from it.
#[utoipa::path(
    tag = "organisation",
    operation_id = "listOrgStaff",
    security(("bearer" = [])),
    responses((status = 200, description = "Active officers and supervisors of the caller's organisation.", body = Page<StaffView>))
)]
#[get("/org/staff")]
pub async fn list_org_staff(state: web::Data<AppState>, p: Principal) -> ApiResult<HttpResponse> {
    if p.role != Role::Supervisor {
        return Err(ApiError::forbidden("only supervisors list their organisation's staff"));
    }
    let org = p.org.clone().unwrap_or_default();
    let staff: Vec<Account> = state
        .db
        .run(move |conn| {
            Ok(acc::table
                .filter(acc::organisation_id.eq(&org))
                .filter(acc::role.eq_any(["officer", "supervisor"]))
                .filter(acc::status.eq(accounts::ACTIVE))
                .order((acc::full_name.asc(), acc::id.asc()))
                .load(conn)?)
        })
        .await?;
    let items = staff
        .into_iter()
        .map(|a| StaffView { id: a.id, full_name: a.full_name, role: a.role, email: a.email })
        .collect();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: None }))
}
