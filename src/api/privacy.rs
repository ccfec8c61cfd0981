//! A resident's privacy rights: a copy of everything held about them, and erasure of their account.

use actix_web::{HttpResponse, delete, get, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::applications::{ApplicationView, EventView};
use crate::api::documents::DocumentInfo;
use crate::api::me::{IdentityDocumentView, Me};
use crate::api::notifications::NotificationView;
use crate::app::workflow::{self, Actor};
use crate::audit::Audit;
use crate::auth::Principal;
use crate::context::RequestContext;
use crate::db::schema::{
    accounts as acc, applications as a, audit_events as au, notifications as n, sessions as s,
};
use crate::db::types::{now, utc};
use crate::domain::status::{Action, ApplicationStatus};
use crate::error::ApiResult;
use crate::state::AppState;
use crate::store::applications::{self as store, Application, Notification};
use crate::store::audit::AuditEvent;
use crate::store::identity_documents as iddocs;
use crate::store::{accounts, sessions};

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
    /// Audit events about the resident's account and applications.
    pub activity: Vec<ExportedAccess>,
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
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
) -> ApiResult<HttpResponse> {
    let id = p.resident()?.to_owned();
    let audit = Audit::by(&p, &ctx, "account.export").target("account", &id).subject(&id);
    let export = state
        .db
        .write(move |conn| {
            let account = accounts::find(conn, &id)?;
            let docs = iddocs::list(conn, &id)?;
            let sess: Vec<sessions::Session> =
                s::table.filter(s::account_id.eq(&id)).order(s::created_at.asc()).load(conn)?;
            let apps: Vec<Application> =
                a::table.filter(a::resident_id.eq(&id)).order(a::created_at.asc()).load(conn)?;
            let mut applications = Vec::with_capacity(apps.len());
            for app in apps {
                let events = store::list_events(conn, &app.id, true, None, 10_000)?;
                let documents = store::list_documents(conn, &app.id)?;
                applications.push(ExportedApplication {
                    application: ApplicationView::new(app, false),
                    events: events.into_iter().map(EventView::from).collect(),
                    documents: documents.into_iter().map(DocumentInfo::from).collect(),
                });
            }
            let notes: Vec<Notification> =
                n::table.filter(n::account_id.eq(&id)).order(n::created_at.asc()).load(conn)?;
            let activity: Vec<AuditEvent> = au::table
                .filter(au::subject_account_id.eq(&id))
                .order((au::created_at.asc(), au::id.asc()))
                .load(conn)?;
            audit.write(conn)?;
            Ok(DataExport {
                exported_at: Utc::now(),
                account: Me::from(account),
                identity_documents: docs.into_iter().map(IdentityDocumentView::from).collect(),
                sessions: sess
                    .into_iter()
                    .map(|x| ExportedSession {
                        id: x.id,
                        created_at: utc(x.created_at),
                        last_used_at: utc(x.last_used_at),
                        revoked_at: x.revoked_at.map(utc),
                        user_agent: x.user_agent,
                        ip: x.ip,
                    })
                    .collect(),
                applications,
                notifications: notes.into_iter().map(NotificationView::from).collect(),
                activity: activity
                    .into_iter()
                    .map(|e| ExportedAccess {
                        actor_type: e.actor_type,
                        organisation_id: e.organisation_id,
                        action: e.action,
                        target_type: e.target_type,
                        target_id: e.target_id,
                        result: e.result,
                        created_at: utc(e.created_at),
                    })
                    .collect(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Content-Disposition", "attachment; filename=\"qinaotong-export.json\""))
        .json(export))
}

/// Delete the caller's account
///
/// Withdraws open applications; deletes drafts, uploaded files, identity documents and notifications;
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
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
) -> ApiResult<HttpResponse> {
    let id = p.resident()?.to_owned();
    let audit = Audit::by(&p, &ctx, "account.delete").target("account", &id).subject(&id).result(204);
    let (ended, files) = state
        .db
        .write(move |conn| {
            let t = now();
            let actor = Actor { actor_type: "resident", id: id.clone() };
            let apps: Vec<Application> = a::table.filter(a::resident_id.eq(&id)).load(conn)?;
            let mut files = Vec::new();
            for app in apps {
                files.extend(store::list_documents(conn, &app.id)?.into_iter().map(|d| d.storage_key));
                match app.status {
                    ApplicationStatus::Draft => {
                        diesel::delete(a::table.find(&app.id)).execute(conn)?;
                        continue;
                    }
                    ApplicationStatus::Submitted | ApplicationStatus::NeedsInfo => {
                        workflow::apply(conn, &app, Action::Withdraw, &actor, None)?;
                    }
                    _ => {}
                }
                diesel::delete(
                    crate::db::schema::documents::table
                        .filter(crate::db::schema::documents::application_id.eq(&app.id)),
                )
                .execute(conn)?;
                diesel::update(a::table.find(&app.id))
                    .set((a::form_data.eq("{}"), a::updated_at.eq(t)))
                    .execute(conn)?;
            }
            diesel::delete(n::table.filter(n::account_id.eq(&id))).execute(conn)?;
            iddocs::delete_all(conn, &id)?;
            let ended = sessions::revoke_all(conn, &id, None, "account_deleted", t)?;
            diesel::update(s::table.filter(s::account_id.eq(&id)))
                .set((s::user_agent.eq(""), s::ip.eq("")))
                .execute(conn)?;
            diesel::update(acc::table.find(&id))
                .set((
                    acc::full_name.eq("[deleted]"),
                    acc::email.eq(None::<String>),
                    acc::phone.eq(None::<String>),
                    acc::password_hash.eq("!"),
                    acc::status.eq(accounts::DELETED),
                    acc::updated_at.eq(t),
                ))
                .execute(conn)?;
            audit.write(conn)?;
            Ok((ended, files))
        })
        .await?;
    state.revocations.add(ended, state.tokens.ttl + std::time::Duration::from_secs(60));
    let dir = state.config.data_dir.join("documents");
    for key in files {
        let _ = std::fs::remove_file(dir.join(key));
    }
    Ok(HttpResponse::NoContent().finish())
}
