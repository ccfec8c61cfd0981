//! A resident's privacy rights: a copy of everything held about them, and erasure of their account.
//!
//! Erasure is a policy, not a cascade: organisations must keep the record of what they decided, so an
//! application that was ever submitted survives as reference, service, status, decision and dates,
//! while everything that says who the resident is goes.

use diesel::Connection;

use crate::app::caller::Resident;
use crate::app::permit_issue::permit_event;
use crate::app::sessions::revocation_keep;
use crate::app::workflow::{self, Actor};
use crate::audit::AuditTrail;
use crate::db::Db;
use crate::db::types::now;
use crate::domain::status::{Action, ApplicationStatus};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::applications::{self as applications, Application, Document, Event, Notification};
use crate::store::audit::AuditEvent;
use crate::store::contact_verifications;
use crate::store::identity_documents::{self as identity_documents, IdentityDocument};
use crate::store::permits;
use crate::store::privacy as store;
use crate::store::sessions::{self, Session};

/// More events than any application gathers: the export holds each application's whole history.
const MAX_EVENTS_PER_APPLICATION: i64 = 10_000;

/// One application with the history and documents its resident may see.
pub struct ExportedApplication {
    pub application: Application,
    pub events: Vec<Event>,
    pub documents: Vec<Document>,
}

/// Everything held about a resident.
pub struct Export {
    pub account: Account,
    pub identity_documents: Vec<IdentityDocument>,
    pub sessions: Vec<Session>,
    pub applications: Vec<ExportedApplication>,
    pub notifications: Vec<Notification>,
    pub permits: Vec<(permits::Permit, permits::Credential)>,
    pub devices: Vec<crate::store::devices::Device>,
    /// Audit events about the resident's account and applications.
    pub activity: Vec<AuditEvent>,
}

/// Everything held about the caller, read in one transaction so that the parts agree.
pub async fn export(db: &Db, caller: Resident, trail: AuditTrail) -> ApiResult<Export> {
    trail.set_target("account", &caller.id);
    trail.set_subject(&caller.id);
    db.run(move |conn| {
        conn.transaction::<_, ApiError, _>(|conn| {
            let id = &caller.id;
            let mut exported = Vec::new();
            for application in store::applications(conn, id)? {
                let events =
                    applications::list_events(conn, &application.id, true, None, MAX_EVENTS_PER_APPLICATION)?;
                let documents = applications::list_documents(conn, &application.id)?;
                exported.push(ExportedApplication { application, events, documents });
            }
            Ok(Export {
                account: accounts::find(conn, id)?,
                identity_documents: identity_documents::list(conn, id)?,
                sessions: sessions::all_of(conn, id)?,
                applications: exported,
                notifications: store::notifications(conn, id)?,
                permits: permits::list_for_resident(conn, id, None, i64::MAX)?,
                devices: crate::store::devices::list(conn, id)?,
                activity: store::activity(conn, id)?,
            })
        })
    })
    .await
}

/// Erases the caller's account. Open applications are withdrawn (their organisations hear of it),
/// permits revoked (partners hear of it) and their payloads erased, and
/// drafts deleted; documents, identity documents and notifications are deleted; every session ends and
/// forgets its device; names, contacts and form data are replaced with tombstones. Uploaded files are
/// removed once the erasure has committed.
pub async fn erase(state: &AppState, caller: Resident, trail: AuditTrail) -> ApiResult<()> {
    trail.set_target("account", &caller.id);
    trail.set_subject(&caller.id);
    let (ended, files) = state
        .db
        .write(move |conn| {
            let t = now();
            let id = &caller.id;
            let actor = Actor { actor_type: "resident", id: id.clone() };
            let files = store::document_storage_keys(conn, id)?;
            for (application_id, status) in store::application_statuses(conn, id)? {
                match status {
                    ApplicationStatus::Draft => {
                        // Never submitted: no organisation has a claim on it.
                        store::delete_application(conn, &application_id, id)?;
                        continue;
                    }
                    ApplicationStatus::Submitted | ApplicationStatus::NeedsInfo => {
                        let application = applications::find_for_resident(conn, &application_id, id)?;
                        workflow::apply(conn, &application, Action::Withdraw, &actor, None)?;
                    }
                    _ => {}
                }
                store::delete_documents(conn, &application_id)?;
                store::blank_form_data(conn, &application_id, id, t)?;
            }
            // A permit names its holder and cannot outlive the account: revoked, its payload erased.
            for permit in permits::erase_for_resident(conn, id, "account deleted", t)? {
                let application = applications::find_for_resident(conn, &permit.application_id, id)?;
                workflow::queue_webhook(conn, &application, "permit.revoked", permit_event(&permit))?;
            }
            // After the withdrawals, which notify the resident.
            store::delete_notifications(conn, id)?;
            identity_documents::delete_all(conn, id)?;
            contact_verifications::delete_all(conn, id)?;
            let ended = sessions::revoke_all(conn, id, None, "account_deleted", t)?;
            sessions::forget_devices(conn, id)?;
            // Stored first answers of the resident's creates hold their data (and a registration's
            // answer their contacts): replays end with the account.
            crate::store::idempotency::delete_for_account(conn, id)?;
            crate::app::messages::forget_account(conn, id)?;
            accounts::erase(conn, id, t)?;
            trail.write_in(conn, 204)?;
            Ok((ended, files))
        })
        .await?;
    state.revocations.add(ended, revocation_keep(state));
    let dir = state.config.data_dir.join("documents");
    // A file left behind is only disk space: its row, the only way to reach it, is gone.
    let removal = tokio::task::spawn_blocking(move || {
        for key in files {
            if let Err(e) = std::fs::remove_file(dir.join(&key))
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(error = %e, "could not remove an erased resident's file");
            }
        }
    });
    if let Err(e) = removal.await {
        tracing::warn!(error = %e, "removing an erased resident's files stopped");
    }
    Ok(())
}
