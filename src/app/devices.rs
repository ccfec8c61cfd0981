//! A resident's push devices and notification preferences. Lookups carry the caller, so another
//! resident's device is simply not found.

use std::collections::BTreeMap;

use crate::app::caller::Resident;
use crate::app::messages::preferences_of;
use crate::audit::AuditTrail;
use crate::db::Db;
use crate::db::types::{new_id, now};
use crate::domain::FieldError;
use crate::domain::preferences::{Category, Preferences, Switches};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::idempotency::{Created, Recorded};
use crate::store::devices::{self as store, Device};

pub const PLATFORMS: [&str; 3] = ["android", "ios", "web"];
const MAX_TOKEN_LEN: usize = 4096;

/// A device to register, as the app sends it.
pub struct NewDevice {
    pub platform: String,
    pub push_token: String,
    pub app_version: Option<String>,
    pub locale: Option<String>,
}

fn checked(input: NewDevice) -> ApiResult<NewDevice> {
    let mut errors = Vec::new();
    if !PLATFORMS.contains(&input.platform.as_str()) {
        errors.push(FieldError::new("platform", "invalid_option", "platform must be android, ios or web"));
    }
    let token = input.push_token.trim();
    if token.is_empty()
        || token.len() > MAX_TOKEN_LEN
        || token.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        errors.push(FieldError::new(
            "push_token",
            "invalid_token",
            format!("push_token must be 1-{MAX_TOKEN_LEN} characters without spaces"),
        ));
    }
    let short = |field: &str, value: &Option<String>, max: usize, errors: &mut Vec<FieldError>| {
        if value.as_ref().is_some_and(|v| v.chars().count() > max || v.chars().any(char::is_control)) {
            errors.push(FieldError::new(field, "too_long", format!("{field} has at most {max} characters")));
        }
    };
    short("app_version", &input.app_version, 64, &mut errors);
    short("locale", &input.locale, 35, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(NewDevice { push_token: token.to_owned(), ..input })
}

/// Registers the caller's device for push messages, tied to the session that registers it. The same
/// token registered again is updated in place; a token another account held moves to the caller.
pub async fn register(
    db: &Db,
    caller: Resident,
    input: NewDevice,
    max_devices: u32,
    record: Option<Recorded>,
    trail: AuditTrail,
    respond: impl FnOnce(&Device) -> ApiResult<Created> + Send + 'static,
) -> ApiResult<Created> {
    trail.set_subject(&caller.id);
    let input = checked(input)?;
    db.write(move |conn| {
        let t = now();
        let known = store::find_by_token(conn, &caller.id, &input.platform, &input.push_token)?;
        if known.is_none() && store::count(conn, &caller.id)? >= i64::from(max_devices) {
            return Err(ApiError::conflict(
                ErrorCode::DeviceLimitReached,
                format!("an account may have at most {max_devices} devices; delete one first"),
            ));
        }
        let device = Device {
            id: known.as_ref().map(|d| d.id.clone()).unwrap_or_else(new_id),
            account_id: caller.id.clone(),
            session_id: caller.session_id.clone(),
            platform: input.platform,
            push_token: input.push_token,
            app_version: input.app_version.unwrap_or_default(),
            locale: input.locale.unwrap_or_default(),
            created_at: known.map(|d| d.created_at).unwrap_or(t),
            updated_at: t,
        };
        store::upsert(conn, &device)?;
        trail.set_target("device", &device.id);
        let created = respond(&device)?;
        created.remember(conn, record.as_ref())?;
        trail.write_in(conn, 201)?;
        Ok(created)
    })
    .await
}

/// The caller's devices, oldest first.
pub async fn list(db: &Db, caller: Resident) -> ApiResult<Vec<Device>> {
    db.run(move |conn| Ok(store::list(conn, &caller.id)?)).await
}

/// Removes one of the caller's devices; it receives nothing more.
pub async fn delete(db: &Db, caller: Resident, id: String, trail: AuditTrail) -> ApiResult<()> {
    trail.set_subject(&caller.id);
    db.write(move |conn| {
        if !store::delete(conn, &id, &caller.id)? {
            return Err(ApiError::not_found());
        }
        trail.write_in(conn, 204)?;
        Ok(())
    })
    .await
}

/// The caller's preferences, stored or default.
pub async fn preferences(db: &Db, caller: Resident) -> ApiResult<Preferences> {
    db.run(move |conn| preferences_of(conn, &caller.id)).await
}

/// Changes the switches given and keeps the others; turning a security alert off is refused (422).
pub async fn update_preferences(
    db: &Db,
    caller: Resident,
    changes: BTreeMap<Category, Switches>,
    trail: AuditTrail,
) -> ApiResult<Preferences> {
    trail.set_subject(&caller.id);
    db.write(move |conn| {
        let mut prefs = preferences_of(conn, &caller.id)?;
        prefs.apply(&changes).map_err(|locked| {
            ApiError::validation(
                locked
                    .into_iter()
                    .map(|l| {
                        FieldError::new(
                            format!("{}.{}", l.category.as_str(), l.channel.as_str()),
                            "always_on",
                            "security alerts cannot be turned off",
                        )
                    })
                    .collect(),
            )
        })?;
        store::save_preferences(conn, &caller.id, &prefs.to_json(), now())?;
        trail.write_in(conn, 200)?;
        Ok(prefs)
    })
    .await
}
