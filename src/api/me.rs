//! The caller's own account: profile, password, sessions, identity documents, export and erasure.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::check_full_name;
use crate::api::pagination::{Page, PageParams, page, time_key};
use crate::audit::Audit;
use crate::auth::Principal;
use crate::context::RequestContext;
use crate::db::types::{new_id, now, utc};
use crate::domain::FieldError;
use crate::domain::contact::{Email, Phone};
use crate::domain::identity::{IdentityKind, IdentityNumber};
use crate::domain::locale::Locale;
use crate::domain::password::NewPassword;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::json::Json;
use crate::idempotency::{self, Created};
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::identity_documents::{self as iddocs, IdentityDocument};
use crate::store::sessions;

/// The caller's profile.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub id: String,
    /// `resident`, `officer`, `supervisor` or `admin`.
    pub role: String,
    pub email: Option<String>,
    pub phone: Option<String>,
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
            role: a.role,
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
pub async fn get_me(state: web::Data<AppState>, p: Principal) -> ApiResult<HttpResponse> {
    let id = p.account()?.to_owned();
    let account = state.db.run(move |conn| Ok(accounts::find(conn, &id)?)).await?;
    Ok(HttpResponse::Ok().json(Me::from(account)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"full_name": "陳大文", "preferred_language": "pt"}))]
