//! Admins build the catalogue: organisations, services, and new form versions drafted beside the live
//! one and published when ready. Codes are unique; texts come in all four languages.

use chrono::NaiveDate;
use diesel::OptionalExtension;

use crate::app::caller::Admin;
use crate::audit::AuditTrail;
use crate::db::types::{new_id, now};
use crate::db::{Db, DbConn};
use crate::domain::FieldError;
use crate::domain::catalogue::{
    Category, Code, Currency, FEE_RANGE, Jurisdiction, OrganisationKind, SLA_DAYS_RANGE, ServiceTexts,
    VersionState, check_complete, search_text,
};
use crate::domain::form::FormDefinition;
use crate::domain::locale::LocalizedText;
use crate::domain::permit::spec::PermitSpec;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::idempotency::{Created, Recorded};
use crate::store::catalogue::{self as store, Organisation, Service, ServiceVersion, encode};

fn code_taken(e: diesel::result::Error) -> ApiError {
    ApiError::unique_or(e, || ApiError::conflict(ErrorCode::AlreadyExists, "the code is already used"))
}

/// What an admin attaches to an organisation (a service, staff, an API client) needs one that exists;
/// the id comes from the body, so an unknown one is an invalid field, not a missing resource.
pub fn require_organisation(conn: &mut DbConn, id: &str) -> ApiResult<()> {
    match store::find_organisation(conn, id).optional()? {
        Some(_) => Ok(()),
        None => Err(ApiError::field("organisation_id", "unknown", "no organisation has this id")),
    }
}

fn parsed<T>(
    field: &str,
    raw: &str,
    parse: impl Fn(&str) -> Option<T>,
    listed: String,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let value = parse(raw);
    if value.is_none() {
        errors.push(FieldError::new(field, "invalid_option", format!("{field} must be {listed}")));
    }
    value
}

/// An organisation as an admin describes it.
pub struct NewOrganisation {
    pub code: String,
    pub kind: String,
    pub jurisdiction: String,
    pub name: LocalizedText,
    pub description: LocalizedText,
    /// Public holidays, YYYY-MM-DD.
    pub holidays: Vec<String>,
}

/// Every problem with a new organisation at once, or its row.
fn organisation_row(input: NewOrganisation) -> ApiResult<Organisation> {
    let mut errors = Vec::new();
    let code = Code::parse("code", &input.code).map_err(|e| errors.push(e)).ok();
    let kind = parsed("kind", &input.kind, OrganisationKind::parse, OrganisationKind::listed(), &mut errors);
    let jurisdiction =
        parsed("jurisdiction", &input.jurisdiction, Jurisdiction::parse, Jurisdiction::listed(), &mut errors);
    check_complete("name", &input.name, &mut errors);
    check_complete("description", &input.description, &mut errors);
    for (i, d) in input.holidays.iter().enumerate() {
        if NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
            errors.push(FieldError::new(format!("holidays[{i}]"), "invalid_date", "use YYYY-MM-DD"));
        }
    }
    let (Some(code), Some(kind), Some(jurisdiction), true) = (code, kind, jurisdiction, errors.is_empty())
    else {
        return Err(ApiError::validation(errors));
    };
    let t = now();
    Ok(Organisation {
        id: new_id(),
        search_text: search_text(code.as_str(), &input.name),
        code: code.into_inner(),
        kind: kind.as_str().to_owned(),
        jurisdiction: jurisdiction.as_str().to_owned(),
        name: encode(&input.name)?,
        description: encode(&input.description)?,
        holidays: encode(&input.holidays)?,
        created_at: t,
        updated_at: t,
    })
}

/// Creates an organisation; `respond` turns it into the 201 answer that an idempotent retry gets again.
pub async fn create_organisation(
    db: &Db,
    _caller: Admin,
    input: NewOrganisation,
    record: Option<Recorded>,
    trail: AuditTrail,
    respond: impl FnOnce(&Organisation) -> ApiResult<Created> + Send + 'static,
) -> ApiResult<Created> {
    let org = organisation_row(input)?;
    db.write(move |conn| {
        store::insert_organisation(conn, &org).map_err(code_taken)?;
        let created = respond(&org)?;
        created.remember(conn, record.as_ref())?;
        trail.set_target("organisation", &org.id);
        trail.write_in(conn, 201)?;
        Ok(created)
    })
    .await
}

/// A service as an admin describes it, with its first form.
pub struct NewService {
    pub organisation_id: String,
    pub code: String,
    pub category: String,
    pub texts: ServiceTexts,
    pub fee_amount: i64,
    /// `None` means MOP.
    pub fee_currency: Option<String>,
    pub sla_days: i32,
    pub form: FormDefinition,
    /// The permit the first version issues on approval, if any.
    pub permit: Option<PermitSpec>,
}

