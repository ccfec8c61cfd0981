//! Registration, login, token refresh and logout for people; the OAuth client-credentials grant for API
//! clients; the public keys that verify access tokens.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::Duration;
use diesel::OptionalExtension;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::me::Me;
use crate::audit::Audit;
use crate::auth::keys::Jwks;
use crate::auth::{random_token, sha256_hex};
use crate::context::RequestContext;
use crate::db::DbConn;
use crate::db::types::{new_id, now};
use crate::domain::FieldError;
use crate::domain::contact::{Email, LoginId, Phone};
use crate::domain::locale::Locale;
use crate::domain::password::NewPassword;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::json::Json;
use crate::idempotency::{self, Created};
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::{sessions, throttle};

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "chan.taiman@example.mo", "phone": "+853 6234 5678",
    "password": "Lotus-Bridge-2026", "full_name": "陳大文", "preferred_language": "zh-Hant"}))]
pub struct RegisterRequest {
    /// Email address; at least one of `email` and `phone` is required.
    pub email: Option<String>,
    /// Macao (+853, 8 digits) or mainland (+86, 11 digits) mobile number.
    pub phone: Option<String>,
    /// 8 to 128 characters; common passwords are refused.
    pub password: String,
    pub full_name: String,
    /// `zh-Hant` (default), `zh-Hans`, `pt` or `en`.
    pub preferred_language: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"login": "chan.taiman@example.mo", "password": "Lotus-Bridge-2026"}))]
pub struct LoginRequest {
    /// Email or phone number.
    pub login: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// The refresh token from `login` or the previous refresh; each one works once.
    pub refresh_token: String,
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
    pub refresh_token: String,
    pub session_id: String,
}

fn parse_language(raw: Option<&str>, errors: &mut Vec<FieldError>) -> Locale {
    match raw {
        None => Locale::ZhHant,
        Some(tag) => Locale::parse_tag(tag).unwrap_or_else(|| {
            errors.push(FieldError::new(
                "preferred_language",
                "unsupported_language",
                "preferred_language must be zh-Hant, zh-Hans, pt or en",
            ));
            Locale::ZhHant
        }),
    }
}

/// Checks a full name: 1 to 200 characters, no control characters.
pub fn check_full_name(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let name = raw.trim();
    if name.is_empty() {
        errors.push(FieldError::new("full_name", "required", "full_name must not be empty"));
    } else if name.chars().count() > 200 {
        errors.push(FieldError::new("full_name", "too_long", "full_name must be at most 200 characters"));
    } else if name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "full_name",
            "invalid_characters",
            "full_name contains control characters",
        ));
    }
    name.to_owned()
}

