//! API clients of organisations. Only a hash of each secret is kept.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::api_clients;

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = api_clients)]
pub struct ApiClient {
    pub id: String,
    pub client_id: String,
    pub organisation_id: String,
    pub name: String,
    pub secret_hash: String,
    pub scopes: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

impl ApiClient {
    /// The scopes, stored space-separated.
    pub fn scope_list(&self) -> Vec<String> {
        self.scopes.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect()
    }
}

pub fn insert(conn: &mut DbConn, client: &ApiClient) -> QueryResult<()> {
    diesel::insert_into(api_clients::table).values(client).execute(conn).map(|_| ())
}

/// An API client that has not been revoked.
pub fn find_active(conn: &mut DbConn, client_id: &str) -> QueryResult<Option<ApiClient>> {
    api_clients::table
        .filter(api_clients::client_id.eq(client_id))
        .filter(api_clients::revoked_at.is_null())
        .first(conn)
        .optional()
}

/// Client ids revoked since `since`.
pub fn revoked_since(conn: &mut DbConn, since: NaiveDateTime) -> QueryResult<Vec<String>> {
    api_clients::table.filter(api_clients::revoked_at.gt(since)).select(api_clients::client_id).load(conn)
}

/// Active clients changed since `since` (a client changes only when its secret is rotated or it is
/// revoked), with their current secret hash: `(client_id, secret_hash)`.
pub fn changed_since(conn: &mut DbConn, since: NaiveDateTime) -> QueryResult<Vec<(String, String)>> {
    api_clients::table
        .filter(api_clients::updated_at.gt(since))
        .filter(api_clients::revoked_at.is_null())
        .select((api_clients::client_id, api_clients::secret_hash))
        .load(conn)
}

/// A client that has not been revoked, by its `id` (not its public `client_id`).
pub fn find_active_by_ref(conn: &mut DbConn, id: &str) -> QueryResult<ApiClient> {
    api_clients::table.find(id).filter(api_clients::revoked_at.is_null()).first(conn)
}

pub fn revoke(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(api_clients::table.find(id))
        .set((api_clients::revoked_at.eq(Some(at)), api_clients::updated_at.eq(at)))
        .execute(conn)
        .map(|_| ())
}

pub fn set_secret_hash(conn: &mut DbConn, id: &str, hash: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(api_clients::table.find(id))
        .set((api_clients::secret_hash.eq(hash), api_clients::updated_at.eq(at)))
        .execute(conn)
        .map(|_| ())
}
