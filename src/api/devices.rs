//! A resident's push devices and notification preferences, over HTTP. Rules live in `app::devices`.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::pagination::Page;
use crate::app::caller::Resident;
use crate::app::devices::{self, NewDevice};
use crate::audit::AuditTrail;
use crate::db::types::utc;
use crate::domain::preferences::{Category, Channel, Preferences, Switches};
use crate::error::{ApiResult, Problem};
use crate::http::json::Json;
use crate::idempotency::{Create, Created};
use crate::state::AppState;
use crate::store::devices::Device;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"platform": "ios", "push_token": "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad", "app_version": "2.4.0", "locale": "zh-Hant-MO"}))]
pub struct RegisterDevice {
    /// `android`, `ios` or `web`.
    pub platform: String,
    /// The token FCM (Android, web) or APNs (iOS) gave the app.
    pub push_token: String,
    pub app_version: Option<String>,
    /// The device's language tag; messages follow the account's preferred language.
    pub locale: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeviceView {
    pub id: String,
    pub platform: String,
    pub app_version: String,
    pub locale: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Device> for DeviceView {
    fn from(d: Device) -> Self {
        Self {
            id: d.id,
            platform: d.platform,
            app_version: d.app_version,
            locale: d.locale,
            created_at: utc(d.created_at),
            updated_at: utc(d.updated_at),
        }
    }
}

/// Register a device for push messages
///
/// Tied to the session that registers it: logging that session out removes it. Registering the same
/// token again updates it.
#[utoipa::path(
    tag = "me",
    operation_id = "registerDevice",
    security(("bearer" = [])),
    request_body = RegisterDevice,
    responses(
        (status = 201, description = "The device.", body = DeviceView,
            headers(("Location" = String, description = "URL of the device list"))),
        (status = 409, description = "The account has as many devices as it may (`device_limit_reached`).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown platform or invalid token.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/me/devices")]
pub async fn register_device(
    caller: Resident,
    state: web::Data<AppState>,
    trail: AuditTrail,
    body: Json<RegisterDevice>,
    create: Create,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let input = NewDevice {
        platform: b.platform,
        push_token: b.push_token,
        app_version: b.app_version,
        locale: b.locale,
    };
    let max = state.config.messaging.max_devices_per_account;
    create
        .run(|record| devices::register(&state.db, caller, input, max, record, trail, device_registered))
        .await
}

fn device_registered(device: &Device) -> ApiResult<Created> {
    Created::new("/v1/me/devices".into(), None, &DeviceView::from(device.clone()))
}

/// List the caller's devices
#[utoipa::path(
    tag = "me",
    operation_id = "listMyDevices",
    security(("bearer" = [])),
    responses((status = 200, description = "The devices, oldest first.", body = Page<DeviceView>))
)]
#[get("/me/devices")]
pub async fn list_my_devices(caller: Resident, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let items = devices::list(&state.db, caller).await?.into_iter().map(DeviceView::from).collect();
    Ok(HttpResponse::Ok().json(Page::<DeviceView> { items, next_cursor: None }))
}

/// Remove a device
///
/// It receives nothing more; messages still queued for it are dropped.
#[utoipa::path(
    tag = "me",
    operation_id = "deleteDevice",
    security(("bearer" = [])),
    params(("device_id" = String, Path, description = "Device id")),
    responses(
        (status = 204, description = "Removed."),
        (status = 404, description = "No such device of the caller.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/me/devices/{device_id}")]
pub async fn delete_device(
    caller: Resident,
    state: web::Data<AppState>,
    trail: AuditTrail,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    devices::delete(&state.db, caller, path.into_inner(), trail).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Which channels one group of events reaches.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChannelSwitches {
    pub push: bool,
    pub email: bool,
    pub sms: bool,
}

/// Which events reach the resident on which channel. `security` (a new login, a contact or password
/// change) is always on.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationPreferences {
    /// Submitted, in review, withdrawn.
    pub status_changes: ChannelSwitches,
    /// The organisation asks for more information.
    pub information_requests: ChannelSwitches,
    /// Approved or rejected.
    pub decisions: ChannelSwitches,
    pub security: ChannelSwitches,
}

impl From<Preferences> for NotificationPreferences {
    fn from(p: Preferences) -> Self {
        let switches = |c: Category| ChannelSwitches {
            push: p.allows(c, Channel::Push),
            email: p.allows(c, Channel::Email),
            sms: p.allows(c, Channel::Sms),
        };
        Self {
            status_changes: switches(Category::StatusChanges),
            information_requests: switches(Category::InformationRequests),
            decisions: switches(Category::Decisions),
            security: switches(Category::Security),
        }
    }
}

/// Switches to change; what is left out stays as it is.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SwitchChanges {
    pub push: Option<bool>,
    pub email: Option<bool>,
    pub sms: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"status_changes": {"email": true}, "decisions": {"sms": true}}))]
pub struct UpdateNotificationPreferences {
    pub status_changes: Option<SwitchChanges>,
    pub information_requests: Option<SwitchChanges>,
    pub decisions: Option<SwitchChanges>,
    /// Only `true` is accepted: security alerts cannot be turned off.
    pub security: Option<SwitchChanges>,
}

/// Get the caller's notification preferences
#[utoipa::path(
    tag = "me",
    operation_id = "getNotificationPreferences",
    security(("bearer" = [])),
    responses((status = 200, description = "The preferences, defaults included.", body = NotificationPreferences))
)]
#[get("/me/notification-preferences")]
pub async fn get_notification_preferences(
    caller: Resident,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let prefs = devices::preferences(&state.db, caller).await?;
    Ok(HttpResponse::Ok().json(NotificationPreferences::from(prefs)))
}

/// Change the caller's notification preferences
#[utoipa::path(
    tag = "me",
    operation_id = "updateNotificationPreferences",
    security(("bearer" = [])),
    request_body = UpdateNotificationPreferences,
    responses(
        (status = 200, description = "The preferences as they are now.", body = NotificationPreferences),
        (status = 422, description = "A security alert was turned off (`always_on`).", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/me/notification-preferences")]
pub async fn update_notification_preferences(
    caller: Resident,
    state: web::Data<AppState>,
    trail: AuditTrail,
    body: Json<UpdateNotificationPreferences>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let mut changes = BTreeMap::new();
    for (category, given) in [
        (Category::StatusChanges, b.status_changes),
        (Category::InformationRequests, b.information_requests),
        (Category::Decisions, b.decisions),
        (Category::Security, b.security),
    ] {
        let Some(given) = given else { continue };
        let switches: Switches =
            [(Channel::Push, given.push), (Channel::Email, given.email), (Channel::Sms, given.sms)]
                .into_iter()
                .filter_map(|(c, on)| on.map(|on| (c, on)))
                .collect();
        changes.insert(category, switches);
    }
    let prefs = devices::update_preferences(&state.db, caller, changes, trail).await?;
    Ok(HttpResponse::Ok().json(NotificationPreferences::from(prefs)))
}
