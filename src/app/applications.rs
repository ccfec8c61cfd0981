//! A resident's applications: drafting, editing, submitting, withdrawing and following their history.
//! Every lookup is scoped to the calling resident, so another resident's application is simply not
//! found. Refusals follow the contract's order: not found, precondition, state, then the request body.

use chrono::{NaiveDateTime, Utc};
use serde_json::Value;

use crate::app::caller::Resident;
use crate::app::precondition::IfMatch;
use crate::app::workflow::{self, Actor};
use crate::db::types::{new_id, now};
use crate::db::{Db, DbConn};
use crate::domain::form::{self, FormDefinition, Mode};
use crate::domain::status::{Action, ApplicationStatus};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::idempotency::{Created, Recorded};
use crate::state::AppState;
use crate::store::applications::{self as store, Application, Event, FormData, ResidentFilter};
use crate::store::catalogue;

fn actor(caller: &Resident) -> Actor {
    Actor { actor_type: "resident", id: caller.id.clone() }
}

/// The form an application is judged against: the service version it was created on.
pub fn form_of(conn: &mut DbConn, service_id: &str, version: i32) -> ApiResult<FormDefinition> {
    catalogue::find_version(conn, service_id, version)?.form_definition()
}

/// Refuses (409) to change an application the resident no longer holds; `refused` ends the sentence
/// "an application that is <status> ...".
pub fn check_accepts_changes(app: &Application, refused: &str) -> ApiResult<()> {
    if app.status.accepts_changes() {
        return Ok(());
    }
    Err(ApiError::conflict(
        ErrorCode::ApplicationNotEditable,
        format!("an application that is {} {refused}", app.status),
    ))
}

/// Checks form data and documents for submission, reporting every missing field and document at once.
fn check_submission(conn: &mut DbConn, app: &Application) -> ApiResult<()> {
    let def = form_of(conn, &app.service_id, app.service_version)?;
    let data = Value::Object(app.form_data.0.clone());
    let mut errors = form::validate(&def, &data, Mode::Submit).err().unwrap_or_default();
    let documents = store::list_documents(conn, &app.id)?;
    let kinds: Vec<&str> = documents.iter().map(|d| d.kind.as_str()).collect();
    errors.extend(form::missing_documents(&def, &kinds));
    if errors.is_empty() { Ok(()) } else { Err(ApiError::validation(errors)) }
}

/// A human reference such as `HQ-2026-000123`, dated in Macao time.
fn reference(number: i64) -> String {
    let year = Utc::now().with_timezone(&chrono_tz::Asia::Macau).format("%Y");
    format!("HQ-{year}-{number:06}")
}

/// A new application: the service, its form data (`null` means none yet) and whether to submit at once.
pub struct NewApplication {
    pub service_id: String,
    pub form_data: Value,
    pub submit: bool,
}

/// Creates a draft on the service's live form version, and submits it at once if asked (which only
/// succeeds for services that need no documents). `respond` turns the stored application into the
/// 201 answer that an idempotent retry gets again.
pub async fn create(
    state: &AppState,
    caller: Resident,
    input: NewApplication,
    record: Option<Recorded>,
    respond: impl FnOnce(&Application) -> ApiResult<Created> + Send + 'static,
) -> ApiResult<Created> {
    let max_drafts = state.config.max_open_drafts_per_resident;
    state
        .db
        .write(move |conn| {
            // Checked first, so a resident at the limit learns that whatever they sent. Created and submitted
            // at once leaves no draft open, so it is not counted.
            if !input.submit && store::count_drafts_of(conn, &caller.id)? >= i64::from(max_drafts) {
                return Err(ApiError::conflict(
                    ErrorCode::DraftLimitReached,
                    format!(
                        "a resident may have at most {max_drafts} open drafts; submit or withdraw one first"
                    ),
                ));
            }
            let service = catalogue::find_live_service(conn, &input.service_id).map_err(|e| {
                match ApiError::from(e) {
                    e if e.code == ErrorCode::NotFound => {
                        ApiError::field("service_id", "unknown", "no live service has this id")
                    }
                    e => e,
                }
            })?;
            let version = service.live_version.unwrap_or(1);
            let def = form_of(conn, &service.id, version)?;
            let data =
                if input.form_data.is_null() { Value::Object(Default::default()) } else { input.form_data };
            let normalised = form::validate(&def, &data, Mode::Draft).map_err(ApiError::validation)?;
            let t = now();
            let mut app = Application {
                id: new_id(),
                reference: reference(store::next_reference_number(conn)?),
                service_id: service.id,
                service_version: version,
                organisation_id: service.organisation_id,
                resident_id: caller.id.clone(),
                status: ApplicationStatus::Draft,
                form_data: FormData(normalised),
                assignee_id: None,
                due_at: None,
                decision_reason: None,
                submitted_at: None,
                needs_info_since: None,
                version: 1,
                created_at: t,
                updated_at: t,
            };
            store::insert(conn, &app)?;
            store::insert_event(
                conn,
                &Event {
                    id: new_id(),
                    application_id: app.id.clone(),
                    actor_type: "resident".into(),
                    actor_id: Some(caller.id.clone()),
                    action: "create".into(),
                    from_status: None,
                    to_status: Some(app.status),
                    comment: None,
                    visible_to_resident: true,
                    created_at: t,
                },
            )?;
            if input.submit {
                check_submission(conn, &app)?;
                app = workflow::apply(conn, &app, Action::Submit, &actor(&caller), None)?;
            }
            let created = respond(&app)?;
            created.remember(conn, record.as_ref())?;
            Ok(created)
        })
        .await
}

