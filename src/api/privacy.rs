//! A resident's privacy rights: a copy of everything held about them, and erasure of their account.

use actix_web::{HttpResponse, delete, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::applications::{ApplicationView, EventView};
use crate::api::devices::DeviceView;
use crate::api::documents::DocumentInfo;
use crate::api::me::{IdentityDocumentView, Me};
use crate::api::notifications::NotificationView;
use crate::api::permit_views::PermitView;
use crate::app::caller::Resident;
use crate::app::privacy::{self, Export};
use crate::audit::AuditTrail;
use crate::db::types::utc;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::store::audit::AuditEvent;
use crate::store::sessions::Session;

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedApplication {
    #[serde(flatten)]
    pub application: ApplicationView,
    pub events: Vec<EventView>,
    pub documents: Vec<DocumentInfo>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedSession {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub user_agent: String,
    pub ip: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedAccess {
    pub actor_type: String,
    pub organisation_id: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub result: i32,
    pub created_at: DateTime<Utc>,
}

/// Everything held about a resident.
#[derive(Debug, Serialize, ToSchema)]
pub struct DataExport {
    pub exported_at: DateTime<Utc>,
    pub account: Me,
    pub identity_documents: Vec<IdentityDocumentView>,
    pub sessions: Vec<ExportedSession>,
    pub applications: Vec<ExportedApplication>,
    pub notifications: Vec<NotificationView>,
    /// Permits with their current credential (the QR payload), revoked ones too.
    pub permits: Vec<PermitView>,
    /// Devices registered for push messages.
    pub devices: Vec<DeviceView>,
    /// Audit events about the resident's account and applications.
    pub activity: Vec<ExportedAccess>,
}

impl From<Session> for ExportedSession {
    fn from(x: Session) -> Self {
        Self {
            id: x.id,
            created_at: utc(x.created_at),
            last_used_at: utc(x.last_used_at),
            revoked_at: x.revoked_at.map(utc),
            user_agent: x.user_agent,
            ip: x.ip,
        }
    }
}

impl From<AuditEvent> for ExportedAccess {
    fn from(e: AuditEvent) -> Self {
        Self {
            actor_type: e.actor_type,
            organisation_id: e.organisation_id,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            result: e.result,
            created_at: utc(e.created_at),
        }
    }
}

impl From<Export> for DataExport {
    fn from(x: Export) -> Self {
        Self {
            exported_at: Utc::now(),
            account: Me::from(x.account),
            identity_documents: x.identity_documents.into_iter().map(IdentityDocumentView::from).collect(),
            sessions: x.sessions.into_iter().map(ExportedSession::from).collect(),
            applications: x
                .applications
                .into_iter()
                .map(|a| ExportedApplication {
                    application: ApplicationView::new(a.application, false),
                    events: a.events.into_iter().map(EventView::from).collect(),
                    documents: a.documents.into_iter().map(DocumentInfo::from).collect(),
                })
                .collect(),
            notifications: x.notifications.into_iter().map(NotificationView::from).collect(),
            permits: x.permits.into_iter().map(|p| PermitView::new(p, false)).collect(),
            devices: x.devices.into_iter().map(DeviceView::from).collect(),
            activity: x.activity.into_iter().map(ExportedAccess::from).collect(),
        }
    }
}

/// Export everything held about the caller
///
/// Account, identity documents, sessions, applications with their history and document metadata, notifications and the activity recorded about the caller.
#[utoipa::path(
    tag = "me",
    operation_id = "exportMyData",
    security(("bearer" = [])),
    responses((status = 200, description = "The caller's data as one JSON document.", body = DataExport))
)]
#[get("/me/export")]
pub async fn export_my_data(
    caller: Resident,
    state: web::Data<AppState>,
    trail: AuditTrail,
) -> ApiResult<HttpResponse> {
    let export = DataExport::from(privacy::export(&state.db, caller, trail).await?);
    Ok(HttpResponse::Ok()
        .insert_header(("Content-Disposition", "attachment; filename=\"qinaotong-export.json\""))
        .json(export))
}

/// Delete the caller's account
///
/// Withdraws open applications; revokes permits and erases their payloads; deletes drafts, uploaded
/// files, identity documents and notifications;
/// ends every session; replaces names, contacts and form data with tombstones. Reference, service,
/// status, decision and dates of submitted applications stay, because the organisations must keep them.
#[utoipa::path(
    tag = "me",
    operation_id = "deleteMe",
    security(("bearer" = [])),
    responses((status = 204, description = "The account's personal data is erased and every session has ended."))
)]
#[delete("/me")]
pub async fn delete_me(
    caller: Resident,
    state: web::Data<AppState>,
    trail: AuditTrail,
) -> ApiResult<HttpResponse> {
    privacy::erase(&state, caller, trail).await?;
    Ok(HttpResponse::NoContent().finish())
}
