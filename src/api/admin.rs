//! Platform administration over HTTP: staff accounts and API clients. Rules live in `app::staff` and
//! `app::api_clients`; every request here is audited by `api::audit`.

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::me::Me;
use crate::app::api_clients::{self, NewClient};
use crate::app::caller::Admin;
use crate::app::staff::{self, NewStaff};
use crate::audit::AuditTrail;
use crate::db::types::utc;
use crate::error::{ApiResult, Problem};
use crate::http::json::Json;
use crate::idempotency::{Create, Created};
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::clients::ApiClient;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "officer.lei@hq-entry-exit.example", "password": "Harbour-Lantern-77",
    "full_name": "Lei Ka Man", "role": "officer", "organisation_id": "0193a1c2-7b1c-7608-88ad-7c94b44a700f"}))]
pub struct CreateStaffAccount {
    pub email: String,
    #[schema(value_type = String)]
    pub password: crate::config::Secret,
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
    caller: Admin,
    state: web::Data<AppState>,
    trail: AuditTrail,
    body: Json<CreateStaffAccount>,
    create: Create,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let input = NewStaff {
        email: b.email,
        password: b.password,
        full_name: b.full_name,
        role: b.role,
        organisation_id: b.organisation_id,
    };
    // The password is hashed inside the create: a replay answers before any hashing.
    create.run(|record| staff::create(&state, caller, input, record, trail, staff_created)).await
}

fn staff_created(account: &Account) -> ApiResult<Created> {
    Created::new(format!("/v1/admin/staff/{}", account.id), None, &Me::from(account.clone()))
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
    #[schema(value_type = String)]
    pub client_secret: crate::config::Secret,
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
    caller: Admin,
    state: web::Data<AppState>,
    trail: AuditTrail,
    body: Json<CreateApiClient>,
    create: Create,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let input = NewClient { organisation_id: b.organisation_id, name: b.name, scopes: b.scopes };
    create.run(|record| api_clients::create(&state.db, caller, input, record, trail, client_created)).await
}

fn client_created(client: &ApiClient, secret: &str) -> ApiResult<Created> {
    let view = CreatedApiClient {
        id: client.id.clone(),
        client_id: client.client_id.clone(),
        client_secret: crate::config::Secret::new(secret),
        organisation_id: client.organisation_id.clone(),
        name: client.name.clone(),
        scopes: client.scope_list(),
        created_at: utc(client.created_at),
    };
    Created::new(format!("/v1/admin/api-clients/{}", client.id), None, &view)
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
    caller: Admin,
    state: web::Data<AppState>,
    trail: AuditTrail,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let account = staff::disable(&state, caller, path.into_inner(), trail).await?;
    Ok(HttpResponse::Ok().json(Me::from(account)))
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
            scopes: c.scope_list(),
            id: c.id,
            client_id: c.client_id,
            organisation_id: c.organisation_id,
            name: c.name,
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
    caller: Admin,
    state: web::Data<AppState>,
    trail: AuditTrail,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let client = api_clients::revoke(&state, caller, path.into_inner(), trail).await?;
    Ok(HttpResponse::Ok().json(ApiClientView::from(client)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RotatedSecret {
    pub client_id: String,
    /// The new secret, shown only here; the old one stops working at once.
    #[schema(value_type = String)]
    pub client_secret: crate::config::Secret,
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
    caller: Admin,
    state: web::Data<AppState>,
    trail: AuditTrail,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let rotated = api_clients::rotate_secret(&state, caller, path.into_inner(), trail).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(RotatedSecret { client_id: rotated.client_id, client_secret: rotated.secret }))
}