/// Every problem with a new service at once, or its row and its first, published version.
fn service_rows(input: NewService) -> ApiResult<(Service, ServiceVersion)> {
    let mut errors = Vec::new();
    let code = Code::parse("code", &input.code).map_err(|e| errors.push(e)).ok();
    let category = Category::parse(&input.category);
    if category.is_none() {
        errors.push(FieldError::new(
            "category",
            "invalid_option",
            format!("category must be one of {}", Category::names().join(", ")),
        ));
    }
    let t = &input.texts;
    for (field, text) in [
        ("name", &t.name),
        ("description", &t.description),
        ("instructions", &t.instructions),
        ("eligibility", &t.eligibility),
    ] {
        check_complete(field, text, &mut errors);
    }
    let currency = match &input.fee_currency {
        None => Some(Currency::Mop),
        Some(c) => parsed("fee_currency", c, Currency::parse, Currency::listed(), &mut errors),
    };
    if !FEE_RANGE.contains(&input.fee_amount) {
        errors.push(FieldError::new(
            "fee_amount",
            "out_of_range",
            format!("fee_amount must be {} to {}", FEE_RANGE.start(), FEE_RANGE.end()),
        ));
    }
    if !SLA_DAYS_RANGE.contains(&input.sla_days) {
        errors.push(FieldError::new(
            "sla_days",
            "out_of_range",
            format!("sla_days must be {} to {}", SLA_DAYS_RANGE.start(), SLA_DAYS_RANGE.end()),
        ));
    }
    if let Err(form_errors) = input.form.check("form") {
        errors.extend(form_errors);
    }
    let permit = input.permit.as_ref().map(encode).transpose()?;
    let (Some(code), Some(category), Some(currency), true) = (code, category, currency, errors.is_empty())
    else {
        return Err(ApiError::validation(errors));
    };
    let t = now();
    let service = Service {
        id: new_id(),
        organisation_id: input.organisation_id,
        search_text: search_text(code.as_str(), &input.texts.name),
        code: code.into_inner(),
        category: category.as_str().to_owned(),
        texts: encode(&input.texts)?,
        fee_amount: input.fee_amount,
        fee_currency: currency.as_str().to_owned(),
        sla_days: input.sla_days,
        live_version: Some(1),
        created_at: t,
        updated_at: t,
    };
    let version = ServiceVersion {
        service_id: service.id.clone(),
        version: 1,
        form: encode(&input.form)?,
        state: VersionState::Published.as_str().to_owned(),
        created_at: t,
        published_at: Some(t),
        permit,
    };
    Ok((service, version))
}

/// Creates a service of an existing organisation, live at once on its first form.
pub async fn create_service(
    db: &Db,
    _caller: Admin,
    input: NewService,
    record: Option<Recorded>,
    trail: AuditTrail,
    respond: impl FnOnce(&Service) -> ApiResult<Created> + Send + 'static,
) -> ApiResult<Created> {
    let permit = input.permit.clone();
    let form = input.form.clone();
    let (service, version) = service_rows(input)?;
    db.write(move |conn| {
        require_organisation(conn, &service.organisation_id)?;
        check_permit(conn, permit.as_ref(), &form, &service.organisation_id)?;
        store::insert_service(conn, &service).map_err(code_taken)?;
        store::insert_version(conn, &version)?;
        let created = respond(&service)?;
        created.remember(conn, record.as_ref())?;
        trail.set_target("service", &service.id);
        trail.write_in(conn, 201)?;
        Ok(created)
    })
    .await
}

/// A permit setting must fit the version's form and the organisation's code must fit on the permit.
fn check_permit(
    conn: &mut DbConn,
    permit: Option<&PermitSpec>,
    form: &FormDefinition,
    organisation_id: &str,
) -> ApiResult<()> {
    let Some(spec) = permit else { return Ok(()) };
    let org = store::find_organisation(conn, organisation_id)?;
    let errors = spec.check("permit", form, &org.code);
    if errors.is_empty() { Ok(()) } else { Err(ApiError::validation(errors)) }
}

/// Drafts the next form version of a service, with the permit it issues if any; the live one stays in
/// use until it is published. The service is looked up before the body is read, so a missing service
/// is 404 whatever the body.
pub async fn create_version(
    db: &Db,
    _caller: Admin,
    service_id: String,
    body: ApiResult<(FormDefinition, Option<PermitSpec>)>,
    record: Option<Recorded>,
    trail: AuditTrail,
    respond: impl FnOnce(&ServiceVersion) -> ApiResult<Created> + Send + 'static,
) -> ApiResult<Created> {
    db.write(move |conn| {
        let service = store::find_service(conn, &service_id)?;
        let (form, permit) = body?;
        form.check("form").map_err(ApiError::validation)?;
        check_permit(conn, permit.as_ref(), &form, &service.organisation_id)?;
        let version = ServiceVersion {
            version: store::latest_version_number(conn, &service_id)? + 1,
            service_id,
            form: encode(&form)?,
            state: VersionState::Draft.as_str().to_owned(),
            created_at: now(),
            published_at: None,
            permit: permit.as_ref().map(encode).transpose()?,
        };
        store::insert_version(conn, &version)?;
        let created = respond(&version)?;
        created.remember(conn, record.as_ref())?;
        trail.write_in(conn, 201)?;
        Ok(created)
    })
    .await
}

/// Publishes a drafted version: new applications use it from now on, those already made keep theirs.
pub async fn publish_version(
    db: &Db,
    _caller: Admin,
    service_id: String,
    number: i32,
    trail: AuditTrail,
) -> ApiResult<ServiceVersion> {
    db.write(move |conn| {
        let version = store::find_version(conn, &service_id, number)?;
        if !version.version_state()?.can_publish() {
            return Err(ApiError::conflict(
                ErrorCode::VersionNotDraft,
                "only a draft version can be published",
            ));
        }
        store::publish_version(conn, &service_id, number, now())?;
        let published = store::find_version(conn, &service_id, number)?;
        trail.write_in(conn, 200)?;
        Ok(published)
    })
    .await
}
