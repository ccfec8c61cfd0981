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
