//! Registration, login, token refresh and logout for people over HTTP, and the public keys that verify
//! access tokens. The rules live in `app::registration` and `app::sessions`.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::contacts::PendingVerification;
use crate::api::me::Me;
use crate::app::registration::{self, Registration};
use crate::app::sessions::{self, Credentials, Tokens};
use crate::auth::keys::Jwks;
use crate::context::RequestContext;
use crate::error::{ApiResult, Problem};
use crate::http::json::Json;
use crate::idempotency::{Create, Created};
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::contact_verifications::Verification;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "chan.taiman@example.mo", "phone": "+853 6234 5678",
    "password": "Lotus-Bridge-2026", "full_name": "陳大文", "preferred_language": "zh-Hant"}))]
pub struct RegisterRequest {
    /// Email address; at least one of `email` and `phone` is required.
    pub email: Option<String>,
    /// Macao (+853, 8 digits) or mainland (+86, 11 digits) mobile number.
    pub phone: Option<String>,
    /// 8 to 128 characters; common passwords are refused.
    #[schema(value_type = String)]
    pub password: crate::config::Secret,
    pub full_name: String,
    /// `zh-Hant` (default), `zh-Hans`, `pt` or `en`.
    pub preferred_language: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"login": "chan.taiman@example.mo", "password": "Lotus-Bridge-2026"}))]
pub struct LoginRequest {
    /// Email or phone number.
    pub login: String,
    #[schema(value_type = String)]
    pub password: crate::config::Secret,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// The refresh token from `login` or the previous refresh; each one works once.
    #[schema(value_type = String)]
    pub refresh_token: crate::config::Secret,
}

/// Tokens for a person's session.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJFZERTQSIs...", "token_type": "Bearer",
    "expires_in": 600, "refresh_token": "q3Jd9...", "session_id": "0193a1c2-..."}))]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Single-use: exchange it at `refreshToken` for a new pair.
    #[schema(value_type = String)]
    pub refresh_token: crate::config::Secret,
    pub session_id: String,
}

/// Register a resident account
///
/// Creates a resident with an email and/or phone number and sends a code to each; `verifications`
/// names them for `confirmContactChange`. Log in afterwards to get tokens.
#[utoipa::path(
    tag = "auth",
    operation_id = "registerResident",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "The account was created; codes are on their way to its contacts.",
            body = Registered,
            headers(("Location" = String, description = "URL of the caller's profile"))),
        (status = 409, description = "The email or phone number is already registered.", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each listed in `errors`.", body = Problem,
            content_type = "application/problem+json"),
        (status = 429, description = "Too many registrations from this address (`rate_limited`); see \
            `Retry-After`.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/register")]
pub async fn register_resident(
    state: web::Data<AppState>,
    ctx: RequestContext,
    body: Json<RegisterRequest>,
    create: Create,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let input = Registration {
        email: body.email,
        phone: body.phone,
        password: body.password,
        full_name: body.full_name,
        preferred_language: body.preferred_language,
    };
    create.run(|record| registration::register(&state, ctx, input, record, registered)).await
}

/// A new account and the codes sent to its contacts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Registered {
    #[serde(flatten)]
    pub account: Me,
    /// One per contact given: confirm each with `confirmContactChange` (after logging in) and the code
    /// sent to it. Until then the contact is a login but receives no password reset codes.
    pub verifications: Vec<PendingVerification>,
}

fn registered(account: &Account, pending: &[Verification]) -> ApiResult<Created> {
    let body = Registered {
        account: Me::from(account.clone()),
        verifications: pending.iter().map(PendingVerification::from).collect(),
    };
    Created::new("/v1/me".into(), None, &body)
}

fn tokens(tokens: Tokens) -> HttpResponse {
    HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(TokenResponse {
        access_token: tokens.access_token,
        token_type: "Bearer".into(),
        expires_in: tokens.expires_in,
        refresh_token: tokens.refresh_token,
        session_id: tokens.session_id,
    })
}

/// Log in with email or phone and password
///
/// Repeated failures from one address, for one account or in total, are refused for a while with 429;
/// the owner logging in from elsewhere is not affected.
#[utoipa::path(
    tag = "auth",
    operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in.", body = TokenResponse),
        (status = 401, description = "Wrong login or password (`invalid_credentials`).", body = Problem,
            content_type = "application/problem+json"),
        (status = 429, description = "Too many failures; see `Retry-After`.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    ctx: RequestContext,
    body: Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let credentials = Credentials { login: body.login, password: body.password };
    Ok(tokens(sessions::login(&state, ctx, credentials).await?))
}

/// Exchange a refresh token for a new pair
///
/// Each refresh token works once. Presenting one that was already used ends the whole session, since
/// it means the token was copied.
#[utoipa::path(
    tag = "auth",
    operation_id = "refreshToken",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens; the presented refresh token is now used up.", body = TokenResponse),
        (status = 401, description = "Unknown, used, expired or revoked refresh token.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh_token(
    state: web::Data<AppState>,
    ctx: RequestContext,
    body: Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    Ok(tokens(sessions::refresh(&state, ctx, body.0.refresh_token).await?))
}

/// End the session of a refresh token
///
/// Needs only the refresh token. The session's refresh tokens stop working at once, its access tokens
/// within seconds on every instance. Unknown tokens are accepted silently.
#[utoipa::path(
    tag = "auth",
    operation_id = "logout",
    request_body = RefreshRequest,
    responses((status = 204, description = "The session has ended."))
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    ctx: RequestContext,
    body: Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    sessions::logout(&state, ctx, body.0.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Public keys that verify access tokens
///
/// An RFC 7517 key set; tokens name their key in the `kid` header. Cache it, and fetch it again when a
/// token names an unknown `kid`.
#[utoipa::path(
    tag = "auth",
    operation_id = "getJwks",
    responses((status = 200, description = "The key set.", body = Jwks))
)]
#[get("/auth/jwks.json")]
pub async fn get_jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().insert_header(("Cache-Control", "public, max-age=300")).json(state.tokens.jwks())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_tokens_in_requests_never_print() {
        let body: LoginRequest =
            serde_json::from_str(r#"{"login": "a@example.mo", "password": "Lotus-Bridge-2026"}"#).unwrap();
        let refresh: RefreshRequest =
            serde_json::from_str(r#"{"refresh_token": "rt-secret-value"}"#).unwrap();
        let printed = format!("{body:?} {refresh:?}");
        assert!(!printed.contains("Lotus-Bridge-2026") && !printed.contains("rt-secret-value"), "{printed}");
        assert_eq!(body.password.expose(), "Lotus-Bridge-2026");
    }
}
