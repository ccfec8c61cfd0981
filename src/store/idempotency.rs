//! Stored first answers of creates, by (owner, operation, key). Headers and body are stored sealed, with
//! the id of the data key beside them; rows written before sealing have no key id and hold them in clear.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::idempotency_keys as k;

/// One stored answer as it is in the table.
#[derive(Queryable, Insertable)]
#[diesel(table_name = k)]
pub struct StoredReply {
    pub owner: String,
    pub operation: String,
    pub key: String,
    pub fingerprint: String,
    pub status: i32,
    pub headers: String,
    pub body: String,
    pub created_at: NaiveDateTime,
    /// The data key that sealed headers and body; none on rows stored in clear before sealing.
    pub key_id: Option<String>,
    /// The account the answer is about when it is not the owner's (a registration's new account), so
    /// that erasing the account erases the answer too.
    pub subject_id: Option<String>,
}

pub fn find(conn: &mut DbConn, owner: &str, operation: &str, key: &str) -> QueryResult<Option<StoredReply>> {
    k::table.find((owner, operation, key)).first(conn).optional()
}

pub fn insert(conn: &mut DbConn, row: &StoredReply) -> QueryResult<()> {
    diesel::insert_into(k::table).values(row).execute(conn).map(|_| ())
}

/// Deletes records older than `before`.
pub fn purge(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(k::table.filter(k::created_at.lt(before))).execute(conn)
}

/// Deletes every answer an account asked for or that is about it.
pub fn delete_for_account(conn: &mut DbConn, account_id: &str) -> QueryResult<usize> {
    diesel::delete(k::table.filter(k::owner.eq(account_id).or(k::subject_id.eq(account_id)))).execute(conn)
}

/// Up to `limit` answers still stored in clear.
pub fn in_clear(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<StoredReply>> {
    k::table.filter(k::key_id.is_null()).limit(limit).load(conn)
}

/// Replaces an answer stored in clear with its sealed form, unless it changed meanwhile (another
/// instance sealed it first). Either way the row leaves the clear set.
pub fn seal(
    conn: &mut DbConn,
    row: &StoredReply,
    headers: &str,
    body: &str,
    key_id: &str,
) -> QueryResult<bool> {
    let n = diesel::update(k::table.find((&row.owner, &row.operation, &row.key)).filter(k::key_id.is_null()))
        .set((k::headers.eq(headers), k::body.eq(body), k::key_id.eq(key_id)))
        .execute(conn)?;
    Ok(n > 0)
}
