//! Residents' notifications about their applications and permits.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::notifications as n;

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = n)]
pub struct Notification {
    pub id: String,
    pub account_id: String,
    pub application_id: Option<String>,
    pub event_id: Option<String>,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub is_read: bool,
    pub read_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Notification {
    /// A new, unread notification about an application.
    pub fn unread(
        account_id: &str,
        application_id: &str,
        event_id: Option<&str>,
        kind: String,
        title: String,
        body: String,
    ) -> Self {
        let t = crate::db::types::now();
        Self {
            id: crate::db::types::new_id(),
            account_id: account_id.to_owned(),
            application_id: Some(application_id.to_owned()),
            event_id: event_id.map(str::to_owned),
            kind,
            title,
            body,
            is_read: false,
            read_at: None,
            created_at: t,
            updated_at: t,
        }
    }
}

pub fn insert_notification(conn: &mut DbConn, x: &Notification) -> QueryResult<()> {
    diesel::insert_into(n::table).values(x).execute(conn).map(|_| ())
}

/// Unread first, then newest first. The cursor is (is_read, created_at, id).
pub fn list_notifications(
    conn: &mut DbConn,
    account: &str,
    updated_since: Option<NaiveDateTime>,
    after: Option<(bool, NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Notification>> {
    let mut q = n::table.filter(n::account_id.eq(account)).into_boxed();
    if let Some(t) = updated_since {
        q = q.filter(n::updated_at.ge(t));
    }
    if let Some((read, at, id)) = after {
        let same_group =
            n::is_read.eq(read).and(n::created_at.lt(at).or(n::created_at.eq(at).and(n::id.lt(id))));
        q = if read {
            q.filter(n::is_read.eq(true).and(same_group))
        } else {
            q.filter(n::is_read.eq(true).or(same_group))
        };
    }
    q.order((n::is_read.asc(), n::created_at.desc(), n::id.desc())).limit(limit).load(conn)
}

pub fn find_notification(conn: &mut DbConn, id: &str, account: &str) -> QueryResult<Notification> {
    n::table.find(id).filter(n::account_id.eq(account)).first(conn)
}

pub fn mark_read(conn: &mut DbConn, id: &str, account: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(n::table.find(id).filter(n::account_id.eq(account)).filter(n::is_read.eq(false)))
        .set((n::is_read.eq(true), n::read_at.eq(Some(at)), n::updated_at.eq(at)))
        .execute(conn)
}
