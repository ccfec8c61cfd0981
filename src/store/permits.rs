//! Permits, the credential each carries, the status-list slots they hold, and the published signing keys.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{permit_credentials as pc, permit_keys as pk, permits as p};

pub const ACTIVE: &str = "active";
pub const REVOKED: &str = "revoked";

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = p)]
pub struct Permit {
    pub id: String,
    pub application_id: String,
    pub resident_id: String,
    pub organisation_id: String,
    pub service_id: String,
    pub permit_type: String,
    pub number: String,
    /// `active` or `revoked`.
    pub status: String,
    pub valid_from: NaiveDateTime,
    pub valid_until: NaiveDateTime,
    pub status_list: i32,
    pub status_index: i32,
    pub revoked_at: Option<NaiveDateTime>,
    pub revoke_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = pc)]
pub struct Credential {
    pub permit_id: String,
    /// Hex of the signing key's id.
    pub kid: String,
    /// Hex of the CWT id.
    pub token_id: String,
    /// The printed payload, `QAT1:...`.
    pub qr: String,
    pub signed_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = pk)]
pub struct PermitKey {
    /// Hex of the key id.
    pub kid: String,
    /// Base64url of the Ed25519 public key.
    pub public_key: String,
    pub signs_from: NaiveDateTime,
    pub signs_until: NaiveDateTime,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, permit: &Permit, credential: &Credential) -> QueryResult<()> {
    diesel::insert_into(p::table).values(permit).execute(conn)?;
    diesel::insert_into(pc::table).values(credential).execute(conn)?;
    Ok(())
}

/// Replaces a permit's credential (a refresh or a re-issue under another key).
pub fn replace_credential(conn: &mut DbConn, credential: &Credential) -> QueryResult<()> {
    diesel::update(pc::table.find(&credential.permit_id)).set(credential).execute(conn).map(|_| ())
}

/// A resident's permits, newest first, `limit` after the cursor.
pub fn list_for_resident(
    conn: &mut DbConn,
    resident: &str,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<(Permit, Credential)>> {
    let mut q = p::table.inner_join(pc::table).filter(p::resident_id.eq(resident)).into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(p::created_at.le(at).and(p::created_at.lt(at).or(p::id.lt(id))));
    }
    q.order((p::created_at.desc(), p::id.desc())).limit(limit).load(conn)
}

/// One of a resident's permits with its credential.
pub fn find_for_resident(conn: &mut DbConn, id: &str, resident: &str) -> QueryResult<(Permit, Credential)> {
    p::table.inner_join(pc::table).filter(p::id.eq(id)).filter(p::resident_id.eq(resident)).first(conn)
}

/// One of an organisation's permits.
pub fn find_for_organisation(conn: &mut DbConn, id: &str, organisation: &str) -> QueryResult<Permit> {
    p::table.filter(p::id.eq(id)).filter(p::organisation_id.eq(organisation)).first(conn)
}

/// The permit holding a status-list slot, if any.
pub fn find_by_slot(conn: &mut DbConn, list: i32, index: i32) -> QueryResult<Option<Permit>> {
    p::table.filter(p::status_list.eq(list)).filter(p::status_index.eq(index)).first(conn).optional()
}

pub fn revoke(conn: &mut DbConn, id: &str, reason: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(p::table.find(id).filter(p::status.eq(ACTIVE)))
        .set((
            p::status.eq(REVOKED),
            p::revoked_at.eq(Some(at)),
            p::revoke_reason.eq(Some(reason)),
            p::updated_at.eq(at),
        ))
        .execute(conn)
}

/// The revoked slots of one status list.
pub fn revoked_indexes(conn: &mut DbConn, list: i32) -> QueryResult<Vec<i32>> {
    p::table.filter(p::status_list.eq(list)).filter(p::status.eq(REVOKED)).select(p::status_index).load(conn)
}

/// The newest status list and how many slots it has given out; `(0, 0)` before the first permit.
pub fn newest_list(conn: &mut DbConn) -> QueryResult<(i32, i64)> {
    let list: Option<i32> = p::table.select(diesel::dsl::max(p::status_list)).first(conn)?;
    let Some(list) = list else { return Ok((0, 0)) };
    let used = p::table.filter(p::status_list.eq(list)).count().get_result(conn)?;
    Ok((list, used))
}

/// Whether a status list exists (has given out a slot).
pub fn list_exists(conn: &mut DbConn, list: i32) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(p::table.filter(p::status_list.eq(list)))).get_result(conn)
}

pub fn slot_taken(conn: &mut DbConn, list: i32, index: i32) -> QueryResult<bool> {
    Ok(find_by_slot(conn, list, index)?.is_some())
}

/// Every published signing key, oldest first.
pub fn keys(conn: &mut DbConn) -> QueryResult<Vec<PermitKey>> {
    pk::table.order((pk::signs_from.asc(), pk::kid.asc())).load(conn)
}

pub fn find_key(conn: &mut DbConn, kid: &str) -> QueryResult<Option<PermitKey>> {
    pk::table.find(kid).first(conn).optional()
}

pub fn insert_key(conn: &mut DbConn, key: &PermitKey) -> QueryResult<()> {
    diesel::insert_into(pk::table).values(key).execute(conn).map(|_| ())
}

/// Ends the signing windows of every key but `kid` at `at`; they stay published for the permits they signed.
pub fn close_other_windows(conn: &mut DbConn, kid: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(pk::table.filter(pk::kid.ne(kid)).filter(pk::signs_until.gt(at)))
        .set(pk::signs_until.eq(at))
        .execute(conn)
}

pub fn withdraw_key(conn: &mut DbConn, kid: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(pk::table.find(kid).filter(pk::withdrawn_at.is_null()))
        .set(pk::withdrawn_at.eq(Some(at)))
        .execute(conn)
}

/// Active permits whose current credential `kid` signed.
pub fn active_signed_by(conn: &mut DbConn, kid: &str) -> QueryResult<Vec<Permit>> {
    p::table
        .inner_join(pc::table)
        .filter(pc::kid.eq(kid))
        .filter(p::status.eq(ACTIVE))
        .select(p::all_columns)
        .order(p::id.asc())
        .load(conn)
}

/// Active permits whose credential expires by `before` although the permit itself runs longer.
pub fn due_for_refresh(conn: &mut DbConn, before: NaiveDateTime, limit: i64) -> QueryResult<Vec<Permit>> {
    p::table
        .inner_join(pc::table)
        .filter(p::status.eq(ACTIVE))
        .filter(pc::expires_at.le(before))
        .filter(pc::expires_at.lt(p::valid_until))
        .select(p::all_columns)
        .order(pc::expires_at.asc())
        .limit(limit)
        .load(conn)
}

/// Revokes every active permit of an erased resident and blanks the payloads that carried their name;
/// returns the permits revoked.
pub fn erase_for_resident(
    conn: &mut DbConn,
    resident: &str,
    reason: &str,
    at: NaiveDateTime,
) -> QueryResult<Vec<Permit>> {
    let ids: Vec<String> =
        p::table.filter(p::resident_id.eq(resident)).filter(p::status.eq(ACTIVE)).select(p::id).load(conn)?;
    for id in &ids {
        revoke(conn, id, reason, at)?;
    }
    let all = p::table.filter(p::resident_id.eq(resident)).select(p::id);
    diesel::update(pc::table.filter(pc::permit_id.eq_any(all))).set(pc::qr.eq("")).execute(conn)?;
    p::table.filter(p::id.eq_any(&ids)).load(conn)
}
