//! A resident's notifications about their applications. Lookups carry the caller, so another
//! resident's notification is simply not found.

use chrono::NaiveDateTime;

use crate::app::caller::Resident;
use crate::db::Db;
use crate::db::types::now;
use crate::error::ApiResult;
use crate::store::applications::{self as store, Notification};

/// Where a page of notifications starts: after this (read, created_at, id) position.
pub type Position = (bool, NaiveDateTime, String);

/// One page of the caller's notifications, unread first, then newest first; `limit` rows after `after`.
pub async fn list(
    db: &Db,
    caller: Resident,
    updated_since: Option<NaiveDateTime>,
    after: Option<Position>,
    limit: i64,
) -> ApiResult<Vec<Notification>> {
    db.run(move |conn| Ok(store::list_notifications(conn, &caller.id, updated_since, after, limit)?)).await
}

/// Marks one of the caller's notifications read; marking it again changes nothing.
pub async fn mark_read(db: &Db, caller: Resident, id: String) -> ApiResult<Notification> {
    db.write(move |conn| {
        store::find_notification(conn, &id, &caller.id)?;
        store::mark_read(conn, &id, &caller.id, now())?;
        Ok(store::find_notification(conn, &id, &caller.id)?)
    })
    .await
}
