//! A person's own account: profile, password and sessions. Residents, staff and admins alike; the
//! caller's own id scopes every query, so nobody reaches another account through here.

use std::sync::Arc;

use chrono::NaiveDateTime;

use crate::app::caller::Person;
use crate::app::login_throttle::{PasswordGuard, verify_counted};
use crate::app::messages;
use crate::app::sessions::revocation_keep;
use crate::audit::{Audit, AuditTrail};
use crate::context::RequestContext;
use crate::db::Db;
use crate::db::types::now;
use crate::domain::FieldError;
use crate::domain::channel::{Channel, Contact};
use crate::domain::locale::Locale;
use crate::domain::password::NewPassword;
use crate::domain::person::check_full_name;
use crate::domain::templates::SecurityEvent;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::sessions::{self, Session};

/// The caller's account.
pub async fn get(db: &Db, caller: Person) -> ApiResult<Account> {
    db.first(accounts::live(caller.id)).await
}

/// Changes to a profile; `None` leaves a field as it is. `email` and `phone` are accepted only when
/// they name the contacts the account already has (a client resending the whole profile); a different
/// one is refused, since contacts change only with the password and a code (`contact_change`).
pub struct ProfileChanges {
    pub full_name: Option<String>,
    pub preferred_language: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// `raw` as `current` is stored, or not the same contact.
fn is_current(channel: Channel, raw: &str, current: Option<&str>) -> bool {
    Contact::parse(channel.as_str(), raw).is_ok_and(|c| Some(c.value.as_str()) == current)
}

/// Changes the caller's name or language. Every bad field is reported at once (422); so is an email
/// or phone number other than the account's own (`contact_change_required`).
pub async fn update(
    db: &Db,
    caller: Person,
    changes: ProfileChanges,
    trail: AuditTrail,
) -> ApiResult<Account> {
    trail.set_target("account", &caller.id);
    trail.set_subject(&caller.id);
    let mut errors = Vec::new();
    let full_name = changes.full_name.as_deref().map(|n| check_full_name(n, &mut errors));
    let language = changes.preferred_language.as_deref().and_then(|l| {
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
    db.write(move |conn| {
        let mut account = accounts::find(conn, &caller.id)?;
        for (channel, given) in [(Channel::Email, &changes.email), (Channel::Phone, &changes.phone)] {
            if let Some(raw) = given
                && !is_current(channel, raw, account.contact(channel).0)
            {
                errors.push(FieldError::new(
                    channel.as_str(),
                    "contact_change_required",
                    "contacts change with requestContactChange and a code sent to the new contact",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        if let Some(n) = full_name {
            account.full_name = n;
        }
        if let Some(l) = language {
            account.preferred_language = l.as_str().into();
        }
        account.updated_at = now();
        accounts::save_profile(conn, &account)?;
        trail.write_in(conn, 200)?;
        Ok(account)
    })
    .await
}

/// A password change.
pub struct PasswordChange {
    pub current_password: crate::config::Secret,
    pub new_password: crate::config::Secret,
}

fn own_audit(caller: &Person, ctx: &RequestContext, action: &str) -> Audit {
    Audit::by_account(caller.role, &caller.id, caller.organisation_id.clone(), ctx, action)
        .subject(&caller.id)
}

/// Changes the caller's password and ends every other session of the account at once; the session
/// making the call stays open. A wrong current password is an authentication event of its own.
pub async fn change_password(
    state: &AppState,
    caller: Person,
    ctx: RequestContext,
    change: PasswordChange,
) -> ApiResult<()> {
    let account: Account = state.db.first(accounts::live(caller.id.clone())).await?;
    let alerted = account.clone();
    let mut context = vec![account.full_name.as_str()];
    context.extend(account.email.as_deref().and_then(|e| e.split('@').next()));
    let new = NewPassword::parse(change.new_password.expose(), &context)
        .map_err(|e| ApiError::validation(vec![e.field_error("new_password")]))?;
    // Counted like a login of the account, so a stolen access token cannot try passwords faster than
    // a login could, and a block earned either way holds for both.
    let login = account.email.clone().or_else(|| account.phone.clone()).unwrap_or_else(|| account.id.clone());
    let guard = Arc::new(PasswordGuard::new(&state.config, &login, &ctx.ip));
    let counted = guard.clone();
    if let Some(secs) = state.db.write(move |conn| Ok(counted.count(conn)?)).await? {
        return Err(ApiError::rate_limited(secs));
    }
    if !verify_counted(state, &guard, change.current_password, Some(account.password_hash)).await? {
        let audit = own_audit(&caller, &ctx, "auth.password_change_failed").result(422);
        state.db.write(move |conn| Ok(audit.write(conn)?)).await?;
        return Err(ApiError::field("current_password", "wrong_password", "the current password is wrong"));
    }
    let hash = state.hasher.hash(new.expose().to_owned()).await?;
    let audit = own_audit(&caller, &ctx, "auth.password_change").target("account", &caller.id);
    let ended = state
        .db
        .write(move |conn| {
            let t = now();
            guard.forgive(conn)?;
            accounts::set_password(conn, &caller.id, &hash, t)?;
            let keep = caller.session_id.as_deref();
            let ended = sessions::revoke_all(conn, &caller.id, keep, "password_change", t)?;
            messages::forget_sessions(conn, &ended)?;
            messages::queue_security_alert(conn, &alerted, SecurityEvent::PasswordChanged)?;
            audit.write(conn)?;
            Ok(ended)
        })
        .await?;
    state.revocations.add(ended, revocation_keep(state));
    Ok(())
}

/// The caller's open sessions, newest first: `limit` rows after the keyset cursor.
pub async fn sessions(
    db: &Db,
    caller: Person,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> ApiResult<Vec<Session>> {
    db.run(move |conn| Ok(sessions::list_open(conn, &caller.id, now(), after, limit)?)).await
}

/// Ends one of the caller's sessions: its refresh token at once, its access tokens within seconds on
/// every instance. Another account's session is not found, exactly like a missing one.
pub async fn revoke_session(
    state: &AppState,
    caller: Person,
    session_id: String,
    trail: AuditTrail,
) -> ApiResult<()> {
    trail.set_subject(&caller.id);
    let sid = session_id.clone();
    state
        .db
        .write(move |conn| {
            if !sessions::revoke(conn, &caller.id, &sid, "revoked_by_user", now())? {
                return Err(ApiError::not_found());
            }
            messages::forget_sessions(conn, std::slice::from_ref(&sid))?;
            trail.write_in(conn, 204)?;
            Ok(())
        })
        .await?;
    state.revocations.add([session_id], revocation_keep(state));
    Ok(())
}
