//! Changing or proving a resident's email or phone number. The current password (counted like a login)
//! earns a code sent to the new contact; only that code switches the login, and the contact it
//! replaces is told. A stolen access token alone therefore cannot move the account's login or its
//! reset channel.

use std::sync::Arc;

use chrono::Duration;
use subtle::ConstantTimeEq;

use crate::app::caller::Resident;
use crate::app::contact_codes::{self as codes, MAX_ATTEMPTS, Outgoing};
use crate::app::login_throttle::{PasswordGuard, verify_counted};
use crate::app::registration::login_taken;
use crate::audit::AuditTrail;
use crate::context::RequestContext;
use crate::db::types::now;
use crate::domain::channel::Contact;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::contact_verifications::{self as verifications, Verification};
use crate::store::throttle;

/// What a resident asks to prove: a contact for a channel, with their current password.
pub struct ContactChangeRequest {
    pub channel: String,
    pub value: String,
    pub current_password: crate::config::Secret,
}

fn wrong_code() -> ApiError {
    ApiError::field("code", "invalid_code", "the code is wrong")
}

fn dead_code() -> ApiError {
    ApiError::field(
        "code",
        "code_expired",
        "this code has expired, was used, or was tried too often; ask for a new one",
    )
}

/// Sends a code to the new contact and answers the pending verification. Refusals, in order: an
/// invalid channel or value (422), too many password attempts (429), a wrong password (422), too many
/// codes sent lately (429), a contact another account uses (409, as registration answers it).
pub async fn request(
    state: &AppState,
    caller: Resident,
    ctx: RequestContext,
    trail: AuditTrail,
    input: ContactChangeRequest,
) -> ApiResult<Verification> {
    trail.set_target("account", &caller.id);
    trail.set_subject(&caller.id);
    let contact = Contact::parse(&input.channel, &input.value).map_err(|e| ApiError::validation(vec![e]))?;
    let account: Account = state.db.first(accounts::live(caller.id.clone())).await?;
    // Counted with the account's logins, as a password change is: a token cannot guess faster.
    let login = account.email.clone().or_else(|| account.phone.clone()).unwrap_or_else(|| account.id.clone());
    let guard = Arc::new(PasswordGuard::new(&state.config, &login, &ctx.ip));
    let counted = guard.clone();
    if let Some(secs) = state.db.write(move |conn| Ok(counted.count(conn)?)).await? {
        return Err(ApiError::rate_limited(secs));
    }
    let hash = Some(account.password_hash.clone());
    if !verify_counted(state, &guard, input.current_password, hash).await? {
        trail.set_action("auth.contact_change_password_failed");
        return Err(ApiError::field("current_password", "wrong_password", "the current password is wrong"));
    }
    // Every code is a message someone pays for and a nuisance to its recipient: a few per window.
    let send_key = format!("contact-code:{}", account.id);
    let send_limit = state.config.login_max_failures_per_account.clamp(1, 5);
    let window = Duration::seconds(state.config.login_window.as_secs() as i64);
    // The inner error is the answer; the outer `Ok` lets the counters and the audit row commit.
    state
        .db
        .write(move |conn| {
            let t = now();
            guard.forgive(conn)?;
            if let Some(secs) = throttle::blocked_for(conn, std::slice::from_ref(&send_key), t)? {
                return Ok(Err(ApiError::rate_limited(secs)));
            }
            if accounts::login_taken(conn, &contact.value, Some(&account.id))? {
                return Ok(Err(login_taken()));
            }
            throttle::record_failure(conn, &send_key, send_limit, window, t)?;
            let (verification, message) = codes::issue(conn, &account, &contact, t)?;
            codes::queue(conn, &account, &[message])?;
            trail.set_target("contact_verification", &verification.id);
            trail.write_in(conn, 202)?;
            Ok(Ok(verification))
        })
        .await?
}

/// Confirms a verification of the caller's with its code: the contact becomes the account's, proven,
/// and the contact it replaced is told. Refusals: not the caller's or no such verification (404),
/// used, expired or tried too often (422 `code_expired`), a wrong code (422 `invalid_code`, counted),
/// the contact taken by another account meanwhile (409 `login_taken`).
pub async fn confirm(
    state: &AppState,
    caller: Resident,
    trail: AuditTrail,
    verification_id: String,
    code: crate::config::Secret,
) -> ApiResult<Account> {
    trail.set_target("contact_verification", &verification_id);
    trail.set_subject(&caller.id);
    let code = code.expose().trim().to_owned();
    state
        .db
        .write(move |conn| {
            let t = now();
            let Some(v) = verifications::find_for_account(conn, &verification_id, &caller.id)? else {
                return Ok(Err(ApiError::not_found()));
            };
            if v.used_at.is_some() || v.expires_at <= t || v.attempts >= MAX_ATTEMPTS {
                trail.set_action("account.contact_verification_failed");
                return Ok(Err(dead_code()));
            }
            let right = codes::code_hash(&v.id, &code);
            if !bool::from(v.code_hash.as_bytes().ct_eq(right.as_bytes())) {
                // Committed although the request fails, so that every wrong guess counts.
                verifications::count_wrong_try(conn, &v.id, MAX_ATTEMPTS)?;
                trail.set_action("account.contact_verification_failed");
                return Ok(Err(wrong_code()));
            }
            // Checked again: another account may have taken the contact since the code was sent.
            if accounts::login_taken(conn, &v.value, Some(&caller.id))? {
                return Ok(Err(login_taken()));
            }
            if !verifications::claim(conn, &v.id, t)? {
                return Ok(Err(dead_code()));
            }
            verifications::retire_open(conn, &caller.id, v.channel, t)?;
            let before = accounts::find(conn, &caller.id)?;
            accounts::set_verified_contact(conn, &caller.id, v.channel, &v.value, t)
                .map_err(|e| ApiError::unique_or(e, login_taken))?;
            let after = accounts::find(conn, &caller.id)?;
            let notice: Vec<Outgoing> = match before.contact(v.channel).0 {
                Some(old) if old != v.value => {
                    vec![codes::replaced_notice(&after.preferred_language, v.channel, old)]
                }
                _ => Vec::new(),
            };
            codes::queue(conn, &after, &notice)?;
            trail.write_in(conn, 200)?;
            Ok(Ok(after))
        })
        .await?
}
