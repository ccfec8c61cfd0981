//! The caller's own account: profile, password, sessions, identity documents, export and erasure.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::pagination::{Page, PageParams, page, time_key};
use crate::app::caller::{Person, Resident};
use crate::app::identity_documents::{self as iddocs, NewIdentityDocument};
use crate::app::me::{self, PasswordChange, ProfileChanges};
use crate::audit::AuditTrail;
use crate::context::RequestContext;
use crate::db::types::utc;
use crate::error::{ApiResult, Problem};
use crate::http::json::Json;
use crate::idempotency::{Create, Created};
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::identity_documents::IdentityDocument;

/// The caller's profile.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub id: String,
    /// `resident`, `officer`, `supervisor` or `admin`.
    pub role: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Whether `email` was proven with a code (or provisioned by an administrator); password reset codes
    /// go only to verified contacts.
    pub email_verified: bool,
    pub phone_verified: bool,
    pub full_name: String,
    pub preferred_language: String,
    /// The organisation of staff; null for residents and admins.
    pub organisation_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Account> for Me {
    fn from(a: Account) -> Self {
        Me {
            id: a.id,
            role: a.role.into(),
            email_verified: a.email.is_some() && a.email_verified,
            phone_verified: a.phone.is_some() && a.phone_verified,
            email: a.email,
            phone: a.phone,
            full_name: a.full_name,
            preferred_language: a.preferred_language,
            organisation_id: a.organisation_id,
            created_at: utc(a.created_at),
            updated_at: utc(a.updated_at),
        }
    }
}

/// Get the caller's profile
///
/// Residents, staff and admins alike; API clients get 403.
#[utoipa::path(
    tag = "me",
    operation_id = "getMe",
    security(("bearer" = [])),
    responses((status = 200, description = "The profile.", body = Me))
)]
#[get("/me")]
pub async fn get_me(caller: Person, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Me::from(me::get(&state.db, caller).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"full_name": "陳大文", "preferred_language": "pt"}))]
pub struct UpdateMe {
    pub full_name: Option<String>,
    pub preferred_language: Option<String>,
    /// Only the account's current email is accepted; change it with `requestContactChange`.
    #[schema(deprecated)]
    pub email: Option<String>,
    /// Only the account's current phone number is accepted; change it with `requestContactChange`.
    #[schema(deprecated)]
    pub phone: Option<String>,
}