pub struct UpdateMe {
    pub full_name: Option<String>,
    pub preferred_language: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Change the caller's name, language or contacts
///
/// Fields left out stay as they are. An email or phone number used by another account is refused with 409.
#[utoipa::path(
    tag = "me",
    operation_id = "updateMe",
    security(("bearer" = [])),
    request_body = UpdateMe,
    responses(
        (status = 200, description = "The updated profile.", body = Me),
        (status = 409, description = "The email or phone number belongs to another account.", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    body: Json<UpdateMe>,
) -> ApiResult<HttpResponse> {
    let id = p.account()?.to_owned();
    let body = body.0;
    let mut errors = Vec::new();
    let full_name = body.full_name.as_deref().map(|n| check_full_name(n, &mut errors));
    let language = body.preferred_language.as_deref().and_then(|l| {
        let parsed = Locale::parse_tag(l);
        if parsed.is_none() {
            errors.push(FieldError::new(
                "preferred_language",
                "unsupported_language",
                "use zh-Hant, zh-Hans, pt or en",
            ));
        }
        parsed
    });
    let email = body.email.as_deref().and_then(|e| {
        Email::parse(e).map_err(|err| errors.push(FieldError::new("email", err.code(), err.message()))).ok()
    });
    let phone = body.phone.as_deref().and_then(|v| {
        Phone::parse(v).map_err(|err| errors.push(FieldError::new("phone", err.code(), err.message()))).ok()
    });
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let audit = Audit::by(&p, &ctx, "account.update").target("account", &id).subject(&id);
    let account = state
        .db
        .write(move |conn| {
            use crate::db::schema::accounts::dsl as a;
            use diesel::prelude::*;
            for taken in
                [email.as_ref().map(Email::as_str), phone.as_ref().map(Phone::as_str)].into_iter().flatten()
            {
                if accounts::login_taken(conn, taken, Some(&id))? {
                    return Err(ApiError::conflict(
                        crate::error::ErrorCode::LoginTaken,
                        "this email or phone number is already registered",
                    ));
                }
            }
            let mut account = accounts::find(conn, &id)?;
            if let Some(n) = full_name {
                account.full_name = n;
            }
            if let Some(l) = language {
                account.preferred_language = l.as_str().into();
            }
            if let Some(e) = email {
                account.email = Some(e.into_inner());
            }
            if let Some(v) = phone {
                account.phone = Some(v.into_inner());
            }
            account.updated_at = now();
            diesel::update(a::accounts.find(&id))
                .set((
                    a::full_name.eq(&account.full_name),
                    a::preferred_language.eq(&account.preferred_language),
                    a::email.eq(&account.email),
                    a::phone.eq(&account.phone),
                    a::updated_at.eq(account.updated_at),
                ))
                .execute(conn)?;
            audit.write(conn)?;
            Ok(account)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Me::from(account)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
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
    )
)]
#[put("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    body: Json<ChangePassword>,
) -> ApiResult<HttpResponse> {
    let id = p.account()?.to_owned();
    let lookup = id.clone();
    let account = state.db.run(move |conn| Ok(accounts::find(conn, &lookup)?)).await?;
    let mut context = vec![account.full_name.as_str()];
    context.extend(account.email.as_deref().and_then(|e| e.split('@').next()));
    let new = NewPassword::parse(&body.0.new_password, &context)
        .map_err(|e| ApiError::field("new_password", e.code(), e.message()))?;
    if !state.hasher.verify(body.0.current_password, Some(account.password_hash)).await? {
        let audit = Audit::by(&p, &ctx, "auth.password_change_failed").subject(&id).result(422);
        state.db.write(move |conn| Ok(audit.write(conn)?)).await?;
        return Err(ApiError::field("current_password", "wrong_password", "the current password is wrong"));
    }
    let hash = state.hasher.hash(new.expose().to_owned()).await?;
    let keep = p.sid.clone();
    let audit = Audit::by(&p, &ctx, "auth.password_change").target("account", &id).subject(&id);
    let ended = state
        .db
        .write(move |conn| {
            let t = now();
            accounts::set_password(conn, &id, &hash, t)?;
            let ended = sessions::revoke_all(conn, &id, keep.as_deref(), "password_change", t)?;
            audit.write(conn)?;
            Ok(ended)
        })
        .await?;
    state.revocations.add(ended, state.tokens.ttl + std::time::Duration::from_secs(60));
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
    state: web::Data<AppState>,
    p: Principal,
    q: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let id = p.account()?.to_owned();
    let (limit, after) = (q.limit()?, q.time_cursor()?);
    let rows = state.db.run(move |conn| Ok(sessions::list_open(conn, &id, now(), after, limit + 1)?)).await?;
    let current = p.sid.clone();
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
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = p.account()?.to_owned();
    let sid = path.into_inner();
    let audit = Audit::by(&p, &ctx, "auth.session_revoke").target("session", &sid).subject(&id);
    let target = sid.clone();
    let found = state
        .db
        .write(move |conn| Ok(sessions::revoke(conn, &id, &target, "revoked_by_user", now())?))
        .await?;
    if !found {
        let audit = audit.result(404);
        state.db.write(move |conn| Ok(audit.write(conn)?)).await?;
        return Err(ApiError::not_found());
    }
    state.db.write(move |conn| Ok(audit.result(204).write(conn)?)).await?;
    state.revocations.add([sid], state.tokens.ttl + std::time::Duration::from_secs(60));
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
    req: HttpRequest,
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    body: Json<AddIdentityDocument>,
) -> ApiResult<HttpResponse> {
    let owner = p.resident()?.to_owned();
    let body = body.0;
    let mut errors = Vec::new();
    let kind = IdentityKind::parse(&body.kind);
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "invalid_option",
            "kind must be macao_id, mainland_travel_permit, mainland_id or residence_permit",
        ));
    }
    let number = kind.and_then(|k| {
        IdentityNumber::parse(k, &body.number)
            .map_err(|e| errors.push(FieldError::new("number", e.code(), e.message(k))))
            .ok()
    });
    if let Some(raw) = &body.expires_on {
        match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Err(_) => {
                errors.push(FieldError::new("expires_on", "invalid_date", "expires_on must be YYYY-MM-DD"))
            }
            Ok(d) if d < Utc::now().date_naive() => {
                errors.push(FieldError::new("expires_on", "expired", "the document has expired"))
            }
            Ok(_) => {}
        }
    }
    let Some(number) = number.filter(|_| errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let doc = IdentityDocument {
        id: new_id(),
        account_id: owner.clone(),
        kind: number.kind().as_str().into(),
        number: number.as_str().into(),
        expires_on: body.expires_on,
        created_at: now(),
    };
    let audit = Audit::by(&p, &ctx, "identity_document.add")
        .target("identity_document", &doc.id)
        .subject(&owner)
        .result(201);
    let fp = idempotency::json_fingerprint(&req);
    let db = state.db.clone();
    idempotency::run(&req, &state, &owner, "addIdentityDocument", fp, |record| async move {
        db.write(move |conn| {
            iddocs::insert(conn, &doc).map_err(|e| {
                ApiError::unique_or(e, || {
                    ApiError::conflict(
                        crate::error::ErrorCode::AlreadyExists,
                        "this identity document is already on the account",
                    )
                })
            })?;
            audit.write(conn)?;
            let created =
                Created::new("/v1/me/identity-documents".into(), None, &IdentityDocumentView::from(doc))?;
            created.remember(conn, record.as_ref())?;
            Ok(created)
        })
        .await
    })
    .await
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
pub async fn list_identity_documents(state: web::Data<AppState>, p: Principal) -> ApiResult<HttpResponse> {
    let owner = p.resident()?.to_owned();
    let docs = state.db.run(move |conn| Ok(iddocs::list(conn, &owner)?)).await?;
    let items = docs.into_iter().map(IdentityDocumentView::from).collect();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: None }))
}
