use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{refresh_tokens, sessions};

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: String,
    pub account_id: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub revoked_reason: Option<String>,
    pub user_agent: String,
    pub ip: String,
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshToken {
    pub token_hash: String,
    pub session_id: String,
    pub created_at: NaiveDateTime,
    pub rotated_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, session: &Session, token_hash: &str) -> QueryResult<()> {
    diesel::insert_into(sessions::table).values(session).execute(conn)?;
    add_token(conn, &session.id, token_hash, session.created_at)
}

pub fn add_token(
    conn: &mut DbConn,
    session_id: &str,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let token = RefreshToken {
        token_hash: token_hash.to_owned(),
        session_id: session_id.to_owned(),
        created_at: now,
        rotated_at: None,
    };
    diesel::insert_into(refresh_tokens::table).values(&token).execute(conn).map(|_| ())
}

pub fn find_token(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<(RefreshToken, Session)>> {
    refresh_tokens::table
        .inner_join(sessions::table)
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .first(conn)
        .optional()
}

/// Marks a token used; false when another request rotated it first (which counts as reuse).
pub fn rotate_token(conn: &mut DbConn, token_hash: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n =
        diesel::update(refresh_tokens::table.find(token_hash).filter(refresh_tokens::rotated_at.is_null()))
            .set(refresh_tokens::rotated_at.eq(now))
            .execute(conn)?;
    Ok(n == 1)
}

pub fn touch(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id)).set(sessions::last_used_at.eq(now)).execute(conn)
}

/// Ends one session of an account; false when it does not exist, belongs to another account or had ended.
pub fn revoke(
    conn: &mut DbConn,
    account_id: &str,
    id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::account_id.eq(account_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set((sessions::revoked_at.eq(now), sessions::revoked_reason.eq(reason)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Ends every open session of an account except `keep`; returns the ended session ids.
pub fn revoke_all(
    conn: &mut DbConn,
    account_id: &str,
    keep: Option<&str>,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let mut q = sessions::table
        .filter(sessions::account_id.eq(account_id))
        .filter(sessions::revoked_at.is_null())
        .select(sessions::id)
        .into_boxed();
    if let Some(keep) = keep {
        q = q.filter(sessions::id.ne(keep.to_owned()));
    }
    let ids: Vec<String> = q.load(conn)?;
    if !ids.is_empty() {
        diesel::update(sessions::table.filter(sessions::id.eq_any(&ids)))
            .set((sessions::revoked_at.eq(now), sessions::revoked_reason.eq(reason)))
            .execute(conn)?;
    }
    Ok(ids)
}

/// Open sessions of an account, newest first, after the keyset cursor.
pub fn list_open(
    conn: &mut DbConn,
    account_id: &str,
    now: NaiveDateTime,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Session>> {
    let mut q = sessions::table
        .filter(sessions::account_id.eq(account_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(sessions::created_at.le(at).and(sessions::created_at.lt(at).or(sessions::id.lt(id))));
    }
    q.order((sessions::created_at.desc(), sessions::id.desc())).limit(limit).load(conn)
}

/// Session ids revoked since `since`: what every instance must stop accepting.
pub fn revoked_since(conn: &mut DbConn, since: NaiveDateTime) -> QueryResult<Vec<String>> {
    sessions::table.filter(sessions::revoked_at.gt(since)).select(sessions::id).load(conn)
}

/// Every session of an account, ended ones included, oldest first.
pub fn all_of(conn: &mut DbConn, account_id: &str) -> QueryResult<Vec<Session>> {
    sessions::table
        .filter(sessions::account_id.eq(account_id))
        .order((sessions::created_at.asc(), sessions::id.asc()))
        .load(conn)
}

/// Forgets the devices and addresses the account's sessions came from.
pub fn forget_devices(conn: &mut DbConn, account_id: &str) -> QueryResult<usize> {
    diesel::update(sessions::table.filter(sessions::account_id.eq(account_id)))
        .set((sessions::user_agent.eq(""), sessions::ip.eq("")))
        .execute(conn)
}

/// Whether the account ever opened a session, and whether one from this user agent: one statement of
/// two `EXISTS`, each stopping at the first row found however many sessions the account has had.
pub fn seen_from(conn: &mut DbConn, account_id: &str, user_agent: &str) -> QueryResult<(bool, bool)> {
    use diesel::dsl::exists;
    let any = sessions::table.filter(sessions::account_id.eq(account_id));
    diesel::select((exists(any), exists(any.filter(sessions::user_agent.eq(user_agent))))).get_result(conn)
}
