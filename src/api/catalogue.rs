//! The public catalogue over HTTP: organisations and their services, in the caller's language. Rules
//! live in `app::catalogue`; admins build the catalogue through `api::admin_catalogue`.

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api::pagination::{Page, PageParams, page};
use crate::app::catalogue::{self as catalogue, OrganisationEntry, ServiceEntry, ServiceQuery as Query};
use crate::domain::form::FormDefinition;
use crate::domain::locale::Locale;
use crate::error::{ApiResult, Problem};
use crate::http::language::Lang;
use crate::state::AppState;

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

impl OrganisationView {
    fn new(entry: OrganisationEntry, locale: Locale) -> Self {
        let o = entry.organisation;
        Self {
            name: entry.name.get(locale).to_owned(),
            description: entry.description.get(locale).to_owned(),
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
    let rows = catalogue::organisations(&state.db, after, limit + 1).await?;
    let body = page(
        rows,
        limit,
        |o| (o.organisation.code.clone(), o.organisation.id.clone()),
        |o| OrganisationView::new(o, lang.0),
    );
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

impl ServiceSummary {
    fn new(entry: &ServiceEntry, locale: Locale) -> Self {
        let (s, t) = (&entry.service, &entry.texts);
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
    let f = filter.into_inner();
    let query = Query { category: f.category, organisation_id: f.organisation_id, q: f.q };
    let rows = catalogue::services(&state.db, query, after, limit + 1).await?;
    let body = page(
        rows,
        limit,
        |s| (s.service.code.clone(), s.service.id.clone()),
        |s| ServiceSummary::new(&s, lang.0),
    );
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
                field_type: f.field_type.as_str().to_owned(),
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
    /// The permit an approved application receives, if the live version issues one.
    pub permit: Option<PermitSummary>,
}

/// What kind of permit a service issues and for how long.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PermitSummary {
    #[serde(rename = "type")]
    #[schema(example = "vehicle")]
    pub kind: String,
    /// Days from approval; absent when the permit runs until a date given in the form.
    pub validity_days: Option<u32>,
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
    let live = catalogue::live_service(&state.db, path.into_inner()).await?;
    let t = &live.entry.texts;
    let body = ServiceDetail {
        summary: ServiceSummary::new(&live.entry, lang.0),
        instructions: t.instructions.get(lang.0).to_owned(),
        eligibility: t.eligibility.get(lang.0).to_owned(),
        form: FormView::new(live.version, &live.form, lang.0),
        permit: live.permit.map(|p| PermitSummary { kind: p.kind, validity_days: p.validity_days }),
    };
    let mut res = HttpResponse::Ok();
    lang.mark(&mut res);
    Ok(res.json(body))
}