/// Change the caller's name or language
///
/// Fields left out stay as they are. Contacts change only with `requestContactChange`: an `email` or
/// `phone` other than the account's own is refused with 422 (`contact_change_required` in `errors`).
#[utoipa::path(
    tag = "me",
    operation_id = "updateMe",
    security(("bearer" = [])),
    request_body = UpdateMe,
    responses(
        (status = 200, description = "The updated profile.", body = Me),
        (status = 422, description = "Invalid fields, or a contact change (`contact_change_required`).",
            body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/me")]
pub async fn update_me(
    caller: Person,
    state: web::Data<AppState>,
    trail: AuditTrail,
    body: Json<UpdateMe>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let changes = ProfileChanges {
        full_name: b.full_name,
        preferred_language: b.preferred_language,
        email: b.email,
        phone: b.phone,
    };
    Ok(HttpResponse::Ok().json(Me::from(me::update(&state.db, caller, changes, trail).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePassword {
    #[schema(value_type = String)]
    pub current_password: crate::config::Secret,
    #[schema(value_type = String)]
    pub new_password: crate::config::Secret,
}

/// Change the caller's password
///
/// Ends every other session of the account at once; the session making the call stays open.
#[utoipa::path(
    tag = "me",
    operation_id = "changePassword",
    security(("bearer" = [])),
    request_body = ChangePassword,
    responses(
        (status = 204, description = "The password was changed."),
        (status = 422, description = "Wrong current password or unacceptable new one.", body = Problem,
            content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong current passwords, counted with the account's \
            logins (`rate_limited`); see `Retry-After`.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[put("/me/password")]
pub async fn change_password(
    caller: Person,
    state: web::Data<AppState>,
    ctx: RequestContext,
    body: Json<ChangePassword>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let change = PasswordChange { current_password: b.current_password, new_password: b.new_password };
    me::change_password(&state, caller, ctx, change).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub user_agent: String,
    pub ip: String,
    /// True for the session of the token making this request.
    pub current: bool,
}

/// List the caller's open sessions
///
/// Each login is a session; `current` marks the one making the request.
#[utoipa::path(
    tag = "me",
    operation_id = "listSessions",
    security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, description = "Open sessions, newest first.", body = Page<SessionView>))
)]
#[get("/me/sessions")]
pub async fn list_sessions(
    caller: Person,
    state: web::Data<AppState>,
    q: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let (limit, after) = (q.limit()?, q.time_cursor()?);
    let current = caller.session_id.clone();
    let rows = me::sessions(&state.db, caller, after, limit + 1).await?;
    let body = page(
        rows,
        limit,
        |s| (time_key(s.created_at), s.id.clone()),
        |s| SessionView {
            current: current.as_deref() == Some(s.id.as_str()),
            id: s.id,
            created_at: utc(s.created_at),
            last_used_at: utc(s.last_used_at),
            expires_at: utc(s.expires_at),
            user_agent: s.user_agent,
            ip: s.ip,
        },
    );
    Ok(HttpResponse::Ok().json(body))
}

/// End one of the caller's sessions
///
/// Its refresh token stops working at once and its access tokens within seconds on every instance.
#[utoipa::path(
    tag = "me",
    operation_id = "revokeSession",
    security(("bearer" = [])),
    params(("session_id" = String, Path, description = "Session id")),
    responses(
        (status = 204, description = "The session has ended."),
        (status = 404, description = "No such open session of the caller.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[delete("/me/sessions/{session_id}")]
pub async fn revoke_session(
    caller: Person,
    state: web::Data<AppState>,
    trail: AuditTrail,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    me::revoke_session(&state, caller, path.into_inner(), trail).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"kind": "macao_id", "number": "1234567(8)", "expires_on": "2031-05-01"}))]
pub struct AddIdentityDocument {
    /// `macao_id`, `mainland_travel_permit`, `mainland_id` or `residence_permit`.
    pub kind: String,
    pub number: String,
    /// ISO date (YYYY-MM-DD).
    pub expires_on: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IdentityDocumentView {
    pub id: String,
    pub kind: String,
    /// The full number: only the owner ever sees it unmasked.
    pub number: String,
    pub expires_on: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<IdentityDocument> for IdentityDocumentView {
    fn from(d: IdentityDocument) -> Self {
        Self {
            id: d.id,
            kind: d.kind,
            number: d.number,
            expires_on: d.expires_on,
            created_at: utc(d.created_at),
        }
    }
}

/// Add an identity document to the caller's account
///
/// Numbers are checked by format and, for the mainland kinds, by their ISO 7064 check character.
#[utoipa::path(
    tag = "me",
    operation_id = "addIdentityDocument",
    security(("bearer" = [])),
    request_body = AddIdentityDocument,
    responses(
        (status = 201, description = "The document was added.", body = IdentityDocumentView,
            headers(("Location" = String, description = "URL of the document list"))),
        (status = 409, description = "The caller already has this document.", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "Invalid kind, number or date.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[post("/me/identity-documents")]
pub async fn add_identity_document(
    caller: Resident,
    state: web::Data<AppState>,
    trail: AuditTrail,
    body: Json<AddIdentityDocument>,
    create: Create,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let input = NewIdentityDocument { kind: b.kind, number: b.number, expires_on: b.expires_on };
    create.run(|record| iddocs::add(&state.db, caller, input, record, trail, document_added)).await
}

fn document_added(doc: &IdentityDocument) -> ApiResult<Created> {
    Created::new("/v1/me/identity-documents".into(), None, &IdentityDocumentView::from(doc.clone()))
}

/// List the caller's identity documents
///
/// The owner sees the full numbers; nobody else can list them.
#[utoipa::path(
    tag = "me",
    operation_id = "listIdentityDocuments",
    security(("bearer" = [])),
    responses((status = 200, description = "The documents, oldest first.", body = Page<IdentityDocumentView>))
)]
#[get("/me/identity-documents")]
pub async fn list_identity_documents(
    caller: Resident,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let items = iddocs::list(&state.db, caller).await?.into_iter().map(IdentityDocumentView::from).collect();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: None }))
}
