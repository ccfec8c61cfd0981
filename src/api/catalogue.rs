//! The public catalogue: organisations and their services, in the caller's language; admin operations
//! to create them and to draft and publish new form versions.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api::pagination::{Page, PageParams, page};
use crate::audit::{Audit, audited};
use crate::auth::Principal;
use crate::context::RequestContext;
use crate::db::types::{new_id, now, utc};
use crate::domain::FieldError;
use crate::domain::form::FormDefinition;
use crate::domain::locale::{Locale, LocalizedText};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::json::Json;
use crate::http::language::Lang;
use crate::idempotency::{self, Created};
use crate::state::AppState;
use crate::store::catalogue::{self as store, Organisation, Service, ServiceFilter, ServiceVersion};

pub const CATEGORIES: [&str; 7] =
    ["immigration", "residence", "travel", "business", "employment", "health", "education"];

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganisationView {
    pub id: String,
    pub code: String,
    /// `government` or `business`.
    pub kind: String,
    /// `macao` or `hengqin`: whose public holidays its service levels follow.
    pub jurisdiction: String,
    pub name: String,
    pub description: String,
}

fn text(json: &str, locale: Locale) -> String {
    serde_json::from_str::<LocalizedText>(json).map(|t| t.get(locale).to_owned()).unwrap_or_default()
}

