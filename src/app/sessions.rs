//! Sessions of people: login, refresh-token rotation and logout. Each is an authentication event whose
//! actor the use case finds (or fails to find), so each writes its own audit row.

use std::sync::Arc;

use chrono::Duration;

use crate::app::login_throttle::{PasswordGuard, verify_counted};
use crate::audit::Audit;
use crate::auth::{random_token, sha256_hex};
use crate::context::RequestContext;
use crate::db::DbConn;
use crate::db::types::{new_id, now};
use crate::domain::contact::LoginId;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::sessions;

/// How long an ended session's id stays on this instance's revocation list: past the life of every
/// access token it issued.
pub fn revocation_keep(state: &AppState) -> std::time::Duration {
    state.tokens.ttl + std::time::Duration::from_secs(60)
}

/// The tokens of a session.
#[derive(Debug)]
pub struct Tokens {
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Single-use; stored only as a hash.
    pub refresh_token: crate::config::Secret,
    pub session_id: String,
}

/// A login attempt.
pub struct Credentials {
    /// Email or phone, in any spelling that normalises to the stored one.
    pub login: String,
    pub password: crate::config::Secret,
}

/// The key a login is throttled and looked up by: the normalised contact when it parses as one, so
/// that "+853 6234 5678" and "62345678" share a counter; otherwise the trimmed, lower-cased input.
pub fn login_key(raw: &str) -> String {
    LoginId::parse(raw).map(|l| l.as_str().to_owned()).unwrap_or_else(|_| raw.trim().to_lowercase())
}

fn invalid_credentials() -> ApiError {
    ApiError::new(ErrorCode::InvalidCredentials, "the login or password is wrong")
}

fn account_audit(account: &Account, ctx: &RequestContext, action: &str) -> Audit {
    Audit::by_account(account.role, &account.id, account.organisation_id.clone(), ctx, action)
        .subject(&account.id)
}

fn issue(state: &AppState, account: &Account, session_id: &str, refresh: String) -> ApiResult<Tokens> {
    let access = state
        .tokens
        .issue(&account.id, account.role.as_str(), account.organisation_id.as_deref(), Some(session_id), None)
        .map_err(ApiError::internal)?;
    Ok(Tokens {
        access_token: access,
        expires_in: state.tokens.ttl.as_secs(),
        refresh_token: crate::config::Secret::new(refresh),
        session_id: session_id.to_owned(),
    })
}

/// Starts a session: a refresh-token family and the first access token.
fn open_session(
    state: &AppState,
    conn: &mut DbConn,
    account: &Account,
    ctx: &RequestContext,
) -> ApiResult<Tokens> {
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
    issue(state, account, &session.id, refresh)
}

/// Logs a person in. Failures are throttled as [`PasswordGuard`] describes, so guessing is slowed
/// without letting an attacker elsewhere lock the owner out; unknown logins cost the same time as wrong
/// passwords.
pub async fn login(state: &Arc<AppState>, ctx: RequestContext, input: Credentials) -> ApiResult<Tokens> {
    let login = login_key(&input.login);
    let guard = Arc::new(PasswordGuard::new(&state.config, &login, &ctx.ip));
    let counted = guard.clone();
    let (blocked, account) = state
        .db
        .authentication()
        .write(move |conn| {
            crate::db::relax_durability(conn)?;
            if let Some(secs) = counted.count(conn)? {
                return Ok((Some(secs), None));
            }
            Ok((None, accounts::find_by_login(conn, &login)?))
        })
        .await?;
    if let Some(secs) = blocked {
        return Err(ApiError::rate_limited(secs));
    }
    let hash = account.as_ref().map(|a| a.password_hash.clone());
    let ok = verify_counted(state, &guard, input.password, hash).await?;
    let st = state.clone();
    match (ok, account) {
        (true, Some(account)) => {
            state
                .db
                .authentication()
                .write(move |conn| {
                    guard.forgive(conn)?;
                    // A client the account never used before is announced; the first login is not.
                    let (known_account, known_client) =
                        sessions::seen_from(conn, &account.id, &ctx.user_agent)?;
                    if known_account && !known_client {
                        crate::app::messages::queue_security_alert(
                            conn,
                            &account,
                            crate::domain::templates::SecurityEvent::NewLogin,
                        )?;
                    }
                    let tokens = open_session(&st, conn, &account, &ctx)?;
                    account_audit(&account, &ctx, "auth.login")
                        .target("session", &tokens.session_id)
                        .write(conn)?;
                    Ok(tokens)
                })
                .await
        }
        (_, account) => {
            state
                .db
                .authentication()
                .write(move |conn| {
                    let audit = match &account {
                        Some(a) => account_audit(a, &ctx, "auth.login_failed").target("account", &a.id),
                        None => Audit::system(&ctx, "auth.login_failed"),
                    };
                    Ok(audit.result(401).write(conn)?)
                })
                .await?;
            Err(invalid_credentials())
        }
    }
}

