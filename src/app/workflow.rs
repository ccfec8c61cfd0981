//! Applying a status change to an application, with everything that must happen in the same
//! transaction: the stored event, the resident's notification and the webhook outbox row.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::json;

use crate::db::DbConn;
use crate::db::types::{new_id, now, utc};
use crate::domain::calendar;
use crate::domain::locale::{Locale, LocalizedText};
use crate::domain::notify;
use crate::domain::status::{Action, ApplicationStatus, transition};
use crate::error::{ApiError, ApiResult};
use crate::store::applications::{self as store, Application, Event, Notification, OutboxEvent};
use crate::store::{accounts, catalogue};

/// Who acts: the audit trail's actor type and id.
#[derive(Debug, Clone)]
pub struct Actor {
    pub actor_type: &'static str,
    pub id: String,
}

/// The 409 for an action the status machine does not allow from `from`.
pub fn invalid_transition(from: ApplicationStatus, action: Action) -> ApiError {
    ApiError::conflict(
        crate::error::ErrorCode::InvalidTransition,
        format!("cannot {} an application that is {}", action.as_str(), from.as_str()),
    )
}

/// Webhook event type for a transition, if the organisation should hear of it at all: a draft that is
/// withdrawn was never the organisation's business.
fn webhook_type(from: ApplicationStatus, action: Action) -> Option<&'static str> {
    match action {
        Action::Submit | Action::Resubmit => Some("application.submitted"),
        Action::Withdraw if from == ApplicationStatus::Draft => None,
        Action::Withdraw => Some("application.withdrawn"),
        _ => Some("application.status_changed"),
    }
}

/// Queues a webhook event describing an application. Payloads carry ids and statuses, never personal data.
pub fn queue_webhook(
    conn: &mut DbConn,
    app: &Application,
    event_type: &str,
    extra: serde_json::Value,
) -> ApiResult<()> {
    let t = now();
    let id = new_id();
    let mut data = json!({
        "application_id": app.id,
        "reference": app.reference,
        "service_id": app.service_id,
        "organisation_id": app.organisation_id,
        "status": app.status.as_str(),
        "version": app.version,
    });
    if let (Some(d), Some(e)) = (data.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    let payload = json!({"id": id, "type": event_type, "created_at": utc(t), "data": data}).to_string();
    crate::store::webhooks::fan_out(conn, &app.organisation_id, &id, event_type, &app.id, &payload, t)?;
    store::insert_outbox(
        conn,
        &OutboxEvent {
            id,
            organisation_id: app.organisation_id.clone(),
            application_id: app.id.clone(),
            event_type: event_type.to_owned(),
            payload,
            created_at: t,
        },
    )?;
    Ok(())
}

/// Sends the resident a notification about their application, in their language.
pub fn notify_resident(
    conn: &mut DbConn,
    app: &Application,
    event_id: &str,
    comment: Option<&str>,
) -> ApiResult<()> {
    // Read even an erased account: its application is still decided, only nobody is told.
    let resident = accounts::find_any(conn, &app.resident_id)?;
    if resident.status == accounts::DELETED {
        return Ok(());
    }
    let locale = Locale::parse_tag(&resident.preferred_language).unwrap_or(Locale::ZhHant);
    let service = catalogue::find_service(conn, &app.service_id)?;
    let names: serde_json::Value = serde_json::from_str(&service.texts)
        .map_err(|e| ApiError::internal(format!("service {} texts: {e}", service.id)))?;
    let name: LocalizedText = serde_json::from_value(names["name"].clone())
        .map_err(|e| ApiError::internal(format!("service {} name: {e}", service.id)))?;
    let status = app.status;
    crate::app::messages::queue_application_change(conn, &resident, app, event_id, name.get(locale))?;
    let (title, body) =
        notify::application_changed(locale, status, &app.reference, name.get(locale), comment);
    let kind = format!("application.{}", status.as_str());
    let notification = Notification::unread(&app.resident_id, &app.id, Some(event_id), kind, title, body);
    store::insert_notification(conn, &notification)?;
    Ok(())
}

fn add_days(t: NaiveDateTime, holidays: &[chrono::NaiveDate], days: u32) -> NaiveDateTime {
    let due: DateTime<Utc> = calendar::due_date(utc(t), days, holidays);
    due.naive_utc()
}

/// Applies `action` to `app` if the status machine allows it and nobody changed the application since it
/// was read; records the event, the notification and the webhook. Returns the saved application.
pub fn apply(
    conn: &mut DbConn,
    app: &Application,
    action: Action,
    actor: &Actor,
    comment: Option<String>,
) -> ApiResult<Application> {
    let from = app.status;
    let to = transition(from, action).map_err(|_| invalid_transition(from, action))?;
    let t = now();
    let mut next = app.clone();
    next.status = to;
    next.version += 1;
    next.updated_at = t;
    match action {
        Action::Submit => {
            let service = catalogue::find_service(conn, &app.service_id)?;
            let holidays = catalogue::holidays(conn, &app.organisation_id)?;
            next.submitted_at = Some(t);
            next.due_at = Some(add_days(t, &holidays, service.sla_days.max(0) as u32));
        }
        Action::Resubmit => {
            // The clock stopped while the resident was asked for information: extend by that time.
            let holidays = catalogue::holidays(conn, &app.organisation_id)?;
            if let (Some(due), Some(since)) = (app.due_at, app.needs_info_since) {
                let paused = calendar::working_days_between(utc(since), utc(t), &holidays);
                next.due_at = Some(add_days(due, &holidays, paused).max(due));
            }
            next.needs_info_since = None;
        }
        Action::RequestInfo => next.needs_info_since = Some(t),
        Action::StartReview => {
            if next.assignee_id.is_none() && actor.actor_type == "staff" {
                next.assignee_id = Some(actor.id.clone());
            }
        }
        Action::Approve | Action::Reject => {
            next.decision_reason = comment.clone();
        }
        Action::Withdraw => {}
    }
    if !store::save_if_version(conn, &next, app.version)? {
        return Err(ApiError::precondition_failed());
    }
    let event_id = new_id();
    store::insert_event(
        conn,
        &Event {
            id: event_id.clone(),
            application_id: app.id.clone(),
            actor_type: actor.actor_type.to_owned(),
            actor_id: Some(actor.id.clone()),
            action: action.as_str().to_owned(),
            from_status: Some(from),
            to_status: Some(to),
            comment: comment.clone(),
            visible_to_resident: true,
            created_at: t,
        },
    )?;
    notify_resident(conn, &next, &event_id, comment.as_deref())?;
    if let Some(kind) = webhook_type(from, action) {
        queue_webhook(
            conn,
            &next,
            kind,
            json!({"previous_status": from.as_str(), "action": action.as_str()}),
        )?;
    }
    Ok(next)
}
