//! Organisations, services and their form versions.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{organisations, service_versions, services};

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = organisations)]
pub struct Organisation {
    pub id: String,
    pub code: String,
    pub kind: String,
    pub jurisdiction: String,
    pub name: String,
    pub description: String,
    pub holidays: String,
    pub search_text: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = services)]
pub struct Service {
    pub id: String,
    pub organisation_id: String,
    pub code: String,
    pub category: String,
    pub texts: String,
    pub fee_amount: i64,
    pub fee_currency: String,
    pub sla_days: i32,
    pub live_version: Option<i32>,
    pub search_text: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = service_versions)]
pub struct ServiceVersion {
    pub service_id: String,
    pub version: i32,
    pub form: String,
    pub state: String,
    pub created_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
}

pub fn list_organisations(
    conn: &mut DbConn,
    after: Option<String>,
    limit: i64,
) -> QueryResult<Vec<Organisation>> {
    let mut q = organisations::table.into_boxed();
    if let Some(code) = after {
        q = q.filter(organisations::code.gt(code));
    }
    q.order(organisations::code.asc()).limit(limit).load(conn)
}

pub fn find_organisation(conn: &mut DbConn, id: &str) -> QueryResult<Organisation> {
    organisations::table.find(id).first(conn)
}

pub struct ServiceFilter {
    pub category: Option<String>,
    pub organisation_id: Option<String>,
    pub q: Option<String>,
}

/// Services that have a published version, ordered by code.
pub fn list_services(
    conn: &mut DbConn,
    f: ServiceFilter,
    after: Option<String>,
    limit: i64,
) -> QueryResult<Vec<Service>> {
    let mut q = services::table.filter(services::live_version.is_not_null()).into_boxed();
    if let Some(c) = f.category {
        q = q.filter(services::category.eq(c));
    }
    if let Some(o) = f.organisation_id {
        q = q.filter(services::organisation_id.eq(o));
    }
    if let Some(text) = f.q {
        let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        q = q.filter(services::search_text.like(format!("%{escaped}%")).escape('\\'));
    }
    if let Some(code) = after {
        q = q.filter(services::code.gt(code));
    }
    q.order(services::code.asc()).limit(limit).load(conn)
}

/// A service that is live (has a published version).
pub fn find_live_service(conn: &mut DbConn, id: &str) -> QueryResult<Service> {
    services::table.find(id).filter(services::live_version.is_not_null()).first(conn)
}

pub fn find_service(conn: &mut DbConn, id: &str) -> QueryResult<Service> {
    services::table.find(id).first(conn)
}

pub fn find_version(conn: &mut DbConn, service_id: &str, version: i32) -> QueryResult<ServiceVersion> {
    service_versions::table.find((service_id, version)).first(conn)
}

pub fn latest_version_number(conn: &mut DbConn, service_id: &str) -> QueryResult<i32> {
    service_versions::table
        .filter(service_versions::service_id.eq(service_id))
        .select(diesel::dsl::max(service_versions::version))
        .first::<Option<i32>>(conn)
        .map(|v| v.unwrap_or(0))
}

/// Public holidays of an organisation's calendar.
pub fn holidays(conn: &mut DbConn, organisation_id: &str) -> QueryResult<Vec<chrono::NaiveDate>> {
    let raw: String =
        organisations::table.find(organisation_id).select(organisations::holidays).first(conn)?;
    let dates: Vec<String> = serde_json::from_str(&raw).unwrap_or_default();
    Ok(dates.iter().filter_map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()).collect())
}