fn invalid_refresh_token() -> ApiError {
    ApiError::unauthorized("the refresh token is invalid, used or expired")
}

/// Exchanges a refresh token for a new pair. A token that was used already ends its whole session,
/// since it means the token was copied.
pub async fn refresh(
    state: &Arc<AppState>,
    ctx: RequestContext,
    refresh_token: crate::config::Secret,
) -> ApiResult<Tokens> {
    let hash = sha256_hex(refresh_token.expose().trim());
    let st = state.clone();
    // A reuse revokes the session in the transaction and answers 401 after it commits.
    let outcome = state
        .db
        .authentication()
        .write(move |conn| {
            let t = now();
            let Some((token, session)) = sessions::find_token(conn, &hash)? else {
                return Ok(Err(None));
            };
            let Some(account) = accounts::find_active(conn, &session.account_id)? else {
                return Ok(Err(None));
            };
            if session.revoked_at.is_some() || session.expires_at <= t {
                return Ok(Err(None));
            }
            if token.rotated_at.is_some() || !sessions::rotate_token(conn, &hash, t)? {
                sessions::revoke(conn, &account.id, &session.id, "refresh_token_reuse", t)?;
                account_audit(&account, &ctx, "auth.refresh_reuse")
                    .target("session", &session.id)
                    .result(401)
                    .write(conn)?;
                return Ok(Err(Some(session.id)));
            }
            let refresh = random_token();
            sessions::add_token(conn, &session.id, &sha256_hex(&refresh), t)?;
            sessions::touch(conn, &session.id, t)?;
            let tokens = issue(&st, &account, &session.id, refresh)?;
            account_audit(&account, &ctx, "auth.refresh").target("session", &session.id).write(conn)?;
            Ok(Ok(tokens))
        })
        .await?;
    outcome.map_err(|revoked| {
        if let Some(sid) = revoked {
            tracing::warn!(session = %sid, "refresh token reused; session revoked");
            state.revocations.add([sid], revocation_keep(state));
        }
        invalid_refresh_token()
    })
}

/// Ends the session of a refresh token. Unknown or already ended sessions are accepted silently, so the
/// answer says nothing about which tokens exist.
pub async fn logout(
    state: &AppState,
    ctx: RequestContext,
    refresh_token: crate::config::Secret,
) -> ApiResult<()> {
    let hash = sha256_hex(refresh_token.expose().trim());
    let ended = state
        .db
        .write(move |conn| {
            let Some((_, session)) = sessions::find_token(conn, &hash)? else { return Ok(None) };
            if !sessions::revoke(conn, &session.account_id, &session.id, "logout", now())? {
                return Ok(None);
            }
            crate::app::messages::forget_sessions(conn, std::slice::from_ref(&session.id))?;
            let account = accounts::find(conn, &session.account_id)?;
            account_audit(&account, &ctx, "auth.logout").target("session", &session.id).write(conn)?;
            Ok(Some(session.id))
        })
        .await?;
    if let Some(sid) = ended {
        state.revocations.add([sid], revocation_keep(state));
    }
    Ok(())
}
