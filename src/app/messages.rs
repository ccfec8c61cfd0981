//! Messages to people, queued in the outbox inside the transaction of the change that causes them; the
//! delivery worker (`crate::delivery`) sends them. The one entry point for a text to an address is
//! [`queue_text`], called inside the transaction that stores what the text is about.

use serde_json::json;

use crate::db::DbConn;
use crate::db::types::{new_id, now};
use crate::domain::locale::Locale;
use crate::domain::preferences::{Category, Channel, Preferences};
use crate::domain::templates::{self, NEUTRAL_SUBJECT, SecurityEvent};
use crate::error::ApiResult;
use crate::store::accounts::Account;
use crate::store::devices;
use crate::store::messages::{self as outbox, Message};

/// What to send, before it is addressed.
pub struct Content {
    /// Such as `application.approved` or `security.password_changed`.
    pub kind: String,
    pub event_id: String,
    pub subject: String,
    pub body: String,
    /// String values the app receives with a push message (ids only).
    pub data: serde_json::Value,
    pub language: Locale,
}

fn row(account_id: Option<&str>, c: &Content, channel: Channel, recipient: &str) -> Message {
    let t = now();
    let mut data = c.data.clone();
    if let Some(d) = data.as_object_mut() {
        d.insert("lang".into(), json!(c.language.as_str()));
    }
    Message {
        id: new_id(),
        account_id: account_id.map(str::to_owned),
        event_id: c.event_id.clone(),
        kind: c.kind.clone(),
        channel: channel.as_str().into(),
        recipient: recipient.to_owned(),
        subject: c.subject.clone(),
        body: c.body.clone(),
        data: data.to_string(),
        status: outbox::PENDING.into(),
        attempts: 0,
        last_error: None,
        next_attempt_at: t,
        leased_until: None,
        created_at: t,
        sent_at: None,
    }
}

/// Queues `text` for `recipient`, one of `account`'s contacts (an email address or an E.164 phone
/// number, maybe one it is proving), such as a one-time code in the account's language. Call it inside
/// the transaction that stores the code, so the code and its message commit together. The row belongs
/// to the account (support sees it, erasure cancels it); the text is kept only until it is sent.
pub fn queue_text(conn: &mut DbConn, account: &Account, recipient: &str, text: &str) -> ApiResult<()> {
    let channel = if recipient.contains('@') { Channel::Email } else { Channel::Sms };
    let content = Content {
        kind: outbox::CODE.into(),
        event_id: new_id(),
        subject: NEUTRAL_SUBJECT.into(),
        body: text.to_owned(),
        data: json!({}),
        language: Locale::parse_tag(&account.preferred_language).unwrap_or(Locale::ZhHant),
    };
    outbox::insert(conn, &row(Some(&account.id), &content, channel, recipient))?;
    Ok(())
}

/// The resident's preferences, stored or default.
pub fn preferences_of(conn: &mut DbConn, account_id: &str) -> ApiResult<Preferences> {
    Ok(Preferences::from_stored(devices::preferences(conn, account_id)?.as_deref()))
}

/// Queues `content` for the account on every channel its preferences allow for `category`: each
/// registered device, its email address, its phone. One row per device or address, at most once.
pub fn queue_for_account(
    conn: &mut DbConn,
    account: &Account,
    category: Category,
    content: &Content,
) -> ApiResult<usize> {
    let prefs = preferences_of(conn, &account.id)?;
    let mut queued = 0;
    if prefs.allows(category, Channel::Push) {
        for device in devices::list(conn, &account.id)? {
            queued +=
                outbox::insert(conn, &row(Some(&account.id), content, Channel::Push, &device.id))? as usize;
        }
    }
    if let Some(email) = account.email.as_deref().filter(|_| prefs.allows(category, Channel::Email)) {
        queued += outbox::insert(conn, &row(Some(&account.id), content, Channel::Email, email))? as usize;
    }
    if let Some(phone) = account.phone.as_deref().filter(|_| prefs.allows(category, Channel::Sms)) {
        queued += outbox::insert(conn, &row(Some(&account.id), content, Channel::Sms, phone))? as usize;
    }
    Ok(queued)
}

/// Tells the account's owner about a change to their account on every channel they have.
pub fn queue_security_alert(conn: &mut DbConn, account: &Account, event: SecurityEvent) -> ApiResult<()> {
    let language = Locale::parse_tag(&account.preferred_language).unwrap_or(Locale::ZhHant);
    let (title, body) = templates::security_alert(language, event);
    let content = Content {
        kind: event.kind().into(),
        event_id: new_id(),
        subject: title,
        body,
        data: json!({"kind": event.kind()}),
        language,
    };
    queue_for_account(conn, account, Category::Security, &content)?;
    Ok(())
}

/// Tells the resident that their application changed, on the channels they chose for it. The text
/// names the service and the reference; the officer's comment stays in the app, behind the login.
pub fn queue_application_change(
    conn: &mut DbConn,
    resident: &Account,
    app: &crate::store::applications::Application,
    event_id: &str,
    service_name: &str,
) -> ApiResult<()> {
    let language = Locale::parse_tag(&resident.preferred_language).unwrap_or(Locale::ZhHant);
    let (title, body) =
        crate::domain::notify::application_changed(language, app.status, &app.reference, service_name, None);
    let content = Content {
        kind: format!("application.{}", app.status.as_str()),
        event_id: event_id.to_owned(),
        subject: title,
        body,
        data: json!({"application_id": app.id, "reference": app.reference, "status": app.status.as_str()}),
        language,
    };
    queue_for_account(conn, resident, Category::of_status(app.status), &content)?;
    Ok(())
}

/// Tells the holder that a permit was revoked, on the channels they chose for decisions: they must
/// not learn it at the checkpoint.
pub fn queue_permit_revoked(
    conn: &mut DbConn,
    holder: &Account,
    permit_id: &str,
    number: &str,
) -> ApiResult<()> {
    let language = Locale::parse_tag(&holder.preferred_language).unwrap_or(Locale::ZhHant);
    let (subject, body) = crate::domain::permit::notice::revoked_message(language, number);
    let content = Content {
        kind: "permit.revoked".into(),
        event_id: new_id(),
        subject,
        body,
        data: json!({"permit_id": permit_id, "status": "revoked"}),
        language,
    };
    queue_for_account(conn, holder, Category::Decisions, &content)?;
    Ok(())
}

/// Ended sessions take their devices with them: a logged-out phone receives nothing more.
pub fn forget_sessions(conn: &mut DbConn, session_ids: &[String]) -> ApiResult<()> {
    devices::delete_for_sessions(conn, session_ids)?;
    Ok(())
}

/// Erases what the account would still have been sent, and its devices and preferences.
pub fn forget_account(conn: &mut DbConn, account_id: &str) -> ApiResult<()> {
    outbox::cancel_for_account(conn, account_id)?;
    devices::delete_all(conn, account_id)?;
    devices::delete_preferences(conn, account_id)?;
    Ok(())
}