/// One page of the caller's applications, newest first; `limit` rows after the cursor.
pub async fn list(
    db: &Db,
    caller: Resident,
    filter: ResidentFilter,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> ApiResult<Vec<Application>> {
    db.run(move |conn| Ok(store::list_for_resident(conn, &caller.id, filter, after, limit)?)).await
}

/// One of the caller's applications.
pub async fn get(db: &Db, caller: Resident, id: String) -> ApiResult<Application> {
    db.first(store::of_resident(id, caller.id)).await
}

/// Replaces the form data of a draft or of an application awaiting information. `If-Match` is required;
/// the new form data is looked at only after the application, the precondition and its status passed.
pub async fn update(
    db: &Db,
    caller: Resident,
    id: String,
    if_match: IfMatch,
    form_data: ApiResult<Value>,
) -> ApiResult<Application> {
    db.write(move |conn| {
        let app = store::find_for_resident(conn, &id, &caller.id)?;
        if_match.check(app.version, true)?;
        check_accepts_changes(&app, "cannot be edited")?;
        let data = form_data?;
        let def = form_of(conn, &app.service_id, app.service_version)?;
        let normalised = form::validate(&def, &data, Mode::Draft).map_err(ApiError::validation)?;
        let mut next = app.clone();
        next.form_data = FormData(normalised);
        next.version += 1;
        next.updated_at = now();
        if !store::save_if_version(conn, &next, app.version)? {
            return Err(ApiError::precondition_failed());
        }
        Ok(next)
    })
    .await
}

/// Submits a draft, or resubmits an application that needed information, once every required field and
/// document is there. `If-Match` is honoured when present.
pub async fn submit(db: &Db, caller: Resident, id: String, if_match: IfMatch) -> ApiResult<Application> {
    db.write(move |conn| {
        let app = store::find_for_resident(conn, &id, &caller.id)?;
        if_match.check(app.version, false)?;
        let action =
            if app.status == ApplicationStatus::NeedsInfo { Action::Resubmit } else { Action::Submit };
        // Anything else is refused by the status machine, before its form is judged.
        if app.status.accepts_changes() {
            check_submission(conn, &app)?;
        }
        workflow::apply(conn, &app, action, &actor(&caller), None)
    })
    .await
}

/// Withdraws an application that is not under review or decided. `If-Match` is honoured when present.
pub async fn withdraw(db: &Db, caller: Resident, id: String, if_match: IfMatch) -> ApiResult<Application> {
    db.write(move |conn| {
        let app = store::find_for_resident(conn, &id, &caller.id)?;
        if_match.check(app.version, false)?;
        workflow::apply(conn, &app, Action::Withdraw, &actor(&caller), None)
    })
    .await
}

/// One page of an application's history as its resident sees it (internal notes left out), oldest first.
pub async fn events(
    db: &Db,
    caller: Resident,
    id: String,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> ApiResult<Vec<Event>> {
    db.run(move |conn| {
        let app = store::find_for_resident(conn, &id, &caller.id)?;
        Ok(store::list_events(conn, &app.id, true, after, limit)?)
    })
    .await
}
