//! The organisation side: staff and API clients work through their organisation's applications.
//! Every lookup is scoped to the caller's organisation, so another organisation's application is simply
//! not found. Refusals follow the contract's order: not found, not yours to act on, precondition, state,
//! then the request body itself.

use std::sync::Arc;

use chrono::NaiveDateTime;

use crate::app::caller::{OrgActor, OrgReader, OrgRole, OrgWriter, Supervisor};
use crate::app::permit_issue;
use crate::app::precondition::IfMatch;
use crate::app::workflow::{self, Actor};
use crate::audit::AuditTrail;
use crate::auth::permit_keys::PermitKeys;
use crate::db::Db;
use crate::db::types::{new_id, now};
use crate::domain::status::{Action, ApplicationStatus, transition};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::idempotency::{Created, Recorded};
use crate::store::accounts::{self, Account};
use crate::store::applications::{self as store, Application, Document, Event, QueueFilter};

/// Longest internal note and longest comment to the resident, in characters.
pub const MAX_NOTE_CHARS: usize = 4000;
pub const MAX_COMMENT_CHARS: usize = 2000;

fn actor(a: &OrgActor) -> Actor {
    Actor { actor_type: a.actor_type(), id: a.id.clone() }
}

/// Which applications a queue page shows; the assignee may be `me` or `none`.
pub struct QueueQuery {
    pub statuses: Vec<ApplicationStatus>,
    pub assignee: Option<String>,
    pub service_id: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
}

/// One page of the organisation's queue, earliest due date first; `limit` rows after the cursor.
pub async fn queue(
    db: &Db,
    OrgReader(caller): OrgReader,
    query: QueueQuery,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> ApiResult<Vec<Application>> {
    let assignee = match query.assignee.as_deref() {
        None => None,
        Some("none") => Some(None),
        Some("me") => Some(Some(caller.id.clone())),
        Some(id) => Some(Some(id.to_owned())),
    };
    let filter = QueueFilter {
        statuses: query.statuses,
        assignee,
        service_id: query.service_id,
        updated_since: query.updated_since,
    };
    let org = caller.organisation_id;
    db.run(move |conn| Ok(store::queue(conn, &org, filter, after, limit)?)).await
}

/// One application with its documents.
pub async fn get(
    db: &Db,
    OrgReader(caller): OrgReader,
    id: String,
    trail: AuditTrail,
) -> ApiResult<(Application, Vec<Document>)> {
    db.run(move |conn| {
        let app = store::find_for_organisation(conn, &id, &caller.organisation_id)?;
        trail.set_subject(&app.resident_id);
        let documents = store::list_documents(conn, &app.id)?;
        Ok((app, documents))
    })
    .await
}

/// Who an application is given to; `None` means the caller.
pub struct AssignInput {
    pub assignee_id: Option<String>,
}

/// Officers take unassigned applications for themselves; supervisors and API clients assign anyone of
/// the organisation's active staff.
pub async fn assign(
    db: &Db,
    OrgWriter(caller): OrgWriter,
    id: String,
    if_match: IfMatch,
    input: ApiResult<AssignInput>,
    trail: AuditTrail,
) -> ApiResult<(Application, Vec<Document>)> {
    db.write(move |conn| {
        let org = &caller.organisation_id;
        let app = store::find_for_organisation(conn, &id, org)?;
        trail.set_subject(&app.resident_id);
        if caller.role == OrgRole::Officer && app.assignee_id.as_deref().is_some_and(|a| a != caller.id) {
            return Err(ApiError::new(
                ErrorCode::AssignedToOther,
                "the application is assigned to another officer",
            ));
        }
        if_match.check(app.version, false)?;
        if app.status.is_terminal() {
            return Err(ApiError::conflict(
                ErrorCode::ApplicationClosed,
                "a decided or withdrawn application cannot be assigned",
            ));
        }
        let assignee = match (input?.assignee_id, caller.role) {
            (Some(a), _) => a,
            (None, OrgRole::Client) => {
                return Err(ApiError::field("assignee_id", "required", "API clients must name the assignee"));
            }
            (None, _) => caller.id.clone(),
        };
        if caller.role == OrgRole::Officer && assignee != caller.id {
            return Err(ApiError::forbidden(
                "officers may only take unassigned applications, for themselves",
            ));
        }
        if accounts::find_active_staff(conn, &assignee, org)?.is_none() {
            return Err(ApiError::field(
                "assignee_id",
                "unknown",
                "not an active staff member of this organisation",
            ));
        }
        let mut next = app.clone();
        next.assignee_id = Some(assignee.clone());
        next.version += 1;
        next.updated_at = now();
        if !store::save_if_version(conn, &next, app.version)? {
            return Err(ApiError::precondition_failed());
        }
        store::insert_event(conn, &internal_event(&app.id, &caller, "assign", assignee, next.updated_at))?;
        let documents = store::list_documents(conn, &next.id)?;
        trail.write_in(conn, 200)?;
        Ok((next, documents))
    })
    .await
}

/// An event the resident does not see (assignment, internal note).
fn internal_event(app_id: &str, caller: &OrgActor, action: &str, text: String, at: NaiveDateTime) -> Event {
    Event {
        id: new_id(),
        application_id: app_id.to_owned(),
        actor_type: caller.actor_type().into(),
        actor_id: Some(caller.id.clone()),
        action: action.into(),
        from_status: None,
        to_status: None,
        comment: Some(text),
        visible_to_resident: false,
        created_at: at,
    }
}

/// A review step and its comment to the resident.
pub struct TransitionInput {
    pub action: String,
    pub comment: Option<String>,
}

/// Moves an application through review. Officers act on applications assigned to them or unassigned;
/// supervisors and API clients on any of the organisation's.
pub async fn transition_application(
    db: &Db,
    permit_keys: Arc<PermitKeys>,
    OrgWriter(caller): OrgWriter,
    id: String,
    if_match: IfMatch,
    input: ApiResult<TransitionInput>,
    trail: AuditTrail,
) -> ApiResult<(Application, Vec<Document>)> {
    db.write(move |conn| {
        let app = store::find_for_organisation(conn, &id, &caller.organisation_id)?;
        trail.set_subject(&app.resident_id);
        if caller.role == OrgRole::Officer && app.assignee_id.as_deref().is_some_and(|a| a != caller.id) {
            return Err(ApiError::new(
                ErrorCode::AssignedToOther,
                "the application is assigned to another officer",
            ));
        }
        if_match.check(app.version, true)?;
        let input = input?;
        let action = Action::parse(&input.action).filter(|a| !a.by_resident()).ok_or_else(|| {
            ApiError::field(
                "action",
                "invalid_option",
                "action must be start_review, request_info, approve or reject",
            )
        })?;
        let from = app.status;
        if transition(from, action).is_err() {
            return Err(workflow::invalid_transition(from, action));
        }
        let comment = input.comment.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
        if action.needs_comment() && comment.is_none() {
            return Err(ApiError::field(
                "comment",
                "required",
                format!("{} needs a comment for the resident", action.as_str()),
            ));
        }
        if comment.as_ref().is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
            return Err(ApiError::field(
                "comment",
                "too_long",
                format!("comment must be at most {MAX_COMMENT_CHARS} characters"),
            ));
        }
        let next = workflow::apply(conn, &app, action, &actor(&caller), comment)?;
        if action == Action::Approve {
            permit_issue::issue_on_approval(conn, &permit_keys, &next, next.updated_at)?;
        }
        let documents = store::list_documents(conn, &next.id)?;
        trail.write_in(conn, 200)?;
        Ok((next, documents))
    })
    .await
}

