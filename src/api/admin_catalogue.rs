//! Admins build the catalogue over HTTP: organisations, services, and form versions drafted beside the
//! live one and published later. Rules live in `app::admin_catalogue`; every request here is audited by
//! `api::audit`.

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::admin_catalogue::{self as admin, NewOrganisation, NewService};
use crate::app::caller::Admin;
use crate::audit::AuditTrail;
use crate::db::types::utc;
use crate::domain::catalogue::ServiceTexts;
use crate::domain::form::FormDefinition;
use crate::domain::locale::LocalizedText;
use crate::domain::permit::spec::PermitSpec;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::json::Json;
use crate::idempotency::{Create, Created};
use crate::state::AppState;
use crate::store::catalogue::{Organisation, Service, ServiceVersion};

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateOrganisation {
    #[schema(example = "hq-labour-bureau")]
    pub code: String,
    /// `government` or `business`.
    pub kind: String,
    /// `macao` or `hengqin`.
    pub jurisdiction: String,
    pub name: LocalizedText,
    pub description: LocalizedText,
    /// Public holidays (YYYY-MM-DD) skipped when counting working days.
    #[serde(default)]
    pub holidays: Vec<String>,
}

/// An organisation with every translation, as admins see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganisationAdminView {
    pub id: String,
    pub code: String,
    pub kind: String,
    pub jurisdiction: String,
    pub name: LocalizedText,
    pub description: LocalizedText,
    pub holidays: Vec<String>,
    pub created_at: DateTime<Utc>,
}

fn organisation_created(o: &Organisation) -> ApiResult<Created> {
    let view = OrganisationAdminView {
        id: o.id.clone(),
        code: o.code.clone(),
        kind: o.kind.clone(),
        jurisdiction: o.jurisdiction.clone(),
        name: o.name_text()?,
        description: o.description_text()?,
        holidays: o.holiday_list()?,
        created_at: utc(o.created_at),
    };
    Created::new(format!("/v1/organisations/{}", view.id), None, &view)
}

/// Create an organisation
///
/// Organisations are the tenant boundary: their staff and API clients see only their own services' applications. Names and descriptions are required in all four languages.
#[utoipa::path(
    tag = "admin",
    operation_id = "createOrganisation",
    security(("bearer" = [])),
    request_body = CreateOrganisation,
    responses(
        (status = 201, description = "Created.", body = OrganisationAdminView,
            headers(("Location" = String, description = "URL of the organisation"))),
        (status = 409, description = "The code is taken.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/organisations")]
