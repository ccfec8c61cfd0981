//! Staff and admin accounts as admins manage them. Residents are never found here.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::accounts;
use crate::store::accounts::{ACTIVE, Account, DELETED, DISABLED};

/// A staff or admin account that has not been deleted.
pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Account> {
    accounts::table
        .find(id)
        .filter(accounts::role.ne("resident"))
        .filter(accounts::status.ne(DELETED))
        .first(conn)
}

/// Marks the account disabled: it can no longer log in.
pub fn disable(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(accounts::table.find(id))
        .set((accounts::status.eq(DISABLED), accounts::updated_at.eq(at)))
        .execute(conn)
        .map(|_| ())
}

/// Deletes the accounts with this email that are not active, so that a new account may take it.
pub fn remove_inactive_with_email(conn: &mut DbConn, email: &str) -> QueryResult<usize> {
    diesel::delete(accounts::table.filter(accounts::email.eq(email)).filter(accounts::status.ne(ACTIVE)))
        .execute(conn)
}
