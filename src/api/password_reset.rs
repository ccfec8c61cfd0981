//! Forgotten passwords: a one-time code sent to the account's email or phone, then a new password.
//! Both steps answer the same whether or not the account exists.

use actix_web::{HttpResponse, post, web};
use chrono::Duration;
use diesel::prelude::*;
use rand::Rng;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::audit::Audit;
use crate::auth::sha256_hex;
use crate::context::RequestContext;
use crate::db::schema::password_resets as r;
use crate::db::types::{new_id, now};
use crate::domain::contact::LoginId;
use crate::domain::password::NewPassword;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::json::Json;
use crate::state::AppState;
use crate::store::{accounts, sessions, throttle};

const CODE_TTL_MINUTES: i64 = 15;
const MAX_ATTEMPTS: i32 = 5;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"login": "chan.taiman@example.mo"}))]
pub struct PasswordResetRequest {
    /// Email or phone number of the account.
    pub login: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Accepted {
    #[schema(example = "if the account exists, a code is on its way")]
    pub message: String,
}

fn code_hash(account_id: &str, code: &str) -> String {
    sha256_hex(&format!("{account_id}:{code}"))
}

fn message(language: &str, code: &str) -> String {
    match language {
        "zh-Hant" => {
            format!("琴澳通重設密碼驗證碼：{code}，{CODE_TTL_MINUTES} 分鐘內有效。如非本人操作，請忽略。")
        }
        "zh-Hans" => {
            format!("琴澳通重设密码验证码：{code}，{CODE_TTL_MINUTES} 分钟内有效。如非本人操作，请忽略。")
        }
        "pt" => format!(
            "Código para redefinir a palavra-passe do Qin Ao Tong: {code} (válido {CODE_TTL_MINUTES} minutos)."
        ),
        _ => format!("Qin Ao Tong password reset code: {code} (valid for {CODE_TTL_MINUTES} minutes)."),
    }
}

/// Ask for a password reset code
///
/// Sends a one-time code to the account's email or phone. The answer is the same whether or not the
/// account exists; repeated requests for one login or from one address are refused for a while (429).
#[utoipa::path(
    tag = "auth",
    operation_id = "requestPasswordReset",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "Accepted; a code is sent if the account exists.", body = Accepted),
        (status = 429, description = "Too many requests; see `Retry-After`.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password-reset")]
pub async fn request_password_reset(
    state: web::Data<AppState>,
    ctx: RequestContext,
    body: Json<PasswordResetRequest>,
) -> ApiResult<HttpResponse> {
    let login = LoginId::parse(&body.0.login)
        .map(|l| l.as_str().to_owned())
        .unwrap_or_else(|_| body.0.login.trim().to_lowercase());
    let keys = vec![format!("reset:{login}"), format!("reset-addr:{}", ctx.ip)];
    let window = Duration::seconds(state.config.login_window.as_secs() as i64);
    let limit = state.config.login_max_failures_per_account.clamp(1, 5);
    let addr_limit = state.config.login_max_failures_per_address;
    let blocked = state
        .db
        .write(move |conn| {
            let t = now();
            if let Some(secs) = throttle::blocked_for(conn, &keys, t)? {
                return Ok(Some(secs));
            }
            throttle::record_failure(conn, &keys[0], limit, window, t)?;
            throttle::record_failure(conn, &keys[1], addr_limit, window, t)?;
            Ok(None)
        })
        .await?;
    if let Some(secs) = blocked {
        return Err(ApiError::rate_limited(secs));
    }
    // The work happens after the answer, so its timing says nothing about whether the account exists.
    let st = state.clone();
    actix_web::rt::spawn(async move {
        let sender = st.sender.clone();
        let result = st
            .db
            .write(move |conn| {
                let Some(account) = accounts::find_by_login(conn, &login)? else { return Ok(None) };
                let t = now();
                diesel::update(r::table.filter(r::account_id.eq(&account.id)).filter(r::used_at.is_null()))
                    .set(r::used_at.eq(Some(t)))
                    .execute(conn)?;
                let code = format!("{:08}", rand::rngs::OsRng.gen_range(0..100_000_000u32));
                diesel::insert_into(r::table)
                    .values((
                        r::id.eq(new_id()),
                        r::account_id.eq(&account.id),
                        r::code_hash.eq(code_hash(&account.id, &code)),
                        r::attempts.eq(0),
                        r::expires_at.eq(t + Duration::minutes(CODE_TTL_MINUTES)),
                        r::created_at.eq(t),
                    ))
                    .execute(conn)?;
                Audit::by_account(
                    &account.role,
                    &account.id,
                    account.organisation_id.clone(),
                    &ctx,
                    "auth.password_reset_requested",
                )
                .target("account", &account.id)
                .subject(&account.id)
                .result(202)
                .write(conn)?;
                // Sent to the contact that was given, so a code never goes somewhere the caller did not name.
                Ok(Some((login, message(&account.preferred_language, &code))))
            })
            .await;
        match result {
            Ok(Some((recipient, text))) => sender.send(&recipient, &text),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "password reset request failed"),
        }
    });
    Ok(HttpResponse::Accepted()
        .json(Accepted { message: "if the account exists, a code is on its way".into() }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"login": "chan.taiman@example.mo", "code": "04718263", "password": "Granite-Orchid-88"}))]