pub async fn create_organisation(
    caller: Admin,
    state: web::Data<AppState>,
    trail: AuditTrail,
    body: Json<CreateOrganisation>,
    create: Create,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let input = NewOrganisation {
        code: b.code,
        kind: b.kind,
        jurisdiction: b.jurisdiction,
        name: b.name,
        description: b.description,
        holidays: b.holidays,
    };
    create
        .run(|record| {
            admin::create_organisation(&state.db, caller, input, record, trail, organisation_created)
        })
        .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateService {
    pub organisation_id: String,
    #[schema(example = "hq-talent-permit")]
    pub code: String,
    pub category: String,
    pub name: LocalizedText,
    pub description: LocalizedText,
    pub instructions: LocalizedText,
    pub eligibility: LocalizedText,
    /// In the minor unit of the currency.
    #[serde(default)]
    pub fee_amount: i64,
    /// `MOP` (default) or `CNY`.
    pub fee_currency: Option<String>,
    /// Service-level target in working days, 1 to 250.
    pub sla_days: i32,
    /// The first form version; it is published at once.
    pub form: FormDefinition,
    /// The permit an approved application of this version receives; omitted, none.
    pub permit: Option<PermitSpec>,
}

/// A service as admins see it: every translation and the version numbers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceAdminView {
    pub id: String,
    pub code: String,
    pub organisation_id: String,
    pub category: String,
    pub live_version: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Service> for ServiceAdminView {
    fn from(s: &Service) -> Self {
        Self {
            id: s.id.clone(),
            code: s.code.clone(),
            organisation_id: s.organisation_id.clone(),
            category: s.category.clone(),
            live_version: s.live_version,
            created_at: utc(s.created_at),
            updated_at: utc(s.updated_at),
        }
    }
}

fn service_created(s: &Service) -> ApiResult<Created> {
    Created::new(format!("/v1/services/{}", s.id), None, &ServiceAdminView::from(s))
}

/// Create a service with its first, published form
///
/// The form definition is checked field by field; the first version is published at once so the service is live.
#[utoipa::path(
    tag = "admin",
    operation_id = "createService",
    security(("bearer" = [])),
    request_body = CreateService,
    responses(
        (status = 201, description = "Created and live.", body = ServiceAdminView,
            headers(("Location" = String, description = "URL of the service"))),
        (status = 409, description = "The code is taken.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, including the form definition.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[post("/admin/services")]
pub async fn create_service(
    caller: Admin,
    state: web::Data<AppState>,
    trail: AuditTrail,
    body: Json<CreateService>,
    create: Create,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let input = NewService {
        organisation_id: b.organisation_id,
        code: b.code,
        category: b.category,
        texts: ServiceTexts {
            name: b.name,
            description: b.description,
            instructions: b.instructions,
            eligibility: b.eligibility,
        },
        fee_amount: b.fee_amount,
        fee_currency: b.fee_currency,
        sla_days: b.sla_days,
        form: b.form,
        permit: b.permit,
    };
    create.run(|record| admin::create_service(&state.db, caller, input, record, trail, service_created)).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateServiceVersion {
    pub form: FormDefinition,
    /// The permit an approved application of this version receives; omitted, none.
    pub permit: Option<PermitSpec>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceVersionView {
    pub service_id: String,
    pub version: i32,
    /// `draft`, `published` or `retired`.
    pub state: String,
    pub form: FormDefinition,
    /// The permit this version issues on approval, if any.
    pub permit: Option<PermitSpec>,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

impl ServiceVersionView {
    fn new(v: &ServiceVersion) -> ApiResult<Self> {
        Ok(Self {
            form: v.form_definition()?,
            permit: v.permit_spec()?,
            service_id: v.service_id.clone(),
            version: v.version,
            state: v.version_state()?.as_str().to_owned(),
            created_at: utc(v.created_at),
            published_at: v.published_at.map(utc),
        })
    }
}

fn version_created(v: &ServiceVersion) -> ApiResult<Created> {
    Created::new(format!("/v1/services/{}", v.service_id), None, &ServiceVersionView::new(v)?)
}

/// Draft a new form version of a service
///
/// The live version stays in use until the draft is published.
#[utoipa::path(
    tag = "admin",
    operation_id = "createServiceVersion",
    security(("bearer" = [])),
    params(("service_id" = String, Path, description = "Service id")),
    request_body = CreateServiceVersion,
    responses(
        (status = 201, description = "The draft version.", body = ServiceVersionView,
            headers(("Location" = String, description = "URL of the service"))),
        (status = 404, description = "No such service.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid form definition.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/services/{service_id}/versions")]
pub async fn create_service_version(
    caller: Admin,
    state: web::Data<AppState>,
    trail: AuditTrail,
    path: web::Path<String>,
    body: Result<Json<CreateServiceVersion>, ApiError>,
    create: Create,
) -> ApiResult<HttpResponse> {
    let service_id = path.into_inner();
    let form = body.map(|b| (b.0.form, b.0.permit));
    create
        .run(|record| {
            admin::create_version(&state.db, caller, service_id, form, record, trail, version_created)
        })
        .await
}

/// Publish a drafted form version
///
/// New applications use it from now on; applications already made keep the version they were made on.
#[utoipa::path(
    tag = "admin",
    operation_id = "publishServiceVersion",
    security(("bearer" = [])),
    params(("service_id" = String, Path, description = "Service id"), ("version" = i32, Path, description = "Version number")),
    responses(
        (status = 200, description = "The published version.", body = ServiceVersionView),
        (status = 404, description = "No such service or version.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The version is not a draft.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/services/{service_id}/versions/{version}/publish")]
pub async fn publish_service_version(
    caller: Admin,
    state: web::Data<AppState>,
    trail: AuditTrail,
    path: web::Path<(String, i32)>,
) -> ApiResult<HttpResponse> {
    let (service_id, number) = path.into_inner();
    let version = admin::publish_version(&state.db, caller, service_id, number, trail).await?;
    Ok(HttpResponse::Ok().json(ServiceVersionView::new(&version)?))
}
