//! Platform administration: staff accounts and API clients.

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::check_full_name;
use crate::api::me::Me;
use crate::audit::{Audit, audited};
use crate::auth::{Principal, random_token, sha256_hex};
use crate::context::RequestContext;
use crate::db::DbConn;
use crate::db::schema::organisations;
use crate::db::types::{new_id, now, utc};
use crate::domain::FieldError;
use crate::domain::contact::Email;
use crate::domain::password::NewPassword;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::json::Json;
use crate::idempotency::{self, Created};
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::clients::{self, ApiClient};

/// Scopes an API client may hold.
pub const SCOPES: [&str; 3] = ["applications:read", "applications:write", "webhooks:manage"];

fn organisation_exists(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    Ok(organisations::table.find(id).select(organisations::id).first::<String>(conn).optional()?.is_some())
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "officer.lei@hq-entry-exit.example", "password": "Harbour-Lantern-77",
    "full_name": "Lei Ka Man", "role": "officer", "organisation_id": "0193a1c2-7b1c-7608-88ad-7c94b44a700f"}))]
pub struct CreateStaffAccount {
    pub email: String,
    pub password: String,
    pub full_name: String,
    /// `officer`, `supervisor` or `admin`.
    pub role: String,
    /// Required for officers and supervisors; refused for admins, who are platform-wide.
    pub organisation_id: Option<String>,
}

