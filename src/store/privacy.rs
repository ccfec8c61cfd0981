//! Queries for a resident's privacy rights: everything held about them, and erasure. They reach across
//! the tables of applications, documents and notifications, always by the resident's id; what to erase
//! and what to keep is decided in `app::privacy`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{applications as a, audit_events as au, documents as d, notifications as n};
use crate::domain::status::ApplicationStatus;
use crate::store::applications::{Application, Notification};
use crate::store::audit::AuditEvent;

/// Every application of the resident, oldest first.
pub fn applications(conn: &mut DbConn, resident: &str) -> QueryResult<Vec<Application>> {
    a::table.filter(a::resident_id.eq(resident)).order((a::created_at.asc(), a::id.asc())).load(conn)
}

/// The id and status of every application of the resident. A stored status the code does not know
/// fails the query.
pub fn application_statuses(
    conn: &mut DbConn,
    resident: &str,
) -> QueryResult<Vec<(String, ApplicationStatus)>> {
    let rows: Vec<(String, String)> = a::table
        .filter(a::resident_id.eq(resident))
        .order((a::created_at.asc(), a::id.asc()))
        .select((a::id, a::status))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, status)| match ApplicationStatus::parse(&status) {
            Some(s) => Ok((id, s)),
            None => Err(diesel::result::Error::DeserializationError(
                format!("unknown application status {status:?}").into(),
            )),
        })
        .collect()
}

/// Where the files of every document of the resident's applications are stored.
pub fn document_storage_keys(conn: &mut DbConn, resident: &str) -> QueryResult<Vec<String>> {
    d::table.inner_join(a::table).filter(a::resident_id.eq(resident)).select(d::storage_key).load(conn)
}

/// Deletes one of the resident's applications, with its documents and events.
pub fn delete_application(conn: &mut DbConn, id: &str, resident: &str) -> QueryResult<usize> {
    diesel::delete(a::table.find(id).filter(a::resident_id.eq(resident))).execute(conn)
}

/// Deletes the document rows of an application (its files are deleted separately).
pub fn delete_documents(conn: &mut DbConn, application_id: &str) -> QueryResult<usize> {
    diesel::delete(d::table.filter(d::application_id.eq(application_id))).execute(conn)
}

/// Replaces an application's form data with an empty form; everything else of it stays.
pub fn blank_form_data(
    conn: &mut DbConn,
    id: &str,
    resident: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(a::table.find(id).filter(a::resident_id.eq(resident)))
        .set((a::form_data.eq("{}"), a::updated_at.eq(now)))
        .execute(conn)
}

/// Every notification of the account, oldest first.
pub fn notifications(conn: &mut DbConn, account: &str) -> QueryResult<Vec<Notification>> {
    n::table.filter(n::account_id.eq(account)).order((n::created_at.asc(), n::id.asc())).load(conn)
}

pub fn delete_notifications(conn: &mut DbConn, account: &str) -> QueryResult<usize> {
    diesel::delete(n::table.filter(n::account_id.eq(account))).execute(conn)
}

/// Audit events about the account and its applications, oldest first.
pub fn activity(conn: &mut DbConn, account: &str) -> QueryResult<Vec<AuditEvent>> {
    au::table
        .filter(au::subject_account_id.eq(account))
        .order((au::created_at.asc(), au::id.asc()))
        .load(conn)
}
