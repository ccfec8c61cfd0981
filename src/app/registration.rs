//! A resident registers an account. Anonymous: the audit row names the new account as its own actor,
//! and idempotent replays are answered (by the caller of [`register`]) before any of this runs, so a
//! retry neither hashes a password nor writes anything.

use crate::app::contact_codes as codes;
use crate::app::login_throttle::address_key;
use crate::audit::Audit;
use crate::context::RequestContext;
use crate::db::types::{new_id, now};
use crate::domain::FieldError;
use crate::domain::channel::{Channel, Contact};
use crate::domain::contact::{Email, Phone};
use crate::domain::locale::Locale;
use crate::domain::password::NewPassword;
use crate::domain::person::check_full_name;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::idempotency::{Created, Recorded};
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::contact_verifications::Verification;
use crate::store::throttle;

/// What a resident gives to register.
pub struct Registration {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: crate::config::Secret,
    pub full_name: String,
    pub preferred_language: Option<String>,
}

/// The 409 for an email or phone number that belongs to another account.
pub fn login_taken() -> ApiError {
    ApiError::conflict(ErrorCode::LoginTaken, "this email or phone number is already registered")
}

/// A preferred language: one of the four the platform speaks; `zh-Hant` when none is given.
pub fn parse_language(raw: Option<&str>, errors: &mut Vec<FieldError>) -> Locale {
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

fn given(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().filter(|v| !v.trim().is_empty())
}

/// A valid registration, every field problem reported at once.
struct Checked {
    email: Option<Email>,
    phone: Option<Phone>,
    password: NewPassword,
    full_name: String,
    language: Locale,
}

fn check(input: Registration) -> ApiResult<Checked> {
    let mut errors = Vec::new();
    let email = given(&input.email)
        .and_then(|e| Email::parse(e).map_err(|err| errors.push(err.field_error("email"))).ok());
    let phone = given(&input.phone)
        .and_then(|p| Phone::parse(p).map_err(|err| errors.push(err.field_error("phone"))).ok());
    if given(&input.email).is_none() && given(&input.phone).is_none() {
        errors.push(FieldError::new("email", "required", "give an email address or a phone number"));
    }
    let full_name = check_full_name(&input.full_name, &mut errors);
    let language = parse_language(input.preferred_language.as_deref(), &mut errors);
    // The password may not be, or contain, the person's own details.
    let mut context: Vec<String> = vec![full_name.clone()];
    context.extend(email.as_ref().map(|e| e.local_part().to_owned()));
    context.extend(phone.as_ref().map(|p| p.as_str().trim_start_matches('+').to_owned()));
    let context: Vec<&str> = context.iter().map(String::as_str).collect();
    let password = NewPassword::parse(input.password.expose(), &context)
        .map_err(|err| errors.push(err.field_error("password")))
        .ok();
    match password {
        Some(password) if errors.is_empty() => Ok(Checked { email, phone, password, full_name, language }),
        _ => Err(ApiError::validation(errors)),
    }
}

/// Creates a resident account and sends a code to each contact given, which `confirmContactChange`
/// takes to mark it proven. `respond` turns the new account and its pending verifications into the 201
/// answer that an idempotent retry gets again (without new codes).
pub async fn register(
    state: &AppState,
    ctx: RequestContext,
    input: Registration,
    record: Option<Recorded>,
    respond: impl FnOnce(&Account, &[Verification]) -> ApiResult<Created> + Send + 'static,
) -> ApiResult<Created> {
    let checked = check(input)?;
    // Counted per address before anything costly, and the contacts checked before the password is
    // hashed, so neither a flood of sign-ups nor probing for registered contacts costs a hash each.
    let key = format!("register:{}", address_key(&ctx.ip));
    let (limit, window) = (state.config.register_max_per_address, state.config.register_window);
    let window = chrono::Duration::seconds(window.as_secs() as i64);
    let contacts: Vec<String> =
        [checked.email.as_ref().map(Email::as_str), checked.phone.as_ref().map(Phone::as_str)]
            .into_iter()
            .flatten()
            .map(str::to_owned)
            .collect();
    let blocked = state
        .db
        .write(move |conn| {
            let t = now();
            if let Some(secs) = throttle::blocked_for(conn, std::slice::from_ref(&key), t)? {
                return Ok(Some(secs));
            }
            if throttle::record_failure(conn, &key, limit, window, t)? > limit as i32 {
                return Ok(Some(throttle::blocked_for(conn, &[key], t)?.unwrap_or(30)));
            }
            for taken in &contacts {
                if accounts::login_taken(conn, taken, None)? {
                    return Err(login_taken());
                }
            }
            Ok(None)
        })
        .await?;
    if let Some(secs) = blocked {
        return Err(ApiError::rate_limited(secs));
    }
    let hash = state.hasher.hash(checked.password.expose().to_owned()).await?;
    let t = now();
    let account = Account {
        id: new_id(),
        role: crate::auth::Role::Resident,
        organisation_id: None,
        email: checked.email.map(Email::into_inner),
        phone: checked.phone.map(Phone::into_inner),
        password_hash: hash,
        full_name: checked.full_name,
        preferred_language: checked.language.as_str().into(),
        status: accounts::AccountStatus::Active,
        created_at: t,
        updated_at: t,
        email_verified: false,
        phone_verified: false,
    };
    let created = state
        .db
        .write(move |conn| {
            // Again inside the transaction: another registration may have taken it while hashing.
            for taken in [account.email.as_deref(), account.phone.as_deref()].into_iter().flatten() {
                if accounts::login_taken(conn, taken, None)? {
                    return Err(login_taken());
                }
            }
            accounts::insert(conn, &account).map_err(|e| ApiError::unique_or(e, login_taken))?;
            Audit::by_account(account.role, &account.id, None, &ctx, "account.register")
                .target("account", &account.id)
                .subject(&account.id)
                .result(201)
                .write(conn)?;
            let mut pending = Vec::new();
            let mut messages = Vec::new();
            for channel in [Channel::Email, Channel::Phone] {
                if let Some(value) = account.contact(channel).0 {
                    let contact = Contact { channel, value: value.to_owned() };
                    let (verification, message) = codes::issue(conn, &account, &contact, t)?;
                    pending.push(verification);
                    messages.push(message);
                }
            }
            let created = respond(&account, &pending)?.about(&account.id);
            created.remember(conn, record.as_ref())?;
            codes::queue(conn, &account, &messages)?;
            Ok(created)
        })
        .await?;
    Ok(created)
}