/// Create a staff or admin account
///
/// Officers and supervisors belong to one organisation; admins belong to none. They log in with `login` like everyone else.
#[utoipa::path(
    tag = "admin",
    operation_id = "createStaffAccount",
    security(("bearer" = [])),
    request_body = CreateStaffAccount,
    responses(
        (status = 201, description = "The account was created.", body = Me,
            headers(("Location" = String, description = "URL of the account"))),
        (status = 409, description = "The email is already registered.", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/staff")]
pub async fn create_staff_account(
    req: HttpRequest,
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    body: Json<CreateStaffAccount>,
) -> ApiResult<HttpResponse> {
    p.admin()?;
    let failure = Audit::by(&p, &ctx, "staff.create");
    audited(state.clone(), failure, async move {
        let body = body.0;
        let mut errors = Vec::new();
        let email = Email::parse(&body.email)
            .map_err(|e| errors.push(FieldError::new("email", e.code(), e.message())))
            .ok();
        let full_name = check_full_name(&body.full_name, &mut errors);
        let role = body.role.as_str();
        if !["officer", "supervisor", "admin"].contains(&role) {
            errors.push(FieldError::new(
                "role",
                "invalid_option",
                "role must be officer, supervisor or admin",
            ));
        }
        match (role, &body.organisation_id) {
            ("admin", Some(_)) => errors.push(FieldError::new(
                "organisation_id",
                "not_allowed",
                "admins are platform-wide and belong to no organisation",
            )),
            ("officer" | "supervisor", None) => errors.push(FieldError::new(
                "organisation_id",
                "required",
                "staff belong to one organisation",
            )),
            _ => {}
        }
        let local =
            email.as_ref().map(|e| e.as_str().split('@').next().unwrap_or("").to_owned()).unwrap_or_default();
        let password = NewPassword::parse(&body.password, &[&full_name, &local])
            .map_err(|e| errors.push(FieldError::new("password", e.code(), e.message())))
            .ok();
        let (Some(email), Some(password)) = (email, password) else {
            return Err(ApiError::validation(errors));
        };
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        let hash = state.hasher.hash(password.expose().to_owned()).await?;
        let t = now();
        let account = Account {
            id: new_id(),
            role: role.to_owned(),
            organisation_id: body.organisation_id,
            email: Some(email.into_inner()),
            phone: None,
            password_hash: hash,
            full_name,
            preferred_language: "zh-Hant".into(),
            status: accounts::ACTIVE,
            created_at: t,
            updated_at: t,
        };
        let audit = Audit::by(&p, &ctx, "staff.create").target("account", &account.id).result(201);
        let fp = idempotency::json_fingerprint(&req);
        let db = state.db.clone();
        idempotency::run(&req, &state, &p.id, "createStaffAccount", fp, |record| async move {
            db.write(move |conn| {
                if let Some(org) = &account.organisation_id
                    && !organisation_exists(conn, org)?
                {
                    return Err(ApiError::field("organisation_id", "unknown", "no organisation has this id"));
                }
                if accounts::login_taken(conn, account.email.as_deref().unwrap_or_default(), None)? {
                    return Err(ApiError::conflict(
                        crate::error::ErrorCode::LoginTaken,
                        "this email is already registered",
                    ));
                }
                accounts::insert(conn, &account)?;
                audit.write(conn)?;
                let created =
                    Created::new(format!("/v1/admin/staff/{}", account.id), None, &Me::from(account))?;
                created.remember(conn, record.as_ref())?;
                Ok(created)
            })
            .await
        })
        .await
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"organisation_id": "0193a1c2-7b1c-7608-88ad-7c94b44a700f", "name": "Case system",
    "scopes": ["applications:read", "webhooks:manage"]}))]
pub struct CreateApiClient {
    pub organisation_id: String,
    pub name: String,
    /// Any of `applications:read`, `applications:write`, `webhooks:manage`.
    pub scopes: Vec<String>,
}

/// A new API client. `client_secret` is shown only in this response: store it now.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedApiClient {
    pub id: String,
    pub client_id: String,
    pub client_secret: String,
    pub organisation_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// Create an API client for an organisation
///
/// Returns the client secret once; only its hash is kept.
#[utoipa::path(
    tag = "admin",
    operation_id = "createApiClient",
    security(("bearer" = [])),
    request_body = CreateApiClient,
    responses(
        (status = 201, description = "The client was created.", body = CreatedApiClient,
            headers(("Location" = String, description = "URL of the client"))),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/api-clients")]
pub async fn create_api_client(
    req: HttpRequest,
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    body: Json<CreateApiClient>,
) -> ApiResult<HttpResponse> {
    p.admin()?;
    let failure = Audit::by(&p, &ctx, "api_client.create");
    audited(state.clone(), failure, async move {
        let body = body.0;
        let mut errors = Vec::new();
        let name = body.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(FieldError::new("name", "invalid_length", "name must be 1 to 100 characters"));
        }
        let mut scopes: Vec<String> = Vec::new();
        for (i, s) in body.scopes.iter().enumerate() {
            if !SCOPES.contains(&s.as_str()) {
                errors.push(FieldError::new(
                    format!("scopes[{i}]"),
                    "invalid_option",
                    format!("unknown scope {s:?}"),
                ));
            } else if !scopes.contains(s) {
                scopes.push(s.clone());
            }
        }
        if body.scopes.is_empty() {
            errors.push(FieldError::new("scopes", "required", "give at least one scope"));
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        let secret = format!("qcs_{}", random_token());
        let t = now();
        let client = ApiClient {
            id: new_id(),
            client_id: format!("qac_{}", &uuid::Uuid::now_v7().simple().to_string()[8..]),
            organisation_id: body.organisation_id,
            name,
            secret_hash: sha256_hex(&secret),
            scopes: scopes.join(" "),
            created_at: t,
            updated_at: t,
            revoked_at: None,
        };
        let audit =
            Audit::by(&p, &ctx, "api_client.create").target("api_client", &client.client_id).result(201);
        // A replay returns the same secret, so the stored response holds it until the record is purged
        // (25 hours); without a key nothing but the hash is kept.
        let fp = idempotency::json_fingerprint(&req);
        let db = state.db.clone();
        idempotency::run(&req, &state, &p.id, "createApiClient", fp, |record| async move {
            db.write(move |conn| {
                if !organisation_exists(conn, &client.organisation_id)? {
                    return Err(ApiError::field("organisation_id", "unknown", "no organisation has this id"));
                }
                clients::insert(conn, &client)?;
                audit.write(conn)?;
                let view = CreatedApiClient {
                    id: client.id.clone(),
                    client_id: client.client_id.clone(),
                    client_secret: secret,
                    organisation_id: client.organisation_id.clone(),
                    name: client.name.clone(),
                    scopes,
                    created_at: utc(client.created_at),
                };
                let created = Created::new(format!("/v1/admin/api-clients/{}", client.id), None, &view)?;
                created.remember(conn, record.as_ref())?;
                Ok(created)
            })
            .await
        })
        .await
    })
    .await
}

/// Disable a staff or admin account
///
/// The account can no longer log in and every session it has ends: refresh tokens at once, access tokens
/// within seconds on every instance. Admins cannot disable themselves.
#[utoipa::path(
    tag = "admin",
    operation_id = "disableStaffAccount",
    security(("bearer" = [])),
    params(("account_id" = String, Path, description = "Staff account id")),
    responses(
        (status = 200, description = "The disabled account.", body = Me),
        (status = 404, description = "No such staff account.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Admins cannot disable themselves.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/staff/{account_id}/disable")]
pub async fn disable_staff_account(
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    p.admin()?;
    let id = path.into_inner();
    let audit = Audit::by(&p, &ctx, "staff.disable").target("account", &id);
    let caller = p.id.clone();
    audited(state.clone(), audit.clone(), async move {
        if id == caller {
            return Err(ApiError::conflict(
                crate::error::ErrorCode::CannotDisableSelf,
                "an admin cannot disable their own account",
            ));
        }
        let (account, ended) = state
            .db
            .write(move |conn| {
                use crate::db::schema::accounts::dsl as a;
                let account: Account = a::accounts
                    .find(&id)
                    .filter(a::role.ne("resident"))
                    .filter(a::status.ne(accounts::DELETED))
                    .first(conn)?;
                let t = now();
                diesel::update(a::accounts.find(&id))
                    .set((a::status.eq(accounts::DISABLED), a::updated_at.eq(t)))
                    .execute(conn)?;
                let ended = crate::store::sessions::revoke_all(conn, &id, None, "account_disabled", t)?;
                audit.write(conn)?;
                Ok((Account { status: accounts::DISABLED, updated_at: t, ..account }, ended))
            })
            .await?;
        state.revocations.add(ended, state.tokens.ttl + std::time::Duration::from_secs(60));
        Ok(HttpResponse::Ok().json(Me::from(account)))
    })
    .await
}

/// An API client without its secret.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiClientView {
    pub id: String,
    pub client_id: String,
    pub organisation_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiClient> for ApiClientView {
    fn from(c: ApiClient) -> Self {
        Self {
            id: c.id,
            client_id: c.client_id,
            organisation_id: c.organisation_id,
            name: c.name,
            scopes: c.scopes.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            revoked_at: c.revoked_at.map(utc),
        }
    }
}

/// Revoke an API client
///
/// It can no longer get tokens, and the tokens it holds stop working at once on this instance and within
/// seconds on the others.
#[utoipa::path(
    tag = "admin",
    operation_id = "revokeApiClient",
    security(("bearer" = [])),
    params(("client_ref" = String, Path, description = "The client's `id`")),
    responses(
        (status = 200, description = "The revoked client.", body = ApiClientView),
        (status = 404, description = "No such active client.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/api-clients/{client_ref}/revoke")]
pub async fn revoke_api_client(
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    p.admin()?;
    let id = path.into_inner();
    let audit = Audit::by(&p, &ctx, "api_client.revoke").target("api_client", &id);
    audited(state.clone(), audit.clone(), async move {
        let client = state
            .db
            .write(move |conn| {
                use crate::db::schema::api_clients::dsl as c;
                let client: ApiClient =
                    c::api_clients.find(&id).filter(c::revoked_at.is_null()).first(conn)?;
                let t = now();
                diesel::update(c::api_clients.find(&id))
                    .set((c::revoked_at.eq(Some(t)), c::updated_at.eq(t)))
                    .execute(conn)?;
                let endpoints: Vec<String> = {
                    use crate::db::schema::webhook_endpoints as we;
                    we::table.filter(we::client_id.eq(&client.client_id)).select(we::id).load(conn)?
                };
                for endpoint in endpoints {
                    crate::store::webhooks::disable_endpoint(
                        conn,
                        &endpoint,
                        "the API client was revoked",
                        t,
                    )?;
                }
                audit.write(conn)?;
                Ok(ApiClient { revoked_at: Some(t), updated_at: t, ..client })
            })
            .await?;
        state.revocations.add(
            [format!("client:{}", client.client_id)],
            state.tokens.ttl + std::time::Duration::from_secs(60),
        );
        Ok(HttpResponse::Ok().json(ApiClientView::from(client)))
    })
    .await
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RotatedSecret {
    pub client_id: String,
    /// The new secret, shown only here; the old one stops working at once.
    pub client_secret: String,
}

/// Give an API client a new secret
///
/// The old secret stops working at once; tokens already issued stay valid until they expire.
#[utoipa::path(
    tag = "admin",
    operation_id = "rotateApiClientSecret",
    security(("bearer" = [])),
    params(("client_ref" = String, Path, description = "The client's `id`")),
    responses(
        (status = 200, description = "The new secret.", body = RotatedSecret),
        (status = 404, description = "No such active client.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/api-clients/{client_ref}/rotate-secret")]
pub async fn rotate_api_client_secret(
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    p.admin()?;
    let id = path.into_inner();
    let audit = Audit::by(&p, &ctx, "api_client.rotate_secret").target("api_client", &id);
    audited(state.clone(), audit.clone(), async move {
        let secret = format!("qcs_{}", random_token());
        let hash = sha256_hex(&secret);
        let client_id = state
            .db
            .write(move |conn| {
                use crate::db::schema::api_clients::dsl as c;
                let client: ApiClient =
                    c::api_clients.find(&id).filter(c::revoked_at.is_null()).first(conn)?;
                diesel::update(c::api_clients.find(&id))
                    .set((c::secret_hash.eq(hash), c::updated_at.eq(now())))
                    .execute(conn)?;
                audit.write(conn)?;
                Ok(client.client_id)
            })
            .await?;
        Ok(HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(RotatedSecret { client_id, client_secret: secret }))
    })
    .await
}
