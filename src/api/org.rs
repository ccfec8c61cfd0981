//! The organisation side over HTTP: staff and API clients work through their organisation's
//! applications. Rules live in `app::org_applications`; every request here is audited by `api::audit`.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::applications::{ApplicationView, parse_status_filter, since};
use crate::api::documents::{DocumentInfo, FileBytes, serve};
use crate::api::pagination::{Page, PageParams, page, time_key};
use crate::app::caller::{OrgReader, OrgWriter, Supervisor};
use crate::app::org_applications::{self as org, AssignInput, QueueQuery as Query, TransitionInput};
use crate::app::precondition::{IfMatch, etag};
use crate::audit::AuditTrail;
use crate::db::types::utc;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::json::Json;
use crate::idempotency::{Create, Created};
use crate::state::AppState;
use crate::store::applications::{Application, Document, Event};

/// An application as its organisation sees it, with its documents.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrgApplicationView {
    #[serde(flatten)]
    pub application: ApplicationView,
    pub documents: Vec<DocumentInfo>,
}

fn respond((app, documents): (Application, Vec<Document>)) -> HttpResponse {
    let view = OrgApplicationView {
        documents: documents.into_iter().map(DocumentInfo::from).collect(),
        application: ApplicationView::new(app, true),
    };
    HttpResponse::Ok().insert_header(("ETag", etag(view.application.version))).json(view)
}

/// A queue entry: what a worklist shows. The form data, which holds the resident's personal data, is
/// read one application at a time through `getOrgApplication`, so that each such read is audited with
/// the resident as its subject.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrgApplicationSummary {
    pub id: String,
    pub reference: String,
    /// `submitted`, `in_review`, `needs_info`, `approved`, `rejected` or `withdrawn`.
    pub status: String,
    pub service_id: String,
    pub service_version: i32,
    pub organisation_id: String,
    pub assignee_id: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Application> for OrgApplicationSummary {
    fn from(a: Application) -> Self {
        Self {
            id: a.id,
            reference: a.reference,
            status: a.status.as_str().to_owned(),
            service_id: a.service_id,
            service_version: a.service_version,
            organisation_id: a.organisation_id,
            assignee_id: a.assignee_id,
            due_at: a.due_at.map(utc),
            submitted_at: a.submitted_at.map(utc),
            version: a.version,
            created_at: utc(a.created_at),
            updated_at: utc(a.updated_at),
        }
    }
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
/// Entries carry no form data: `getOrgApplication` reads one application whole, audited with its
/// resident. Needs `applications:read` for API clients.
#[utoipa::path(
    tag = "organisation",
    operation_id = "listOrgApplications",
    security(("bearer" = [])),
    params(QueueQuery, PageParams, ("X-Audit-Reason" = Option<String>, Header, description = "Why (percent-encoded UTF-8, at most 500 characters)")),
    responses((status = 200, description = "A page of queue entries, without form data.", body = Page<OrgApplicationSummary>))
)]
#[get("/org/applications")]
pub async fn list_org_applications(
    caller: OrgReader,
    state: web::Data<AppState>,
    filter: web::Query<QueueQuery>,
    q: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let (limit, after) = (q.limit()?, q.time_cursor()?);
    let filter = filter.into_inner();
    let mut statuses = Vec::new();
    for s in filter.status.as_deref().unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
        statuses.extend(parse_status_filter(&Some(s.to_owned()))?);
    }
    let query = Query {
        statuses,
        assignee: filter.assignee,
        service_id: filter.service_id,
        updated_since: since(filter.updated_since),
    };
    let rows = org::queue(&state.db, caller, query, after, limit + 1).await?;
    let body = page(
        rows,
        limit,
        |a| (time_key(a.due_at.unwrap_or(a.created_at)), a.id.clone()),
        OrgApplicationSummary::from,
    );
    Ok(HttpResponse::Ok().json(body))
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
    caller: OrgReader,
    state: web::Data<AppState>,
    trail: AuditTrail,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(respond(org::get(&state.db, caller, path.into_inner(), trail).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignRequest {
    /// A staff member of the organisation; omitted means the caller.
    pub assignee_id: Option<String>,
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
    caller: OrgWriter,
    state: web::Data<AppState>,
    trail: AuditTrail,
    if_match: IfMatch,
    path: web::Path<String>,
    body: Result<Json<AssignRequest>, ApiError>,
) -> ApiResult<HttpResponse> {
    let input = body.map(|b| AssignInput { assignee_id: b.0.assignee_id });
    Ok(respond(org::assign(&state.db, caller, path.into_inner(), if_match, input, trail).await?))
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
    caller: OrgWriter,
    state: web::Data<AppState>,
    trail: AuditTrail,
    if_match: IfMatch,
    path: web::Path<String>,
    body: Result<Json<TransitionRequest>, ApiError>,
) -> ApiResult<HttpResponse> {
    let input = body.map(|b| TransitionInput { action: b.0.action, comment: b.0.comment });
    let id = path.into_inner();
    Ok(respond(
        org::transition_application(&state.db, state.permit_keys.clone(), caller, id, if_match, input, trail)
            .await?,
    ))
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
    caller: OrgWriter,
    state: web::Data<AppState>,
    trail: AuditTrail,
    path: web::Path<String>,
    body: Result<Json<NoteRequest>, ApiError>,
    create: Create,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let text = body.map(|b| b.0.text);
    create.run(|record| org::add_note(&state.db, caller, id, text, record, trail, note_created)).await
}

fn note_created(event: &Event) -> ApiResult<Created> {
    let view = NoteView {
        id: event.id.clone(),
        application_id: event.application_id.clone(),
        text: event.comment.clone().unwrap_or_default(),
        author_type: event.actor_type.clone(),
        author_id: event.actor_id.clone(),
        created_at: utc(event.created_at),
    };
    Created::new(format!("/v1/org/applications/{}", event.application_id), None, &view)
}

/// Download a document of one of the organisation's applications
#[utoipa::path(
    tag = "organisation",
    operation_id = "downloadOrgDocument",
    security(("bearer" = [])),
    params(("application_id" = String, Path, description = "Application id"), ("document_id" = String, Path, description = "Document id"),
        ("X-Audit-Reason" = Option<String>, Header, description = "Why (percent-encoded UTF-8, at most 500 characters)")),
    responses(
        (status = 200, description = "The file.", content((FileBytes = "application/pdf"), (FileBytes = "image/jpeg"), (FileBytes = "image/png"), (FileBytes = "image/heic"))),
        (status = 404, description = "No such document in the caller's organisation.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/org/applications/{application_id}/documents/{document_id}")]
pub async fn download_org_document(
    caller: OrgReader,
    state: web::Data<AppState>,
    trail: AuditTrail,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (application_id, document_id) = path.into_inner();
    let doc = org::document(&state.db, caller, application_id, document_id, trail).await?;
    serve(&state, doc).await
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
pub async fn list_org_staff(caller: Supervisor, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let items = org::staff(&state.db, caller)
        .await?
        .into_iter()
        .map(|a| StaffView { id: a.id, full_name: a.full_name, role: a.role.into(), email: a.email })
        .collect();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: None }))
}