/// Register a resident account
///
/// Creates a resident with an email and/or phone number. Log in afterwards to get tokens.
#[utoipa::path(
    tag = "auth",
    operation_id = "registerResident",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "The account was created.", body = Me,
            headers(("Location" = String, description = "URL of the caller's profile"))),
        (status = 409, description = "The email or phone number is already registered.", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each listed in `errors`.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[post("/auth/register")]
pub async fn register_resident(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    body: Json<RegisterRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let mut errors = Vec::new();
    let email = body.email.as_deref().filter(|e| !e.trim().is_empty()).and_then(|e| {
        Email::parse(e).map_err(|err| errors.push(FieldError::new("email", err.code(), err.message()))).ok()
    });
    let phone = body.phone.as_deref().filter(|p| !p.trim().is_empty()).and_then(|p| {
        Phone::parse(p).map_err(|err| errors.push(FieldError::new("phone", err.code(), err.message()))).ok()
    });
    if body.email.as_deref().is_none_or(|e| e.trim().is_empty())
        && body.phone.as_deref().is_none_or(|p| p.trim().is_empty())
    {
        errors.push(FieldError::new("email", "required", "give an email address or a phone number"));
    }
    let full_name = check_full_name(&body.full_name, &mut errors);
    let language = parse_language(body.preferred_language.as_deref(), &mut errors);
    let mut context: Vec<String> = vec![full_name.clone()];
    if let Some(e) = &email {
        context.push(e.as_str().split('@').next().unwrap_or_default().to_owned());
    }
    if let Some(p) = &phone {
        context.push(p.as_str().trim_start_matches('+').to_owned());
    }
    let context_refs: Vec<&str> = context.iter().map(String::as_str).collect();
    let password = NewPassword::parse(&body.password, &context_refs)
        .map_err(|err| errors.push(FieldError::new("password", err.code(), err.message())))
        .ok();
    let Some(password) = password.filter(|_| errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };

    let hash = state.hasher.hash(password.expose().to_owned()).await?;
    let t = now();
    let account = Account {
        id: new_id(),
        role: "resident".into(),
        organisation_id: None,
        email: email.map(Email::into_inner),
        phone: phone.map(Phone::into_inner),
        password_hash: hash,
        full_name,
        preferred_language: language.as_str().into(),
        status: accounts::ACTIVE,
        created_at: t,
        updated_at: t,
    };
    let audit = Audit::by_account("resident", &account.id, None, &ctx, "account.register")
        .target("account", &account.id)
        .subject(&account.id)
        .result(201);
    // Anonymous callers are told apart by address, so one client's key cannot replay another's answer.
    let owner = format!("anonymous:{}", ctx.ip);
    let fp = idempotency::json_fingerprint(&req);
    let db = state.db.clone();
    idempotency::run(&req, &state, &owner, "registerResident", fp, |record| async move {
        db.write(move |conn| {
            for taken in [account.email.as_deref(), account.phone.as_deref()].into_iter().flatten() {
                if accounts::login_taken(conn, taken, None)? {
                    return Err(login_taken());
                }
            }
            accounts::insert(conn, &account).map_err(|e| ApiError::unique_or(e, login_taken))?;
            audit.write(conn)?;
            let created = Created::new("/v1/me".into(), None, &Me::from(account))?;
            created.remember(conn, record.as_ref())?;
            Ok(created)
        })
        .await
    })
    .await
}

fn login_taken() -> ApiError {
    ApiError::conflict(
        crate::error::ErrorCode::LoginTaken,
        "this email or phone number is already registered",
    )
}

fn invalid_credentials() -> ApiError {
    ApiError::new(crate::error::ErrorCode::InvalidCredentials, "the login or password is wrong")
}

/// Starts a session: a refresh-token family and the first access token.
pub fn open_session(
    state: &AppState,
    conn: &mut DbConn,
    account: &Account,
    ctx: &RequestContext,
) -> ApiResult<TokenResponse> {
    let t = now();
    let refresh = random_token();
    let session = sessions::Session {
        id: new_id(),
        account_id: account.id.clone(),
        created_at: t,
        last_used_at: t,
        expires_at: t + Duration::seconds(state.config.refresh_token_ttl.as_secs() as i64),
        revoked_at: None,
        revoked_reason: None,
        user_agent: ctx.user_agent.clone(),
        ip: ctx.ip.clone(),
    };
    sessions::insert(conn, &session, &sha256_hex(&refresh))?;
    token_response(state, account, &session.id, refresh)
}

fn token_response(
    state: &AppState,
    account: &Account,
    sid: &str,
    refresh: String,
) -> ApiResult<TokenResponse> {
    let access = state
        .tokens
        .issue(&account.id, &account.role, account.organisation_id.as_deref(), Some(sid), None)
        .map_err(ApiError::internal)?;
    Ok(TokenResponse {
        access_token: access,
        token_type: "Bearer".into(),
        expires_in: state.tokens.ttl.as_secs(),
        refresh_token: refresh,
        session_id: sid.to_owned(),
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
    // Normalise exactly as registration does, so that "+853 6234 5678" and "62345678" share a counter.
    let login = LoginId::parse(&body.login)
        .map(|l| l.as_str().to_owned())
        .unwrap_or_else(|_| body.login.trim().to_lowercase());
    let pair_key = format!("login:{login}|{}", ctx.ip);
    let addr_key = format!("addr:{}", ctx.ip);
    let keys = vec![pair_key.clone(), addr_key.clone()];
    let lookup = login.clone();
    let cfg = &state.config;
    let (pair_limit, addr_limit) = (cfg.login_max_failures_per_account, cfg.login_max_failures_per_address);
    let window = Duration::seconds(cfg.login_window.as_secs() as i64);
    let (pair, addr) = (pair_key.clone(), addr_key.clone());
    // Every attempt is counted before the password is checked (and forgiven if it was right), so a burst
    // of parallel guesses cannot all slip past the check.
    let (blocked, account) = state
        .db
        .write(move |conn| {
            let t = now();
            crate::db::relax_durability(conn)?;
            if let Some(secs) = throttle::blocked_for(conn, &keys, t)? {
                return Ok((Some(secs), None));
            }
            let n = throttle::record_failure(conn, &pair, pair_limit, window, t)?;
            let m = throttle::record_failure(conn, &addr, addr_limit, window, t)?;
            if n > pair_limit as i32 || m > addr_limit as i32 {
                return Ok((Some(throttle::blocked_for(conn, &keys, t)?.unwrap_or(30)), None));
            }
            Ok((None, accounts::find_by_login(conn, &lookup)?))
        })
        .await?;
    if let Some(secs) = blocked {
        return Err(ApiError::rate_limited(secs));
    }
    let ok = state.hasher.verify(body.password, account.as_ref().map(|a| a.password_hash.clone())).await?;
    let st = state.clone();
    match (ok, account) {
        (true, Some(account)) => {
            let tokens = state
                .db
                .write(move |conn| {
                    throttle::clear(conn, &pair_key)?;
                    throttle::forgive(conn, &addr_key)?;
                    let tokens = open_session(&st, conn, &account, &ctx)?;
                    Audit::by_account(
                        &account.role,
                        &account.id,
                        account.organisation_id.clone(),
                        &ctx,
                        "auth.login",
                    )
                    .target("session", &tokens.session_id)
                    .subject(&account.id)
                    .write(conn)?;
                    Ok(tokens)
                })
                .await?;
            Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(tokens))
        }
        (_, account) => {
            state
                .db
                .write(move |conn| {
                    let audit = match &account {
                        Some(a) => Audit::by_account(
                            &a.role,
                            &a.id,
                            a.organisation_id.clone(),
                            &ctx,
                            "auth.login_failed",
                        )
                        .target("account", &a.id)
                        .subject(&a.id),
                        None => Audit::system(&ctx, "auth.login_failed"),
                    };
                    audit.result(401).write(conn)?;
                    Ok(())
                })
                .await?;
            Err(invalid_credentials())
        }
    }
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
    let hash = sha256_hex(body.0.refresh_token.trim());
    let st = state.clone();
    let outcome = state
        .db
        .write(move |conn| {
            let t = now();
            let Some((token, session)) = sessions::find_token(conn, &hash)? else {
                return Ok(Err(None));
            };
            let account = accounts::find(conn, &session.account_id).optional()?;
            let Some(account) = account.filter(|a| a.status == accounts::ACTIVE) else {
                return Ok(Err(None));
            };
            if session.revoked_at.is_some() || session.expires_at <= t {
                return Ok(Err(None));
            }
            if token.rotated_at.is_some() || !sessions::rotate_token(conn, &hash, t)? {
                sessions::revoke(conn, &account.id, &session.id, "refresh_token_reuse", t)?;
                Audit::by_account(
                    &account.role,
                    &account.id,
                    account.organisation_id.clone(),
                    &ctx,
                    "auth.refresh_reuse",
                )
                .target("session", &session.id)
                .subject(&account.id)
                .result(401)
                .write(conn)?;
                return Ok(Err(Some(session.id)));
            }
            let refresh = random_token();
            sessions::add_token(conn, &session.id, &sha256_hex(&refresh), t)?;
            sessions::touch(conn, &session.id, t)?;
            Ok(Ok(token_response(&st, &account, &session.id, refresh)?))
        })
        .await?;
    match outcome {
        Ok(tokens) => Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(tokens)),
        Err(revoked) => {
            if let Some(sid) = revoked {
                tracing::warn!(session = %sid, "refresh token reused; session revoked");
                state.revocations.add([sid], state.tokens.ttl + std::time::Duration::from_secs(60));
            }
            Err(ApiError::unauthorized("the refresh token is invalid, used or expired"))
        }
    }
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
    let hash = sha256_hex(body.0.refresh_token.trim());
    let ended = state
        .db
        .write(move |conn| {
            let Some((_, session)) = sessions::find_token(conn, &hash)? else { return Ok(None) };
            if !sessions::revoke(conn, &session.account_id, &session.id, "logout", now())? {
                return Ok(None);
            }
            let account = accounts::find(conn, &session.account_id)?;
            Audit::by_account(
                &account.role,
                &account.id,
                account.organisation_id.clone(),
                &ctx,
                "auth.logout",
            )
            .target("session", &session.id)
            .subject(&account.id)
            .write(conn)?;
            Ok(Some(session.id))
        })
        .await?;
    if let Some(sid) = ended {
        state.revocations.add([sid], state.tokens.ttl + std::time::Duration::from_secs(60));
    }
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