/// Adds an internal note; the application's version does not change and the resident never sees it.
/// `respond` turns the stored note into the 201 answer that an idempotent retry gets again.
pub async fn add_note(
    db: &Db,
    OrgWriter(caller): OrgWriter,
    id: String,
    text: ApiResult<String>,
    record: Option<Recorded>,
    trail: AuditTrail,
    respond: impl FnOnce(&Event) -> ApiResult<Created> + Send + 'static,
) -> ApiResult<Created> {
    db.write(move |conn| {
        let app = store::find_for_organisation(conn, &id, &caller.organisation_id)?;
        trail.set_subject(&app.resident_id);
        let text = text?.trim().to_owned();
        if text.is_empty() || text.chars().count() > MAX_NOTE_CHARS {
            return Err(ApiError::field(
                "text",
                "invalid_length",
                format!("text must be 1 to {MAX_NOTE_CHARS} characters"),
            ));
        }
        let event = internal_event(&app.id, &caller, "note", text, now());
        store::insert_event(conn, &event)?;
        workflow::queue_webhook(
            conn,
            &app,
            "application.note_added",
            serde_json::json!({"note_id": event.id}),
        )?;
        let created = respond(&event)?;
        created.remember(conn, record.as_ref())?;
        trail.write_in(conn, 201)?;
        Ok(created)
    })
    .await
}

/// A document of one of the organisation's applications, for download.
pub async fn document(
    db: &Db,
    OrgReader(caller): OrgReader,
    application_id: String,
    document_id: String,
    trail: AuditTrail,
) -> ApiResult<Document> {
    db.run(move |conn| {
        let app = store::find_for_organisation(conn, &application_id, &caller.organisation_id)?;
        trail.set_subject(&app.resident_id);
        Ok(store::find_document(conn, &application_id, &document_id)?)
    })
    .await
}

/// The organisation's active staff, for a supervisor choosing an assignee.
pub async fn staff(db: &Db, caller: Supervisor) -> ApiResult<Vec<Account>> {
    db.run(move |conn| Ok(accounts::active_staff(conn, &caller.organisation_id)?)).await
}
