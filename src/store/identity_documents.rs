use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::identity_documents as d;

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = d)]
pub struct IdentityDocument {
    pub id: String,
    pub account_id: String,
    pub kind: String,
    pub number: String,
    pub expires_on: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, doc: &IdentityDocument) -> QueryResult<()> {
    diesel::insert_into(d::table).values(doc).execute(conn).map(|_| ())
}

pub fn list(conn: &mut DbConn, account_id: &str) -> QueryResult<Vec<IdentityDocument>> {
    d::table.filter(d::account_id.eq(account_id)).order((d::created_at.asc(), d::id.asc())).load(conn)
}

pub fn delete_all(conn: &mut DbConn, account_id: &str) -> QueryResult<usize> {
    diesel::delete(d::table.filter(d::account_id.eq(account_id))).execute(conn)
}
