//! People's accounts: residents, staff and admins. A deleted account keeps its row (applications and
//! audit events still point at it) but no personal data, and is never found by the lookups here.

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::prelude::*;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use crate::db::DbConn;
use crate::db::schema::accounts;
use crate::domain::channel::Channel;
use crate::domain::role::Role;

/// Whether an account may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum AccountStatus {
    Active,
    /// Switched off by an admin; the row and its data stay.
    Disabled,
    /// Erased at the owner's request: only tombstones are left.
    Deleted,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "active" => Self::Active,
            "disabled" => Self::Disabled,
            "deleted" => Self::Deleted,
            _ => return None,
        })
    }
}

impl<DB: Backend> ToSql<Text, DB> for AccountStatus
where
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.as_str().to_sql(out)
    }
}

/// A stored status the code does not know fails the read instead of passing for another one.
impl<DB: Backend> FromSql<Text, DB> for AccountStatus
where
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let s = String::from_sql(bytes)?;
        Self::parse(&s).ok_or_else(|| format!("unknown account status {s:?}").into())
    }
}

/// Shorthands for the statuses, usable as values and in queries alike.
pub const ACTIVE: AccountStatus = AccountStatus::Active;
pub const DISABLED: AccountStatus = AccountStatus::Disabled;
pub const DELETED: AccountStatus = AccountStatus::Deleted;

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = accounts)]
pub struct Account {
    pub id: String,
    /// Never `client`: API clients are not accounts.
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub role: Role,
    pub organisation_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password_hash: String,
    pub full_name: String,
    pub preferred_language: String,
    pub status: AccountStatus,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Whether a code sent to `email` came back (or an admin provisioned it); only proven contacts
    /// receive password reset codes.
    pub email_verified: bool,
    pub phone_verified: bool,
}

impl Account {
    /// The account's contact on `channel`, and whether it is proven.
    pub fn contact(&self, channel: Channel) -> (Option<&str>, bool) {
        match channel {
            Channel::Email => (self.email.as_deref(), self.email_verified),
            Channel::Phone => (self.phone.as_deref(), self.phone_verified),
        }
    }

    /// Whether `login` (normalised) is one of the account's proven contacts.
    pub fn is_verified_login(&self, login: &str) -> bool {
        [Channel::Email, Channel::Phone].into_iter().any(|c| self.contact(c) == (Some(login), true))
    }
}

pub fn insert(conn: &mut DbConn, account: &Account) -> QueryResult<()> {
    diesel::insert_into(accounts::table).values(account.clone()).execute(conn).map(|_| ())
}

/// Any account with this id, erased ones included.
pub fn find_any(conn: &mut DbConn, id: &str) -> QueryResult<Account> {
    accounts::table.find(id).first(conn)
}

/// The account, unless it was deleted.
pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Account> {
    live(id.to_owned()).first(conn)
}

/// The query of the account with this id, unless it was deleted.
#[diesel::dsl::auto_type(no_type_alias)]
pub fn live(id: String) -> _ {
    let deleted: AccountStatus = DELETED;
    accounts::table.find(id).filter(accounts::status.ne(deleted))
}

/// The active account with this id, if there is one.
pub fn find_active(conn: &mut DbConn, id: &str) -> QueryResult<Option<Account>> {
    accounts::table.find(id).filter(accounts::status.eq(ACTIVE)).first(conn).optional()
}

/// The active account with this normalised email or phone.
pub fn find_by_login(conn: &mut DbConn, login: &str) -> QueryResult<Option<Account>> {
    accounts::table
        .filter(accounts::email.eq(login).or(accounts::phone.eq(login)))
        .filter(accounts::status.eq(ACTIVE))
        .first(conn)
        .optional()
}

/// Whether a disabled admin account has this normalised email.
pub fn disabled_admin_with_email(conn: &mut DbConn, email: &str) -> QueryResult<bool> {
    let found = accounts::table
        .filter(accounts::email.eq(email))
        .filter(accounts::status.eq(DISABLED))
        .filter(accounts::role.eq(Role::Admin.as_str()))
        .select(accounts::id)
        .first::<String>(conn)
        .optional()?;
    Ok(found.is_some())
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

/// Writes the name and language of `account`; contacts change only through [`set_verified_contact`].
pub fn save_profile(conn: &mut DbConn, account: &Account) -> QueryResult<usize> {
    diesel::update(accounts::table.find(&account.id))
        .set((
            accounts::full_name.eq(&account.full_name),
            accounts::preferred_language.eq(&account.preferred_language),
            accounts::updated_at.eq(account.updated_at),
        ))
        .execute(conn)
}

/// Makes `value` the account's proven contact on `channel`.
pub fn set_verified_contact(
    conn: &mut DbConn,
    id: &str,
    channel: Channel,
    value: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let q = diesel::update(accounts::table.find(id).filter(accounts::status.eq(ACTIVE)));
    match channel {
        Channel::Email => q
            .set((accounts::email.eq(value), accounts::email_verified.eq(true), accounts::updated_at.eq(now)))
            .execute(conn),
        Channel::Phone => q
            .set((accounts::phone.eq(value), accounts::phone_verified.eq(true), accounts::updated_at.eq(now)))
            .execute(conn),
    }
}

/// Replaces the account's personal data with tombstones and marks it deleted; the row stays, because
/// applications and audit events refer to it. The password hash becomes one no password matches.
pub fn erase(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(accounts::table.find(id))
        .set((
            accounts::full_name.eq("[deleted]"),
            accounts::email.eq(None::<String>),
            accounts::phone.eq(None::<String>),
            accounts::email_verified.eq(false),
            accounts::phone_verified.eq(false),
            accounts::password_hash.eq("!"),
            accounts::status.eq(DELETED),
            accounts::updated_at.eq(now),
        ))
        .execute(conn)
}

/// The active officers and supervisors of an organisation, by name.
pub fn active_staff(conn: &mut DbConn, organisation: &str) -> QueryResult<Vec<Account>> {
    accounts::table
        .filter(accounts::organisation_id.eq(organisation))
        .filter(accounts::role.eq_any([Role::Officer.as_str(), Role::Supervisor.as_str()]))
        .filter(accounts::status.eq(ACTIVE))
        .order((accounts::full_name.asc(), accounts::id.asc()))
        .load(conn)
}

/// One active officer or supervisor of an organisation, if `id` is one.
pub fn find_active_staff(conn: &mut DbConn, id: &str, organisation: &str) -> QueryResult<Option<Account>> {
    accounts::table
        .find(id)
        .filter(accounts::organisation_id.eq(organisation))
        .filter(accounts::role.eq_any([Role::Officer.as_str(), Role::Supervisor.as_str()]))
        .filter(accounts::status.eq(ACTIVE))
        .first(conn)
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_as_written_and_unknown_ones_are_refused() {
        for s in [AccountStatus::Active, AccountStatus::Disabled, AccountStatus::Deleted] {
            assert_eq!(AccountStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(AccountStatus::parse("Active"), None);
        assert_eq!(AccountStatus::parse(""), None);
    }
}
