//! A resident's applications over HTTP: draft, edit, submit, withdraw, follow. Rules live in
//! `app::applications`; the caller is a `Resident`, extracted before anything else is read.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api::pagination::{Page, PageParams, page, time_key};
use crate::app::applications::{self as applications, NewApplication};
use crate::app::caller::Resident;
use crate::app::precondition::{IfMatch, etag};
use crate::db::types::utc;
use crate::domain::status::ApplicationStatus;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::json::Json;
use crate::idempotency::{Create, Created};
use crate::state::AppState;
use crate::store::applications::{Application, Event, ResidentFilter};

/// An application as its resident sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApplicationView {
    pub id: String,
    /// Human reference such as `HQ-2026-000123`; unique and never reused.
    pub reference: String,
    /// `draft`, `submitted`, `in_review`, `needs_info`, `approved`, `rejected` or `withdrawn`.
    pub status: String,
    pub service_id: String,
    /// The form version the application is judged against.
    pub service_version: i32,
    pub organisation_id: String,
    #[schema(value_type = Object)]
    pub form_data: Value,
    /// Staff member handling it (organisation views only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<String>,
    /// End of the service-level target, counted in working days from submission.
    pub due_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    /// When the decision was taken (approved or rejected applications; they never change afterwards).
    pub decided_at: Option<DateTime<Utc>>,
    /// Changes with every change of form data, status, assignee or documents; the ETag is `"<version>"`.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ApplicationView {
    pub fn new(a: Application, with_assignee: bool) -> Self {
        let decided = matches!(a.status, ApplicationStatus::Approved | ApplicationStatus::Rejected);
        Self {
            decided_at: decided.then(|| utc(a.updated_at)),
            form_data: a.form_data.into(),
            id: a.id,
            reference: a.reference,
            status: a.status.as_str().to_owned(),
            service_id: a.service_id,
            service_version: a.service_version,
            organisation_id: a.organisation_id,
            assignee_id: if with_assignee { a.assignee_id } else { None },
            due_at: a.due_at.map(utc),
            decision_reason: a.decision_reason,
            submitted_at: a.submitted_at.map(utc),
            version: a.version,
            created_at: utc(a.created_at),
            updated_at: utc(a.updated_at),
        }
    }
}

/// A single application with its ETag.
pub fn respond(a: Application, with_assignee: bool) -> HttpResponse {
    HttpResponse::Ok().insert_header(("ETag", etag(a.version))).json(ApplicationView::new(a, with_assignee))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"service_id": "0193a1c2-7b1c-7608-88ad-7c94b44a700f",
    "form_data": {"full_name": "Chan Tai Man", "macao_id": "1234567(3)", "travel_date": "2026-12-20"}, "submit": true}))]
pub struct CreateApplication {
    pub service_id: String,
    /// Values keyed by field key. Drafts are checked for types and unknown fields only.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub form_data: Value,
    /// Submit at once: only for services that need no documents.
    #[serde(default)]
    pub submit: bool,
}

/// Create an application
///
/// Creates a draft for the service's live form version, or submits it at once with `submit: true`.
#[utoipa::path(
    tag = "applications",
    operation_id = "createApplication",
    security(("bearer" = [])),
    request_body = CreateApplication,
    responses(
        (status = 201, description = "The application.", body = ApplicationView,
            headers(("Location" = String, description = "URL of the application"), ("ETag" = String, description = "Current version"))),
        (status = 409, description = "An idempotent duplicate is still being processed, or the resident has as many open drafts as they may (`draft_limit_reached`).", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "Unknown service or invalid form data, one entry per field.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[post("/applications")]
pub async fn create_application(
    caller: Resident,
    state: web::Data<AppState>,
    body: Json<CreateApplication>,
    create: Create,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let input =
        NewApplication { service_id: body.service_id, form_data: body.form_data, submit: body.submit };
    create.run(|record| applications::create(&state, caller, input, record, application_created)).await
}

fn application_created(app: &Application) -> ApiResult<Created> {
    Created::new(
        format!("/v1/applications/{}", app.id),
        Some(etag(app.version)),
        &ApplicationView::new(app.clone(), false),
    )
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// Only applications in this status.
    pub status: Option<String>,
    pub service_id: Option<String>,
    /// Only applications changed at or after this time (RFC 3339), for syncing.
    pub updated_since: Option<DateTime<Utc>>,
}

pub fn parse_status_filter(s: &Option<String>) -> ApiResult<Option<ApplicationStatus>> {
    match s {
        None => Ok(None),
        Some(v) => ApplicationStatus::parse(v).map(Some).ok_or_else(|| {
            ApiError::field("status", "invalid_option", "status must be one of draft, submitted, in_review, needs_info, approved, rejected, withdrawn")
        }),
    }
}

pub fn since(t: Option<DateTime<Utc>>) -> Option<NaiveDateTime> {
    t.map(|t| t.naive_utc())
}

/// List the caller's applications
///
/// Newest first. `updated_since` returns what changed since a previous sync.
#[utoipa::path(
    tag = "applications",
    operation_id = "listMyApplications",
    security(("bearer" = [])),
    params(ApplicationQuery, PageParams),
    responses((status = 200, description = "A page of applications.", body = Page<ApplicationView>))
)]
#[get("/applications")]
pub async fn list_my_applications(
    caller: Resident,
    state: web::Data<AppState>,
    filter: web::Query<ApplicationQuery>,
    q: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let (limit, after) = (q.limit()?, q.time_cursor()?);
    let filter = filter.into_inner();
    let f = ResidentFilter {
        status: parse_status_filter(&filter.status)?,
        service_id: filter.service_id,
        updated_since: since(filter.updated_since),
    };
    let rows = applications::list(&state.db, caller, f, after, limit + 1).await?;
    let body =
        page(rows, limit, |a| (time_key(a.created_at), a.id.clone()), |a| ApplicationView::new(a, false));
    Ok(HttpResponse::Ok().json(body))
}

