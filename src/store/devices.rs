//! Devices registered for push messages, and each account's notification preferences.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{devices as d, notification_preferences as np};

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = d)]
pub struct Device {
    pub id: String,
    pub account_id: String,
    /// The session that registered it: logging that session out removes the device.
    pub session_id: Option<String>,
    /// `android`, `ios` or `web`.
    pub platform: String,
    pub push_token: String,
    pub app_version: String,
    pub locale: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Stores a device. A token already registered (by this or another account: phones change hands) is
/// replaced, so a token reaches one account only.
pub fn upsert(conn: &mut DbConn, device: &Device) -> QueryResult<()> {
    diesel::delete(
        d::table.filter(d::platform.eq(&device.platform)).filter(d::push_token.eq(&device.push_token)),
    )
    .execute(conn)?;
    diesel::insert_into(d::table).values(device).execute(conn).map(|_| ())
}

/// The account's device with this token, if it registered it before.
pub fn find_by_token(
    conn: &mut DbConn,
    account_id: &str,
    platform: &str,
    token: &str,
) -> QueryResult<Option<Device>> {
    d::table
        .filter(d::account_id.eq(account_id))
        .filter(d::platform.eq(platform))
        .filter(d::push_token.eq(token))
        .first(conn)
        .optional()
}

pub fn count(conn: &mut DbConn, account_id: &str) -> QueryResult<i64> {
    d::table.filter(d::account_id.eq(account_id)).count().get_result(conn)
}

/// The account's devices, oldest first.
pub fn list(conn: &mut DbConn, account_id: &str) -> QueryResult<Vec<Device>> {
    d::table.filter(d::account_id.eq(account_id)).order((d::created_at.asc(), d::id.asc())).load(conn)
}

/// Any device by id, for the delivery worker; none once it was removed.
pub fn find_any(conn: &mut DbConn, id: &str) -> QueryResult<Option<Device>> {
    d::table.find(id).first(conn).optional()
}

/// Deletes one of the account's devices; false when it has no such device.
pub fn delete(conn: &mut DbConn, id: &str, account_id: &str) -> QueryResult<bool> {
    Ok(diesel::delete(d::table.find(id).filter(d::account_id.eq(account_id))).execute(conn)? > 0)
}

/// Forgets a device the push provider called unregistered.
pub fn drop_unregistered(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(d::table.find(id)).execute(conn)
}

/// Removes the devices registered by these sessions (they logged out or were ended).
pub fn delete_for_sessions(conn: &mut DbConn, session_ids: &[String]) -> QueryResult<usize> {
    diesel::delete(d::table.filter(d::session_id.eq_any(session_ids))).execute(conn)
}

pub fn delete_all(conn: &mut DbConn, account_id: &str) -> QueryResult<usize> {
    diesel::delete(d::table.filter(d::account_id.eq(account_id))).execute(conn)
}

/// The stored preferences (a JSON object), if the account changed any.
pub fn preferences(conn: &mut DbConn, account_id: &str) -> QueryResult<Option<String>> {
    np::table.find(account_id).select(np::settings).first(conn).optional()
}

pub fn save_preferences(
    conn: &mut DbConn,
    account_id: &str,
    settings: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let n = diesel::update(np::table.find(account_id))
        .set((np::settings.eq(settings), np::updated_at.eq(now)))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(np::table)
            .values((np::account_id.eq(account_id), np::settings.eq(settings), np::updated_at.eq(now)))
            .execute(conn)?;
    }
    Ok(())
}

pub fn delete_preferences(conn: &mut DbConn, account_id: &str) -> QueryResult<usize> {
    diesel::delete(np::table.find(account_id)).execute(conn)
}
