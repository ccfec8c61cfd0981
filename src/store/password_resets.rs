//! One-time password reset codes, stored only as hashes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::password_resets as r;

/// A code that may still be tried.
#[derive(Debug, Clone, Queryable)]
pub struct PendingReset {
    pub id: String,
    pub account_id: String,
    pub code_hash: String,
}

/// Marks every unused code of the account used, so only the newest one works.
pub fn retire_open(conn: &mut DbConn, account_id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(r::table.filter(r::account_id.eq(account_id)).filter(r::used_at.is_null()))
        .set(r::used_at.eq(Some(now)))
        .execute(conn)
}

pub fn insert(
    conn: &mut DbConn,
    id: &str,
    account_id: &str,
    code_hash: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(r::table)
        .values((
            r::id.eq(id),
            r::account_id.eq(account_id),
            r::code_hash.eq(code_hash),
            r::attempts.eq(0),
            r::expires_at.eq(expires_at),
            r::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The account's newest code that is unused, unexpired and has tries left.
pub fn latest_pending(
    conn: &mut DbConn,
    account_id: &str,
    max_attempts: i32,
    now: NaiveDateTime,
) -> QueryResult<Option<PendingReset>> {
    r::table
        .filter(r::account_id.eq(account_id))
        .filter(r::used_at.is_null())
        .filter(r::expires_at.gt(now))
        .filter(r::attempts.lt(max_attempts))
        .order(r::created_at.desc())
        .select((r::id, r::account_id, r::code_hash))
        .first(conn)
        .optional()
}

/// Counts one wrong try, in the database, so concurrent guesses cannot exceed the limit.
pub fn count_wrong_try(conn: &mut DbConn, id: &str, max_attempts: i32) -> QueryResult<usize> {
    diesel::update(r::table.find(id).filter(r::attempts.lt(max_attempts)))
        .set(r::attempts.eq(r::attempts + 1))
        .execute(conn)
}

/// Uses the code; false when a concurrent confirmation used it first.
pub fn claim(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(r::table.find(id).filter(r::used_at.is_null()))
        .set(r::used_at.eq(Some(now)))
        .execute(conn)?;
    Ok(n == 1)
}
