//! The public catalogue: organisations and live services with their texts, for anyone.

use crate::db::Db;
use crate::domain::catalogue::{Category, MAX_SEARCH_CHARS, ServiceTexts};
use crate::domain::form::FormDefinition;
use crate::domain::locale::LocalizedText;
use crate::error::{ApiError, ApiResult};
use crate::store::catalogue::{self as store, Organisation, Service, ServiceFilter};

/// An organisation with its texts read.
pub struct OrganisationEntry {
    pub organisation: Organisation,
    pub name: LocalizedText,
    pub description: LocalizedText,
}

impl OrganisationEntry {
    fn read(organisation: Organisation) -> ApiResult<Self> {
        Ok(Self {
            name: organisation.name_text()?,
            description: organisation.description_text()?,
            organisation,
        })
    }
}

/// A service with its texts read.
pub struct ServiceEntry {
    pub service: Service,
    pub texts: ServiceTexts,
}

impl ServiceEntry {
    fn read(service: Service) -> ApiResult<Self> {
        Ok(Self { texts: service.service_texts()?, service })
    }
}

/// A live service and the form new applications are made on.
pub struct LiveService {
    pub entry: ServiceEntry,
    pub version: i32,
    pub form: FormDefinition,
    /// The permit an approval of the live version issues, if any.
    pub permit: Option<crate::domain::permit::spec::PermitSpec>,
}

/// Organisations by code, `limit` after the code `after`.
pub async fn organisations(db: &Db, after: Option<String>, limit: i64) -> ApiResult<Vec<OrganisationEntry>> {
    let rows = db.run(move |conn| Ok(store::list_organisations(conn, after, limit)?)).await?;
    rows.into_iter().map(OrganisationEntry::read).collect()
}

/// What a service list is narrowed to.
pub struct ServiceQuery {
    pub category: Option<String>,
    pub organisation_id: Option<String>,
    /// Searched in the code and the name in every language.
    pub q: Option<String>,
}

/// Live services by code, `limit` after the code `after`.
pub async fn services(
    db: &Db,
    query: ServiceQuery,
    after: Option<String>,
    limit: i64,
) -> ApiResult<Vec<ServiceEntry>> {
    if let Some(c) = &query.category
        && Category::parse(c).is_none()
    {
        return Err(ApiError::field(
            "category",
            "invalid_option",
            format!("category must be one of {}", Category::names().join(", ")),
        ));
    }
    if query.q.as_ref().is_some_and(|q| q.chars().count() > MAX_SEARCH_CHARS) {
        return Err(ApiError::field(
            "q",
            "too_long",
            format!("q must be at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    let filter = ServiceFilter {
        category: query.category,
        organisation_id: query.organisation_id,
        q: query.q.filter(|q| !q.trim().is_empty()),
    };
    let rows = db.run(move |conn| Ok(store::list_services(conn, filter, after, limit)?)).await?;
    rows.into_iter().map(ServiceEntry::read).collect()
}

/// A live service with its live form.
pub async fn live_service(db: &Db, id: String) -> ApiResult<LiveService> {
    let (service, version) = db
        .run(move |conn| {
            let s = store::find_live_service(conn, &id)?;
            let v = store::find_version(conn, &s.id, s.live_version.unwrap_or(1))?;
            Ok((s, v))
        })
        .await?;
    Ok(LiveService {
        permit: version.permit_spec()?,
        form: version.form_definition()?,
        version: version.version,
        entry: ServiceEntry::read(service)?,
    })
}