impl OrganisationView {
    fn new(o: Organisation, locale: Locale) -> Self {
        Self {
            name: text(&o.name, locale),
            description: text(&o.description, locale),
            id: o.id,
            code: o.code,
            kind: o.kind,
            jurisdiction: o.jurisdiction,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangParam {
    /// `zh-Hant`, `zh-Hans`, `pt` or `en`; overrides `Accept-Language`.
    pub lang: Option<String>,
}

/// List organisations
///
/// Government departments and businesses that offer services, ordered by code.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "listOrganisations",
    params(PageParams, LangParam, ("Accept-Language" = Option<String>, Header, description = "Preferred languages")),
    responses((status = 200, description = "A page of organisations.", body = Page<OrganisationView>,
        headers(("Content-Language" = String, description = "Language of the texts"))))
)]
#[get("/organisations")]
pub async fn list_organisations(
    state: web::Data<AppState>,
    lang: Lang,
    q: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = q.limit()?;
    let after = q.cursor()?.map(|c| c.k);
    let rows = state.db.run(move |conn| Ok(store::list_organisations(conn, after, limit + 1)?)).await?;
    let body = page(rows, limit, |o| (o.code.clone(), o.id.clone()), |o| OrganisationView::new(o, lang.0));
    let mut res = HttpResponse::Ok();
    lang.mark(&mut res);
    Ok(res.json(body))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Fee {
    /// In the currency's minor unit (avos, fen).
    pub amount: i64,
    /// `MOP` or `CNY`.
    pub currency: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceSummary {
    pub id: String,
    pub code: String,
    pub organisation_id: String,
    pub category: String,
    pub name: String,
    pub description: String,
    pub fee: Fee,
    /// Service-level target in working days.
    pub sla_days: i32,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ServiceTexts {
    name: LocalizedText,
    description: LocalizedText,
    instructions: LocalizedText,
    eligibility: LocalizedText,
}

fn texts(s: &Service) -> ServiceTexts {
    serde_json::from_str(&s.texts).unwrap_or_default()
}

impl ServiceSummary {
    fn new(s: &Service, locale: Locale) -> Self {
        let t = texts(s);
        Self {
            id: s.id.clone(),
            code: s.code.clone(),
            organisation_id: s.organisation_id.clone(),
            category: s.category.clone(),
            name: t.name.get(locale).to_owned(),
            description: t.description.get(locale).to_owned(),
            fee: Fee { amount: s.fee_amount, currency: s.fee_currency.clone() },
            sla_days: s.sla_days,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceQuery {
    /// `immigration`, `residence`, `travel`, `business`, `employment`, `health` or `education`.
    pub category: Option<String>,
    pub organisation_id: Option<String>,
    /// Text searched in the code and the name in every language.
    pub q: Option<String>,
}

/// List services
///
/// Services with a published form, ordered by code; filter by category, organisation or text.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "listServices",
    params(ServiceQuery, PageParams, LangParam, ("Accept-Language" = Option<String>, Header, description = "Preferred languages")),
    responses((status = 200, description = "A page of services.", body = Page<ServiceSummary>,
        headers(("Content-Language" = String, description = "Language of the texts"))))
)]
#[get("/services")]
pub async fn list_services(
    state: web::Data<AppState>,
    lang: Lang,
    filter: web::Query<ServiceQuery>,
    q: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = q.limit()?;
    let after = q.cursor()?.map(|c| c.k);
    let filter = filter.into_inner();
    if let Some(c) = &filter.category
        && !CATEGORIES.contains(&c.as_str())
    {
        return Err(ApiError::field(
            "category",
            "invalid_option",
            format!("category must be one of {}", CATEGORIES.join(", ")),
        ));
    }
    if filter.q.as_ref().is_some_and(|q| q.chars().count() > 100) {
        return Err(ApiError::field("q", "too_long", "q must be at most 100 characters"));
    }
    let f = ServiceFilter {
        category: filter.category,
        organisation_id: filter.organisation_id,
        q: filter.q.filter(|q| !q.trim().is_empty()),
    };
    let rows = state.db.run(move |conn| Ok(store::list_services(conn, f, after, limit + 1)?)).await?;
    let body = page(rows, limit, |s| (s.code.clone(), s.id.clone()), |s| ServiceSummary::new(&s, lang.0));
    let mut res = HttpResponse::Ok();
    lang.mark(&mut res);
    Ok(res.json(body))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OptionView {
    pub value: String,
    pub label: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FieldView {
    pub key: String,
    /// `text`, `number`, `date`, `boolean`, `select`, `multiselect`, `email`, `phone`, `macao_id`,
    /// `mainland_travel_permit` or `mainland_id`.
    #[serde(rename = "type")]
    pub field_type: String,
    pub required: bool,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<OptionView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DocumentView {
    pub kind: String,
    pub required: bool,
    pub label: String,
}

/// A form version in one language.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FormView {
    pub version: i32,
    pub fields: Vec<FieldView>,
    pub documents: Vec<DocumentView>,
}

impl FormView {
    pub fn new(version: i32, form: &FormDefinition, locale: Locale) -> Self {
        let fields = form
            .fields
            .iter()
            .map(|f| FieldView {
                key: f.key.clone(),
                field_type: serde_json::to_value(f.field_type)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                required: f.required,
                label: f.label.get(locale).to_owned(),
                options: (!f.options.is_empty()).then(|| {
                    f.options
                        .iter()
                        .map(|o| OptionView { value: o.value.clone(), label: o.label.get(locale).to_owned() })
                        .collect()
                }),
                min: f.min.clone(),
                max: f.max.clone(),
                pattern: f.pattern.clone(),
            })
            .collect();
        let documents = form
            .documents
            .iter()
            .map(|d| DocumentView {
                kind: d.kind.clone(),
                required: d.required,
                label: d.label.get(locale).to_owned(),
            })
            .collect();
        Self { version, fields, documents }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceDetail {
    #[serde(flatten)]
    pub summary: ServiceSummary,
    pub instructions: String,
    pub eligibility: String,
    /// The live form: new applications are made on this version.
    pub form: FormView,
}

pub fn parse_form(json: &str) -> ApiResult<FormDefinition> {
    serde_json::from_str(json).map_err(|e| ApiError::internal(format!("stored form does not parse: {e}")))
}

/// Get a service with its live form
///
/// Texts and form labels come in the language chosen by `lang` or `Accept-Language`; `form.version` is the version new applications are made on.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "getService",
    params(("service_id" = String, Path, description = "Service id"), LangParam,
        ("Accept-Language" = Option<String>, Header, description = "Preferred languages")),
    responses(
        (status = 200, description = "The service.", body = ServiceDetail,
            headers(("Content-Language" = String, description = "Language of the texts"))),
        (status = 404, description = "No such live service.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/services/{service_id}")]
pub async fn get_service(
    state: web::Data<AppState>,
    lang: Lang,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let (service, version) = state
        .db
        .run(move |conn| {
            let s = store::find_live_service(conn, &id)?;
            let v = store::find_version(conn, &s.id, s.live_version.unwrap_or(1))?;
            Ok((s, v))
        })
        .await?;
    let form = parse_form(&version.form)?;
    let t = texts(&service);
    let body = ServiceDetail {
        summary: ServiceSummary::new(&service, lang.0),
        instructions: t.instructions.get(lang.0).to_owned(),
        eligibility: t.eligibility.get(lang.0).to_owned(),
        form: FormView::new(version.version, &form, lang.0),
    };
    let mut res = HttpResponse::Ok();
    lang.mark(&mut res);
    Ok(res.json(body))
}

fn check_text(field: &str, t: &LocalizedText, errors: &mut Vec<FieldError>) {
    for missing in t.missing() {
        errors.push(FieldError::new(
            format!("{field}.{}", missing.as_str()),
            "incomplete_translation",
            format!("{field} needs a text in {}", missing.as_str()),
        ));
    }
}

fn check_code(field: &str, code: &str, errors: &mut Vec<FieldError>) {
    let ok = code.len() >= 3
        && code.len() <= 63
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        errors.push(FieldError::new(
            field,
            "invalid_format",
            "use 3-63 lowercase letters, digits and hyphens",
        ));
    }
}

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

fn unique_violation(e: diesel::result::Error, field: &str) -> ApiError {
    ApiError::unique_or(e, || {
        ApiError::conflict(crate::error::ErrorCode::AlreadyExists, format!("the {field} is already used"))
    })
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
    req: HttpRequest,
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    body: Json<CreateOrganisation>,
) -> ApiResult<HttpResponse> {
    p.admin()?;
    let failure = Audit::by(&p, &ctx, "organisation.create");
    audited(state.clone(), failure, async move {
        let b = body.0;
        let mut errors = Vec::new();
        check_code("code", &b.code, &mut errors);
        if !["government", "business"].contains(&b.kind.as_str()) {
            errors.push(FieldError::new("kind", "invalid_option", "kind must be government or business"));
        }
        if !["macao", "hengqin"].contains(&b.jurisdiction.as_str()) {
            errors.push(FieldError::new(
                "jurisdiction",
                "invalid_option",
                "jurisdiction must be macao or hengqin",
            ));
        }
        check_text("name", &b.name, &mut errors);
        check_text("description", &b.description, &mut errors);
        for (i, d) in b.holidays.iter().enumerate() {
            if NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
                errors.push(FieldError::new(format!("holidays[{i}]"), "invalid_date", "use YYYY-MM-DD"));
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        let t = now();
        let name_json = serde_json::to_value(&b.name).map_err(ApiError::internal)?;
        let org = Organisation {
            id: new_id(),
            search_text: crate::seed::search_text(&b.code, &name_json),
            code: b.code,
            kind: b.kind,
            jurisdiction: b.jurisdiction,
            name: name_json.to_string(),
            description: serde_json::to_string(&b.description).map_err(ApiError::internal)?,
            holidays: serde_json::to_string(&b.holidays).map_err(ApiError::internal)?,
            created_at: t,
            updated_at: t,
        };
        let audit = Audit::by(&p, &ctx, "organisation.create").target("organisation", &org.id).result(201);
        let view = OrganisationAdminView {
            id: org.id.clone(),
            code: org.code.clone(),
            kind: org.kind.clone(),
            jurisdiction: org.jurisdiction.clone(),
            name: b.name,
            description: b.description,
            holidays: b.holidays,
            created_at: utc(t),
        };
        let fp = idempotency::json_fingerprint(&req);
        let db = state.db.clone();
        idempotency::run(&req, &state, &p.id, "createOrganisation", fp, |record| async move {
            db.write(move |conn| {
                use diesel::RunQueryDsl;
                diesel::insert_into(crate::db::schema::organisations::table)
                    .values(&org)
                    .execute(conn)
                    .map_err(|e| unique_violation(e, "code"))?;
                audit.write(conn)?;
                let created = Created::new(format!("/v1/organisations/{}", view.id), None, &view)?;
                created.remember(conn, record.as_ref())?;
                Ok(created)
            })
            .await
        })
        .await
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
    req: HttpRequest,
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    body: Json<CreateService>,
) -> ApiResult<HttpResponse> {
    p.admin()?;
    let failure = Audit::by(&p, &ctx, "service.create");
    audited(state.clone(), failure, async move {
        let b = body.0;
        let mut errors = Vec::new();
        check_code("code", &b.code, &mut errors);
        if !CATEGORIES.contains(&b.category.as_str()) {
            errors.push(FieldError::new(
                "category",
                "invalid_option",
                format!("category must be one of {}", CATEGORIES.join(", ")),
            ));
        }
        for (field, t) in [
            ("name", &b.name),
            ("description", &b.description),
            ("instructions", &b.instructions),
            ("eligibility", &b.eligibility),
        ] {
            check_text(field, t, &mut errors);
        }
        let currency = b.fee_currency.clone().unwrap_or_else(|| "MOP".into());
        if !["MOP", "CNY"].contains(&currency.as_str()) {
            errors.push(FieldError::new("fee_currency", "invalid_option", "fee_currency must be MOP or CNY"));
        }
        if !(0..=100_000_000).contains(&b.fee_amount) {
            errors.push(FieldError::new("fee_amount", "out_of_range", "fee_amount must be 0 to 100000000"));
        }
        if !(1..=250).contains(&b.sla_days) {
            errors.push(FieldError::new("sla_days", "out_of_range", "sla_days must be 1 to 250"));
        }
        if let Err(form_errors) = b.form.check("form") {
            errors.extend(form_errors);
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        let t = now();
        let name_json = serde_json::to_value(&b.name).map_err(ApiError::internal)?;
        let texts = ServiceTexts {
            name: b.name,
            description: b.description,
            instructions: b.instructions,
            eligibility: b.eligibility,
        };
        let service = Service {
            id: new_id(),
            organisation_id: b.organisation_id,
            search_text: crate::seed::search_text(&b.code, &name_json),
            code: b.code,
            category: b.category,
            texts: serde_json::to_string(&texts).map_err(ApiError::internal)?,
            fee_amount: b.fee_amount,
            fee_currency: currency,
            sla_days: b.sla_days,
            live_version: Some(1),
            created_at: t,
            updated_at: t,
        };
        let version = ServiceVersion {
            service_id: service.id.clone(),
            version: 1,
            form: serde_json::to_string(&b.form).map_err(ApiError::internal)?,
            state: "published".into(),
            created_at: t,
            published_at: Some(t),
        };
        let audit = Audit::by(&p, &ctx, "service.create").target("service", &service.id).result(201);
        let fp = idempotency::json_fingerprint(&req);
        let db = state.db.clone();
        idempotency::run(&req, &state, &p.id, "createService", fp, |record| async move {
            db.write(move |conn| {
                use diesel::RunQueryDsl;
                if store::find_organisation(conn, &service.organisation_id).is_err() {
                    return Err(ApiError::field("organisation_id", "unknown", "no organisation has this id"));
                }
                diesel::insert_into(crate::db::schema::services::table)
                    .values(&service)
                    .execute(conn)
                    .map_err(|e| unique_violation(e, "code"))?;
                diesel::insert_into(crate::db::schema::service_versions::table)
                    .values(&version)
                    .execute(conn)?;
                audit.write(conn)?;
                let created = Created::new(
                    format!("/v1/services/{}", service.id),
                    None,
                    &ServiceAdminView::from(&service),
                )?;
                created.remember(conn, record.as_ref())?;
                Ok(created)
            })
            .await
        })
        .await
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateServiceVersion {
    pub form: FormDefinition,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceVersionView {
    pub service_id: String,
    pub version: i32,
    /// `draft`, `published` or `retired`.
    pub state: String,
    pub form: FormDefinition,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

impl ServiceVersionView {
    fn new(v: ServiceVersion) -> ApiResult<Self> {
        Ok(Self {
            form: parse_form(&v.form)?,
            service_id: v.service_id,
            version: v.version,
            state: v.state,
            created_at: utc(v.created_at),
            published_at: v.published_at.map(utc),
        })
    }
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
    req: HttpRequest,
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    path: web::Path<String>,
    body: Json<CreateServiceVersion>,
) -> ApiResult<HttpResponse> {
    p.admin()?;
    let failure = Audit::by(&p, &ctx, "service.version_create");
    audited(state.clone(), failure, async move {
        let service_id = path.into_inner();
        let form = body.0.form;
        let lookup = service_id.clone();
        state.db.run(move |conn| Ok(store::find_service(conn, &lookup)?)).await?;
        form.check("form").map_err(ApiError::validation)?;
        let form_json = serde_json::to_string(&form).map_err(ApiError::internal)?;
        let audit = Audit::by(&p, &ctx, "service.version_create").target("service", &service_id).result(201);
        let fp = idempotency::json_fingerprint(&req);
        let db = state.db.clone();
        idempotency::run(&req, &state, &p.id, "createServiceVersion", fp, |record| async move {
            db.write(move |conn| {
                use diesel::RunQueryDsl;
                store::find_service(conn, &service_id)?;
                let v = ServiceVersion {
                    version: store::latest_version_number(conn, &service_id)? + 1,
                    service_id,
                    form: form_json,
                    state: "draft".into(),
                    created_at: now(),
                    published_at: None,
                };
                diesel::insert_into(crate::db::schema::service_versions::table).values(&v).execute(conn)?;
                audit.write(conn)?;
                let location = format!("/v1/services/{}", v.service_id);
                let created = Created::new(location, None, &ServiceVersionView::new(v)?)?;
                created.remember(conn, record.as_ref())?;
                Ok(created)
            })
            .await
        })
        .await
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
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    path: web::Path<(String, i32)>,
) -> ApiResult<HttpResponse> {
    p.admin()?;
    let failure = Audit::by(&p, &ctx, "service.version_publish");
    audited(state.clone(), failure, async move {
        let (service_id, number) = path.into_inner();
        let audit = Audit::by(&p, &ctx, "service.version_publish").target("service", &service_id);
        let version = state
            .db
            .write(move |conn| {
                use crate::db::schema::{service_versions as sv, services as s};
                use diesel::prelude::*;
                let v = store::find_version(conn, &service_id, number)?;
                if v.state != "draft" {
                    return Err(ApiError::conflict(
                        crate::error::ErrorCode::VersionNotDraft,
                        "only a draft version can be published",
                    ));
                }
                let t = now();
                diesel::update(
                    sv::table.filter(sv::service_id.eq(&service_id)).filter(sv::state.eq("published")),
                )
                .set(sv::state.eq("retired"))
                .execute(conn)?;
                diesel::update(sv::table.find((&service_id, number)))
                    .set((sv::state.eq("published"), sv::published_at.eq(Some(t))))
                    .execute(conn)?;
                diesel::update(s::table.find(&service_id))
                    .set((s::live_version.eq(Some(number)), s::updated_at.eq(t)))
                    .execute(conn)?;
                audit.write(conn)?;
                Ok(store::find_version(conn, &service_id, number)?)
            })
            .await?;
        Ok(HttpResponse::Ok().json(ServiceVersionView::new(version)?))
    })
    .await
}
