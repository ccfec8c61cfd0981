use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::accounts;

pub const ACTIVE: &str = "active";
pub const DISABLED: &str = "disabled";
pub const DELETED: &str = "deleted";

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = accounts)]
pub struct Account {
    pub id: String,
    pub role: String,
    pub organisation_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password_hash: String,
    pub full_name: String,
    pub preferred_language: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, account: &Account) -> QueryResult<()> {
    diesel::insert_into(accounts::table).values(account).execute(conn).map(|_| ())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Account> {
    accounts::table.find(id).filter(accounts::status.ne(DELETED)).first(conn)
}

/// The active account with this normalised email or phone.
pub fn find_by_login(conn: &mut DbConn, login: &str) -> QueryResult<Option<Account>> {
    accounts::table
        .filter(accounts::email.eq(login).or(accounts::phone.eq(login)))
        .filter(accounts::status.eq(ACTIVE))
        .first(conn)
        .optional()
}

/// Whether another account already uses this email or phone.
pub fn login_taken(conn: &mut DbConn, login: &str, except: Option<&str>) -> QueryResult<bool> {
    let mut q = accounts::table.filter(accounts::email.eq(login).or(accounts::phone.eq(login))).into_boxed();
    if let Some(id) = except {
        q = q.filter(accounts::id.ne(id.to_owned()));
    }
    Ok(q.select(accounts::id).first::<String>(conn).optional()?.is_some())
}

pub fn set_password(conn: &mut DbConn, id: &str, hash: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(accounts::table.find(id))
        .set((accounts::password_hash.eq(hash), accounts::updated_at.eq(now)))
        .execute(conn)
}

/// The active officers and supervisors of an organisation, by name.
pub fn active_staff(conn: &mut DbConn, organisation: &str) -> QueryResult<Vec<Account>> {
    accounts::table
        .filter(accounts::organisation_id.eq(organisation))
        .filter(accounts::role.eq_any(["officer", "supervisor"]))
        .filter(accounts::status.eq(ACTIVE))
        .order((accounts::full_name.asc(), accounts::id.asc()))
        .load(conn)
}

/// One active officer or supervisor of an organisation, if `id` is one.
pub fn find_active_staff(conn: &mut DbConn, id: &str, organisation: &str) -> QueryResult<Option<Account>> {
    accounts::table
        .find(id)
        .filter(accounts::organisation_id.eq(organisation))
        .filter(accounts::role.eq_any(["officer", "supervisor"]))
        .filter(accounts::status.eq(ACTIVE))
        .first(conn)
        .optional()
}
