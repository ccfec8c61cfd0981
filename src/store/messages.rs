//! The message outbox: one row per message, cause, channel and recipient, leased by the delivery worker.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::message_outbox as mo;

/// Message states: `pending` (due now or at `next_attempt_at`), `sent`, `dead` (given up after the last
/// attempt or refused for good), `cancelled` (its device or account went away before it was sent).
pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const DEAD: &str = "dead";
pub const CANCELLED: &str = "cancelled";

/// The kind of messages that carry a one-time code: their text is blanked once they are finished.
pub const CODE: &str = "account.code";

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = mo)]
pub struct Message {
    pub id: String,
    /// The person it concerns, for support; none for a code sent to an address no account uses yet.
    pub account_id: Option<String>,
    /// What caused it (an application event, a reset code...); with channel and recipient it is unique.
    pub event_id: String,
    pub kind: String,
    /// `email`, `sms` or `push`.
    pub channel: String,
    /// An email address, an E.164 number, or a device id for push.
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// JSON object of string values handed to the app with a push message.
    pub data: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: NaiveDateTime,
    pub leased_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// Queues a message unless the same cause already queued one for this channel and recipient; part of the
/// transaction that made the cause. Returns whether a row was added.
pub fn insert(conn: &mut DbConn, m: &Message) -> QueryResult<bool> {
    let exists = mo::table
        .filter(mo::event_id.eq(&m.event_id))
        .filter(mo::channel.eq(&m.channel))
        .filter(mo::recipient.eq(&m.recipient))
        .count()
        .get_result::<i64>(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(mo::table).values(m).execute(conn)?;
    Ok(true)
}

/// Leases up to `limit` due messages until `lease_until`, oldest due first. On PostgreSQL rows another
/// instance is leasing are skipped (`FOR UPDATE SKIP LOCKED`), so instances share the work and never
/// take the same message.
pub fn lease_due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Message>> {
    let due = mo::table
        .filter(mo::status.eq(PENDING))
        .filter(mo::next_attempt_at.le(now))
        .filter(mo::leased_until.is_null().or(mo::leased_until.lt(now)))
        .order((mo::next_attempt_at.asc(), mo::id.asc()))
        .limit(limit);
    let rows: Vec<Message> = match conn {
        DbConn::Pg(c) => due.for_update().skip_locked().load(c)?,
        DbConn::Sqlite(_) => due.load(conn)?,
    };
    let ids: Vec<&str> = rows.iter().map(|m| m.id.as_str()).collect();
    diesel::update(mo::table.filter(mo::id.eq_any(&ids)))
        .set(mo::leased_until.eq(Some(lease_until)))
        .execute(conn)?;
    Ok(rows)
}

/// The outcome of one attempt.
pub struct Outcome<'a> {
    pub status: &'a str,
    pub error: Option<String>,
    pub next_attempt_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// Records an attempt on a message this worker leased and releases the lease. A finished message
/// that held a code keeps no copy of it.
pub fn record(conn: &mut DbConn, m: &Message, attempt: i32, o: &Outcome) -> QueryResult<()> {
    let finished = o.status != PENDING;
    let q = diesel::update(mo::table.find(&m.id).filter(mo::status.eq(PENDING)));
    q.set((
        mo::status.eq(o.status),
        mo::attempts.eq(attempt),
        mo::last_error.eq(o.error.as_deref()),
        mo::next_attempt_at.eq(o.next_attempt_at),
        mo::leased_until.eq(None::<NaiveDateTime>),
        mo::sent_at.eq(o.sent_at),
    ))
    .execute(conn)?;
    if finished && m.kind == CODE {
        diesel::update(mo::table.find(&m.id)).set(mo::body.eq("")).execute(conn)?;
    }
    Ok(())
}

/// Cancels the pending messages of an account (when it is erased) and forgets their texts.
pub fn cancel_for_account(conn: &mut DbConn, account_id: &str) -> QueryResult<usize> {
    diesel::update(mo::table.filter(mo::account_id.eq(account_id)).filter(mo::status.eq(PENDING)))
        .set((mo::status.eq(CANCELLED), mo::body.eq("")))
        .execute(conn)
}

/// An account's messages, newest first, after the `(created_at, id)` position.
pub fn list_for_account(
    conn: &mut DbConn,
    account_id: &str,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Message>> {
    let mut q = mo::table.filter(mo::account_id.eq(account_id)).into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(mo::created_at.le(at).and(mo::created_at.lt(at).or(mo::id.lt(id))));
    }
    q.order((mo::created_at.desc(), mo::id.desc())).limit(limit).load(conn)
}
