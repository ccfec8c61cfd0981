//! Organisations, services and their form versions.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{organisations, service_versions, services};
use crate::domain::catalogue::{ServiceTexts, VersionState};
use crate::domain::form::FormDefinition;
use crate::domain::locale::LocalizedText;
use crate::domain::permit::spec::PermitSpec;
use crate::error::{ApiError, ApiResult};

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
    /// The permit this version issues on approval (JSON of a `PermitSpec`), if any.
    pub permit: Option<String>,
}

/// A JSON column read back; what this server wrote always parses, so a failure is a 500.
fn decode<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> ApiResult<T> {
    serde_json::from_str(json).map_err(|e| ApiError::internal(format!("stored {what} does not parse: {e}")))
}

/// JSON for a column.
pub fn encode<T: serde::Serialize>(value: &T) -> ApiResult<String> {
    serde_json::to_string(value).map_err(ApiError::internal)
}

impl Organisation {
    pub fn name_text(&self) -> ApiResult<LocalizedText> {
        decode("organisation name", &self.name)
    }

    pub fn description_text(&self) -> ApiResult<LocalizedText> {
        decode("organisation description", &self.description)
    }

    /// The public holidays as stored (YYYY-MM-DD).
    pub fn holiday_list(&self) -> ApiResult<Vec<String>> {
        decode("holidays", &self.holidays)
    }
}

impl Service {
    pub fn service_texts(&self) -> ApiResult<ServiceTexts> {
        decode("service texts", &self.texts)
    }
}

impl ServiceVersion {
    pub fn form_definition(&self) -> ApiResult<FormDefinition> {
        parse_form(&self.form)
    }

    pub fn permit_spec(&self) -> ApiResult<Option<PermitSpec>> {
        self.permit.as_deref().map(|p| decode("permit setting", p)).transpose()
    }

    pub fn version_state(&self) -> ApiResult<VersionState> {
        VersionState::parse(&self.state)
            .ok_or_else(|| ApiError::internal(format!("unknown version state {}", self.state)))
    }
}

/// A stored form definition.
pub fn parse_form(json: &str) -> ApiResult<FormDefinition> {
    decode("form", json)
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

pub fn find_organisation_by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<Organisation>> {
    organisations::table.filter(organisations::code.eq(code)).first(conn).optional()
}

pub fn insert_organisation(conn: &mut DbConn, o: &Organisation) -> QueryResult<()> {
    diesel::insert_into(organisations::table).values(o).execute(conn).map(|_| ())
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

pub fn find_service_by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<Service>> {
    services::table.filter(services::code.eq(code)).first(conn).optional()
}

pub fn insert_service(conn: &mut DbConn, s: &Service) -> QueryResult<()> {
    diesel::insert_into(services::table).values(s).execute(conn).map(|_| ())
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

pub fn insert_version(conn: &mut DbConn, v: &ServiceVersion) -> QueryResult<()> {
    diesel::insert_into(service_versions::table).values(v).execute(conn).map(|_| ())
}

/// Makes `number` the service's live version: the version live until now is retired, so exactly one
/// is published. Whether `number` may be published is the caller's decision.
pub fn publish_version(
    conn: &mut DbConn,
    service_id: &str,
    number: i32,
    at: NaiveDateTime,
) -> QueryResult<()> {
    use service_versions as sv;
    diesel::update(
        sv::table
            .filter(sv::service_id.eq(service_id))
            .filter(sv::state.eq(VersionState::Published.as_str())),
    )
    .set(sv::state.eq(VersionState::Retired.as_str()))
    .execute(conn)?;
    diesel::update(sv::table.find((service_id, number)))
        .set((sv::state.eq(VersionState::Published.as_str()), sv::published_at.eq(Some(at))))
        .execute(conn)?;
    diesel::update(services::table.find(service_id))
        .set((services::live_version.eq(Some(number)), services::updated_at.eq(at)))
        .execute(conn)?;
    Ok(())
}

/// Public holidays of an organisation's calendar.
pub fn holidays(conn: &mut DbConn, organisation_id: &str) -> ApiResult<Vec<NaiveDate>> {
    let dates = find_organisation(conn, organisation_id)?.holiday_list()?;
    dates
        .iter()
        .map(|d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|e| ApiError::internal(format!("stored holiday {d} does not parse: {e}")))
        })
        .collect()
}
