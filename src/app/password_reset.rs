//! Forgotten passwords: a one-time code sent to the account's proven email or phone, then a new
//! password.
//! Both steps answer the same whether or not the account exists.

use std::sync::Arc;

use chrono::Duration;
use rand::Rng;
use subtle::ConstantTimeEq;

use crate::app::login_throttle::address_key;
use crate::app::messages;
use crate::app::sessions::{login_key, revocation_keep};
use crate::audit::Audit;
use crate::auth::sha256_hex;
use crate::context::RequestContext;
use crate::db::types::{new_id, now};
use crate::domain::contact::LoginId;
use crate::domain::password::NewPassword;
use crate::domain::templates::SecurityEvent;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::{password_resets as resets, sessions, throttle};

/// How long a code works, and how many wrong tries it takes.
pub const CODE_TTL_MINUTES: i64 = 15;
pub const MAX_ATTEMPTS: i32 = 5;

fn code_hash(account_id: &str, code: &str) -> String {
    sha256_hex(&format!("{account_id}:{code}"))
}

/// The message carrying the code, in the account's language.
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

fn audit(account: &Account, ctx: &RequestContext, action: &str, status: u16) -> Audit {
    Audit::by_account(account.role, &account.id, account.organisation_id.clone(), ctx, action)
        .target("account", &account.id)
        .subject(&account.id)
        .result(status)
}

/// Accepts a request for a code. Repeated requests for one login or from one address are refused for a
/// while (429). The code is made and sent after the answer, so its timing says nothing about whether
/// the account exists.
pub async fn request(state: &Arc<AppState>, ctx: RequestContext, login: String) -> ApiResult<()> {
    let login = login_key(&login);
    let keys = vec![format!("reset:{login}"), format!("reset-addr:{}", address_key(&ctx.ip))];
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
    let state = state.clone();
    tokio::task::spawn_local(async move {
        if let Err(e) = send_code(&state, ctx, login).await {
            tracing::warn!(error = %e, "password reset request failed");
        }
    });
    Ok(())
}

/// Makes a new code for the account with this login, if there is one, and queues its message in the
/// same transaction, so a stored code always has its message on the way.
async fn send_code(state: &AppState, ctx: RequestContext, login: String) -> ApiResult<()> {
    state
        .db
        .write(move |conn| {
            let Some(account) = accounts::find_by_login(conn, &login)? else { return Ok(()) };
            // A contact nobody proved may be someone else's (a typo at registration): no code goes there.
            if !account.is_verified_login(&login) {
                audit(&account, &ctx, "auth.password_reset_unverified_contact", 202).write(conn)?;
                return Ok(());
            }
            let t = now();
            resets::retire_open(conn, &account.id, t)?;
            let code = format!("{:08}", rand::rngs::OsRng.gen_range(0..100_000_000u32));
            let expires = t + Duration::minutes(CODE_TTL_MINUTES);
            resets::insert(conn, &new_id(), &account.id, &code_hash(&account.id, &code), expires, t)?;
            audit(&account, &ctx, "auth.password_reset_requested", 202).write(conn)?;
            // Sent to the contact that was given, so a code never goes somewhere the caller did not name.
            messages::queue_text(conn, &account, &login, &message(&account.preferred_language, &code))
        })
        .await
}

/// A new password, authorised by a code.
pub struct Reset {
    pub login: String,
    pub code: crate::config::Secret,
    pub password: crate::config::Secret,
}

fn invalid_code() -> ApiError {
    ApiError::field("code", "invalid_code", "the code is wrong, used or expired; ask for a new one")
}

/// Sets a new password with a code and ends every session of the account. A wrong code answers the
/// same whether or not the account exists.
pub async fn reset(state: &AppState, ctx: RequestContext, input: Reset) -> ApiResult<()> {
    let login = LoginId::parse(&input.login).map(|l| l.as_str().to_owned()).unwrap_or_default();
    let password = NewPassword::parse(input.password.expose(), &[])
        .map_err(|e| ApiError::validation(vec![e.field_error("password")]))?;
    let code = input.code.expose().trim().to_owned();
    let addr_key = format!("reset-confirm-addr:{}", address_key(&ctx.ip));
    let addr_limit = state.config.login_max_failures_per_address;
    let window = Duration::seconds(state.config.login_window.as_secs() as i64);
    // First the code, so that wrong guesses cost no password hashing; attempts are counted atomically.
    let failure_ctx = ctx.clone();
    let checked = state
        .db
        .write(move |conn| {
            let t = now();
            if let Some(secs) = throttle::blocked_for(conn, std::slice::from_ref(&addr_key), t)? {
                return Ok(Err(Some(secs)));
            }
            let account = accounts::find_by_login(conn, &login)?;
            let pending = match &account {
                None => None,
                Some(account) => resets::latest_pending(conn, &account.id, MAX_ATTEMPTS, t)?,
            };
            let is_right = |p: &resets::PendingReset| {
                bool::from(p.code_hash.as_bytes().ct_eq(code_hash(&p.account_id, &code).as_bytes()))
            };
            let matched = match pending {
                Some(p) if is_right(&p) => Some(p),
                Some(p) => {
                    resets::count_wrong_try(conn, &p.id, MAX_ATTEMPTS)?;
                    None
                }
                None => None,
            };
            if matched.is_none() {
                throttle::record_failure(conn, &addr_key, addr_limit, window, t)?;
                // Like a failed login: named when the account exists, anonymous otherwise.
                let failed = "auth.password_reset_failed";
                match &account {
                    Some(a) => audit(a, &failure_ctx, failed, 422).write(conn)?,
                    None => Audit::system(&failure_ctx, failed).result(422).write(conn)?,
                }
            }
            Ok(matched.ok_or(None))
        })
        .await?;
    let pending = match checked {
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
            if !resets::claim(conn, &pending.id, t)? {
                return Err(invalid_code());
            }
            let account = accounts::find(conn, &pending.account_id)?;
            accounts::set_password(conn, &account.id, &hash, t)?;
            let ended = sessions::revoke_all(conn, &account.id, None, "password_reset", t)?;
            messages::forget_sessions(conn, &ended)?;
            messages::queue_security_alert(conn, &account, SecurityEvent::PasswordChanged)?;
            audit(&account, &ctx, "auth.password_reset", 204).write(conn)?;
            Ok(ended)
        })
        .await?;
    state.revocations.add(ended, revocation_keep(state));
    Ok(())
}