/// Get one of the caller's applications
///
/// The `ETag` header carries the version to send back in `If-Match` when changing it.
#[utoipa::path(
    tag = "applications",
    operation_id = "getApplication",
    security(("bearer" = [])),
    params(("application_id" = String, Path, description = "Application id")),
    responses(
        (status = 200, description = "The application.", body = ApplicationView,
            headers(("ETag" = String, description = "Current version, for If-Match"))),
        (status = 404, description = "No such application of the caller.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/applications/{application_id}")]
pub async fn get_application(
    caller: Resident,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(respond(applications::get(&state.db, caller, path.into_inner()).await?, false))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateApplication {
    /// Replaces the stored form data as a whole.
    #[schema(value_type = Object)]
    pub form_data: Value,
}

/// Replace the form data of a draft or of an application that needs information
///
/// `form_data` replaces the stored data as a whole and is checked for types and unknown fields; required fields are enforced at submission. `If-Match` is required.
#[utoipa::path(
    tag = "applications",
    operation_id = "updateApplication",
    security(("bearer" = [])),
    params(("application_id" = String, Path, description = "Application id"),
        ("If-Match" = String, Header, description = "The ETag last read; required")),
    request_body = UpdateApplication,
    responses(
        (status = 200, description = "The updated application.", body = ApplicationView,
            headers(("ETag" = String, description = "New version"))),
        (status = 404, description = "No such application of the caller.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The application is no longer editable.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The application changed since it was read.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid form data.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/applications/{application_id}")]
pub async fn update_application(
    caller: Resident,
    state: web::Data<AppState>,
    if_match: IfMatch,
    path: web::Path<String>,
    body: Result<Json<UpdateApplication>, ApiError>,
) -> ApiResult<HttpResponse> {
    let form_data = body.map(|b| b.0.form_data);
    let app = applications::update(&state.db, caller, path.into_inner(), if_match, form_data).await?;
    Ok(respond(app, false))
}

/// Submit a draft, or resubmit an application that needed information
///
/// Every missing required field (`form_data.<key>`) and document (`documents.<kind>`) is listed in one 422.
#[utoipa::path(
    tag = "applications",
    operation_id = "submitApplication",
    security(("bearer" = [])),
    params(("application_id" = String, Path, description = "Application id"),
        ("If-Match" = Option<String>, Header, description = "Honoured when present")),
    responses(
        (status = 200, description = "The submitted application.", body = ApplicationView,
            headers(("ETag" = String, description = "New version"))),
        (status = 404, description = "No such application of the caller.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_transition`: not a draft or awaiting information.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The application changed since it was read.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing fields or documents.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/applications/{application_id}/submit")]
pub async fn submit_application(
    caller: Resident,
    state: web::Data<AppState>,
    if_match: IfMatch,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(respond(applications::submit(&state.db, caller, path.into_inner(), if_match).await?, false))
}

/// Withdraw an application that is not decided yet
///
/// Allowed from `draft`, `submitted` and `needs_info`. `If-Match` is honoured when present.
#[utoipa::path(
    tag = "applications",
    operation_id = "withdrawApplication",
    security(("bearer" = [])),
    params(("application_id" = String, Path, description = "Application id"),
        ("If-Match" = Option<String>, Header, description = "Honoured when present")),
    responses(
        (status = 200, description = "The withdrawn application.", body = ApplicationView,
            headers(("ETag" = String, description = "New version"))),
        (status = 404, description = "No such application of the caller.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_transition`: in review or decided.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The application changed since it was read.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/applications/{application_id}/withdraw")]
pub async fn withdraw_application(
    caller: Resident,
    state: web::Data<AppState>,
    if_match: IfMatch,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(respond(applications::withdraw(&state.db, caller, path.into_inner(), if_match).await?, false))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventView {
    pub id: String,
    /// `create`, `submit`, `resubmit`, `start_review`, `request_info`, `approve`, `reject`, `withdraw`, `note`.
    pub action: String,
    /// `resident`, `staff` or `api_client`.
    pub actor_type: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Event> for EventView {
    fn from(e: Event) -> Self {
        Self {
            id: e.id,
            action: e.action,
            actor_type: e.actor_type,
            from_status: e.from_status.map(String::from),
            to_status: e.to_status.map(String::from),
            comment: e.comment,
            created_at: utc(e.created_at),
        }
    }
}

/// List the history of one of the caller's applications
///
/// Oldest first; internal notes of the organisation are not shown.
#[utoipa::path(
    tag = "applications",
    operation_id = "listApplicationEvents",
    security(("bearer" = [])),
    params(("application_id" = String, Path, description = "Application id"), PageParams),
    responses(
        (status = 200, description = "A page of events.", body = Page<EventView>),
        (status = 404, description = "No such application of the caller.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/applications/{application_id}/events")]
pub async fn list_application_events(
    caller: Resident,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let (limit, after) = (q.limit()?, q.time_cursor()?);
    let rows = applications::events(&state.db, caller, path.into_inner(), after, limit + 1).await?;
    Ok(HttpResponse::Ok().json(page(
        rows,
        limit,
        |e| (time_key(e.created_at), e.id.clone()),
        EventView::from,
    )))
}
