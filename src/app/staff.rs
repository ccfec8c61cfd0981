//! Admins create and disable staff and admin accounts. Officers and supervisors belong to one
//! organisation; admins are platform-wide and belong to none.

use std::time::Duration;

use crate::app::admin_catalogue::require_organisation;
use crate::app::caller::Admin;
use crate::audit::AuditTrail;
use crate::auth::Role;
use crate::db::types::{new_id, now};
use crate::domain::FieldError;
use crate::domain::contact::Email;
use crate::domain::password::NewPassword;
use crate::domain::person::FullName;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::idempotency::{Created, Recorded};
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::{sessions, staff};

/// A staff account as an admin describes it.
pub struct NewStaff {
    pub email: String,
    pub password: crate::config::Secret,
    pub full_name: String,
    pub role: String,
    pub organisation_id: Option<String>,
}

/// A checked request: every problem is reported at once.
struct Checked {
    email: Email,
    password: NewPassword,
    full_name: FullName,
    role: Role,
    organisation_id: Option<String>,
}

fn check(input: NewStaff) -> ApiResult<Checked> {
    let mut errors = Vec::new();
    let email = Email::parse(&input.email)
        .map_err(|e| errors.push(FieldError::new("email", e.code(), e.message())))
        .ok();
    let full_name = FullName::parse(&input.full_name).map_err(|e| errors.push(e)).ok();
    let role =
        Role::parse(&input.role).filter(|r| matches!(r, Role::Officer | Role::Supervisor | Role::Admin));
    if role.is_none() {
        errors.push(FieldError::new("role", "invalid_option", "role must be officer, supervisor or admin"));
    }
    match (role, &input.organisation_id) {
        (Some(Role::Admin), Some(_)) => errors.push(FieldError::new(
            "organisation_id",
            "not_allowed",
            "admins are platform-wide and belong to no organisation",
        )),
        (Some(Role::Officer | Role::Supervisor), None) => {
            errors.push(FieldError::new("organisation_id", "required", "staff belong to one organisation"))
        }
        _ => {}
    }
    // The password may not contain the person's name or the local part of the email, even when
    // those are themselves invalid.
    let local = email.as_ref().map(|e| e.local_part().to_owned()).unwrap_or_default();
    let password = NewPassword::parse(input.password.expose(), &[input.full_name.trim(), &local])
        .map_err(|e| errors.push(FieldError::new("password", e.code(), e.message())))
        .ok();
    match (email, password, full_name, role) {
        (Some(email), Some(password), Some(full_name), Some(role)) if errors.is_empty() => {
            Ok(Checked { email, password, full_name, role, organisation_id: input.organisation_id })
        }
        _ => Err(ApiError::validation(errors)),
    }
}

/// Creates a staff or admin account. The password is hashed only once the request is known to be
/// valid; `respond` turns the account into the 201 answer that an idempotent retry gets again.
pub async fn create(
    state: &AppState,
    _caller: Admin,
    input: NewStaff,
    record: Option<Recorded>,
    trail: AuditTrail,
    respond: impl FnOnce(&Account) -> ApiResult<Created> + Send + 'static,
) -> ApiResult<Created> {
    let checked = check(input)?;
    let hash = state.hasher.hash(checked.password.expose().to_owned()).await?;
    let t = now();
    let account = Account {
        id: new_id(),
        role: checked.role,
        organisation_id: checked.organisation_id,
        email: Some(checked.email.into_inner()),
        phone: None,
        password_hash: hash,
        full_name: checked.full_name.into_inner(),
        preferred_language: "zh-Hant".into(),
        status: accounts::ACTIVE,
        created_at: t,
        updated_at: t,
        // Provisioned by an administrator of the organisation, which vouches for it.
        email_verified: true,
        phone_verified: false,
    };
    state
        .db
        .write(move |conn| {
            if let Some(org) = &account.organisation_id {
                require_organisation(conn, org)?;
            }
            if accounts::login_taken(conn, account.email.as_deref().unwrap_or_default(), None)? {
                return Err(ApiError::conflict(ErrorCode::LoginTaken, "this email is already registered"));
            }
            accounts::insert(conn, &account)?;
            let created = respond(&account)?;
            created.remember(conn, record.as_ref())?;
            trail.set_target("account", &account.id);
            trail.write_in(conn, 201)?;
            Ok(created)
        })
        .await
}

/// Disables a staff or admin account and ends its sessions: refresh tokens at once, access tokens on
/// this instance at once and on the others within seconds. Admins cannot lock themselves out.
pub async fn disable(state: &AppState, caller: Admin, id: String, trail: AuditTrail) -> ApiResult<Account> {
    let (account, ended) = state
        .db
        .write(move |conn| {
            let account = staff::find(conn, &id)?;
            if account.id == caller.id {
                return Err(ApiError::conflict(
                    ErrorCode::CannotDisableSelf,
                    "an admin cannot disable their own account",
                ));
            }
            let t = now();
            staff::disable(conn, &id, t)?;
            let ended = sessions::revoke_all(conn, &id, None, "account_disabled", t)?;
            trail.write_in(conn, 200)?;
            Ok((Account { status: accounts::DISABLED, updated_at: t, ..account }, ended))
        })
        .await?;
    // Access tokens name their session; they are refused until they would have expired anyway.
    state.revocations.add(ended, state.tokens.ttl + Duration::from_secs(60));
    Ok(account)
}