pub struct ResetPassword {
    pub login: String,
    /// The code from `requestPasswordReset`; valid 15 minutes and for five tries.
    pub code: String,
    /// The new password.
    pub password: String,
}

fn invalid_code() -> ApiError {
    ApiError::field("code", "invalid_code", "the code is wrong, used or expired; ask for a new one")
}

/// Set a new password with a reset code
///
/// Ends every session of the account. A wrong code answers the same whether or not the account exists.
#[utoipa::path(
    tag = "auth",
    operation_id = "resetPassword",
    request_body = ResetPassword,
    responses(
        (status = 204, description = "The password was changed and every session ended."),
        (status = 422, description = "Wrong, used or expired code (`invalid_code`), or an unacceptable password.",
            body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password-reset/confirm")]
pub async fn reset_password(
    state: web::Data<AppState>,
    ctx: RequestContext,
    body: Json<ResetPassword>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let login = LoginId::parse(&body.login).map(|l| l.as_str().to_owned()).unwrap_or_default();
    let password = NewPassword::parse(&body.password, &[])
        .map_err(|e| ApiError::field("password", e.code(), e.message()))?;
    let code = body.code.trim().to_owned();
    let addr_key = format!("reset-confirm-addr:{}", ctx.ip);
    let addr_limit = state.config.login_max_failures_per_address;
    let window = Duration::seconds(state.config.login_window.as_secs() as i64);
    // First the code, so that wrong guesses cost no password hashing; attempts are counted atomically.
    let checked = state
        .db
        .write(move |conn| {
            let t = now();
            if let Some(secs) = throttle::blocked_for(conn, std::slice::from_ref(&addr_key), t)? {
                return Ok(Err(Some(secs)));
            }
            let pending: Option<(String, String, String)> = match accounts::find_by_login(conn, &login)? {
                None => None,
                Some(account) => r::table
                    .filter(r::account_id.eq(&account.id))
                    .filter(r::used_at.is_null())
                    .filter(r::expires_at.gt(t))
                    .filter(r::attempts.lt(MAX_ATTEMPTS))
                    .order(r::created_at.desc())
                    .select((r::id, r::code_hash, r::account_id))
                    .first(conn)
                    .optional()?,
            };
            let matched = pending.filter(|(id, expected, account_id)| {
                let ok = bool::from(expected.as_bytes().ct_eq(code_hash(account_id, &code).as_bytes()));
                if !ok {
                    let _ = diesel::update(r::table.find(id).filter(r::attempts.lt(MAX_ATTEMPTS)))
                        .set(r::attempts.eq(r::attempts + 1))
                        .execute(conn);
                }
                ok
            });
            if matched.is_none() {
                throttle::record_failure(conn, &addr_key, addr_limit, window, t)?;
            }
            Ok(matched.map(|(id, _, account_id)| (id, account_id)).ok_or(None))
        })
        .await?;
    let (reset_id, account_id) = match checked {
        Ok(found) => found,
        Err(Some(secs)) => return Err(ApiError::rate_limited(secs)),
        Err(None) => return Err(invalid_code()),
    };
    let hash = state.hasher.hash(password.expose().to_owned()).await?;
    let ended = state
        .db
        .write(move |conn| {
            let t = now();
            // Only one of several concurrent confirmations can use the code.
            let claimed = diesel::update(r::table.find(&reset_id).filter(r::used_at.is_null()))
                .set(r::used_at.eq(Some(t)))
                .execute(conn)?;
            if claimed != 1 {
                return Err(invalid_code());
            }
            let account = accounts::find(conn, &account_id)?;
            accounts::set_password(conn, &account.id, &hash, t)?;
            let ended = sessions::revoke_all(conn, &account.id, None, "password_reset", t)?;
            Audit::by_account(
                &account.role,
                &account.id,
                account.organisation_id.clone(),
                &ctx,
                "auth.password_reset",
            )
            .target("account", &account.id)
            .subject(&account.id)
            .result(204)
            .write(conn)?;
            Ok(ended)
        })
        .await?;
    state.revocations.add(ended, state.tokens.ttl + std::time::Duration::from_secs(60));
    Ok(HttpResponse::NoContent().finish())
}
