//! One-time codes that prove a contact, stored only as hashes, always looked up with their account.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::contact_verifications as v;
use crate::domain::channel::Channel;

/// A code sent to `value`, which becomes the account's `channel` contact once the code comes back.
#[derive(Debug, Clone)]
pub struct Verification {
    pub id: String,
    pub account_id: String,
    pub channel: Channel,
    pub value: String,
    pub code_hash: String,
    pub attempts: i32,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

type Row = (String, String, String, String, String, i32, NaiveDateTime, Option<NaiveDateTime>, NaiveDateTime);

fn from_row(r: Row) -> QueryResult<Verification> {
    let channel = Channel::parse(&r.2).ok_or_else(|| {
        diesel::result::Error::DeserializationError(format!("unknown channel {:?}", r.2).into())
    })?;
    Ok(Verification {
        id: r.0,
        account_id: r.1,
        channel,
        value: r.3,
        code_hash: r.4,
        attempts: r.5,
        expires_at: r.6,
        used_at: r.7,
        created_at: r.8,
    })
}

pub fn insert(conn: &mut DbConn, x: &Verification) -> QueryResult<()> {
    diesel::insert_into(v::table)
        .values((
            v::id.eq(&x.id),
            v::account_id.eq(&x.account_id),
            v::channel.eq(x.channel.as_str()),
            v::value.eq(&x.value),
            v::code_hash.eq(&x.code_hash),
            v::attempts.eq(x.attempts),
            v::expires_at.eq(x.expires_at),
            v::used_at.eq(x.used_at),
            v::created_at.eq(x.created_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The account's verification with this id, used or not; another account's is not found.
pub fn find_for_account(conn: &mut DbConn, id: &str, account_id: &str) -> QueryResult<Option<Verification>> {
    let row: Option<Row> = v::table
        .find(id)
        .filter(v::account_id.eq(account_id))
        .select((
            v::id,
            v::account_id,
            v::channel,
            v::value,
            v::code_hash,
            v::attempts,
            v::expires_at,
            v::used_at,
            v::created_at,
        ))
        .first(conn)
        .optional()?;
    row.map(from_row).transpose()
}

/// Marks every unused code of the account for `channel` used, so only the newest one works.
pub fn retire_open(
    conn: &mut DbConn,
    account_id: &str,
    channel: Channel,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        v::table
            .filter(v::account_id.eq(account_id))
            .filter(v::channel.eq(channel.as_str()))
            .filter(v::used_at.is_null()),
    )
    .set(v::used_at.eq(Some(now)))
    .execute(conn)
}

/// Counts one wrong try in the database, so concurrent guesses cannot exceed the limit; false when the
/// limit was reached already.
pub fn count_wrong_try(conn: &mut DbConn, id: &str, max_attempts: i32) -> QueryResult<bool> {
    let n = diesel::update(v::table.find(id).filter(v::attempts.lt(max_attempts)))
        .set(v::attempts.eq(v::attempts + 1))
        .execute(conn)?;
    Ok(n == 1)
}

/// Uses the code; false when a concurrent confirmation used it first.
pub fn claim(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(v::table.find(id).filter(v::used_at.is_null()))
        .set(v::used_at.eq(Some(now)))
        .execute(conn)?;
    Ok(n == 1)
}

/// Removes every verification of the account (erasure: they hold contacts).
pub fn delete_all(conn: &mut DbConn, account_id: &str) -> QueryResult<usize> {
    diesel::delete(v::table.filter(v::account_id.eq(account_id))).execute(conn)
}
