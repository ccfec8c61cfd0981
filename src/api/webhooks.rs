//! Webhook endpoints of API clients: register, list, delete, rotate the secret, inspect deliveries,
//! send an event again.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::pagination::{Page, PageParams, page, time_key};
use crate::audit::{Audit, audited};
use crate::auth::{Principal, Role};
use crate::context::RequestContext;
use crate::db::schema::webhook_endpoints as we;
use crate::db::types::{new_id, now, utc};
use crate::domain::FieldError;
use crate::domain::webhook::{EVENT_TYPES, new_secret};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::json::Json;
use crate::idempotency::{self, Created};
use crate::state::AppState;
use crate::store::webhooks::{self as store, Attempt, Endpoint};

const SCOPE: &str = "webhooks:manage";

/// The caller as an API client allowed to manage webhooks: (client_id, organisation).
fn client(p: &Principal) -> ApiResult<(String, String)> {
    if p.role != Role::Client {
        return Err(ApiError::forbidden("webhooks belong to API clients"));
    }
    let org = p.organisation(SCOPE)?.to_owned();
    Ok((p.id.clone(), org))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"url": "https://cases.bayview.example/hooks/qinaotong", "event_types": ["application.submitted"]}))]
pub struct CreateEndpoint {
    /// `https://` (or `http://` outside production); internal addresses are refused.
    pub url: String,
    /// Omitted means every event type.
    pub event_types: Option<Vec<String>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EndpointView {
    pub id: String,
    pub url: String,
    pub event_types: Vec<String>,
    /// `active`, or `disabled` after the receiver answered 410 Gone.
    pub status: String,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// `whsec_…`: only in the responses of `createWebhookEndpoint` and `rotateWebhookSecret`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl EndpointView {
    fn new(e: Endpoint, with_secret: bool) -> Self {
        let types = if e.event_types.is_empty() {
            EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect()
        } else {
            e.event_types.split(' ').map(str::to_owned).collect()
        };
        Self {
            id: e.id,
            url: e.url,
            event_types: types,
            status: e.status,
            disabled_reason: e.disabled_reason,
            created_at: utc(e.created_at),
            secret: with_secret.then_some(e.secret),
        }
    }
}

async fn check_url(state: &AppState, raw: &str) -> ApiResult<String> {
    let bad = |code: &str, msg: String| ApiError::field("url", code, msg);
    let url = reqwest::Url::parse(raw.trim())
        .map_err(|_| bad("invalid_url", "url must be an absolute http(s) URL".into()))?;
    let https_only = state.config.is_production();
    match url.scheme() {
        "https" => {}
        "http" if !https_only => {}
        _ => return Err(bad("invalid_url", "url must use https".into())),
    }
    if !url.username().is_empty() || url.password().is_some() || raw.len() > 2000 || url.host_str().is_none()
    {
        return Err(bad(
            "invalid_url",
            "url must have a host, no credentials and at most 2000 characters".into(),
        ));
    }
    crate::webhooks::resolve(&url, state.config.webhook_allow_private)
        .await
        .map_err(|e| bad("forbidden_address", e))?;
    Ok(url.to_string())
}

/// Register a webhook endpoint
///
/// Events of the client's organisation are sent to it, signed per Standard Webhooks with the returned
/// secret. The URL must not resolve to an internal address; it is checked again at every delivery.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "createWebhookEndpoint",
    security(("bearer" = [])),
    request_body = CreateEndpoint,
    responses(
        (status = 201, description = "The endpoint, with its secret.", body = EndpointView,
            headers(("Location" = String, description = "URL of the endpoint's deliveries"))),
        (status = 422, description = "Invalid URL, internal address or unknown event type.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks/endpoints")]
pub async fn create_webhook_endpoint(
    req: HttpRequest,
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    body: Json<CreateEndpoint>,
) -> ApiResult<HttpResponse> {
    let (client_id, org) = client(&p)?;
    let audit = Audit::by(&p, &ctx, "webhook.create");
    let st = state.clone();
    audited(state.clone(), audit.clone(), async move {
        let body = body.0;
        let mut errors = Vec::new();
        let mut types: Vec<String> = Vec::new();
        for (i, t) in body.event_types.clone().unwrap_or_default().iter().enumerate() {
            if !EVENT_TYPES.contains(&t.as_str()) {
                errors.push(FieldError::new(
                    format!("event_types[{i}]"),
                    "invalid_option",
                    format!("unknown event type {t:?}"),
                ));
            } else if !types.contains(t) {
                types.push(t.clone());
            }
        }
        if body.event_types.as_ref().is_some_and(Vec::is_empty) {
            errors.push(FieldError::new(
                "event_types",
                "required",
                "omit event_types for all of them, or name at least one",
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        let url = check_url(&st, &body.url).await?;
        let t = now();
        let endpoint = Endpoint {
            id: new_id(),
            organisation_id: org,
            client_id: client_id.clone(),
            url,
            event_types: types.join(" "),
            secret: new_secret(),
            status: store::ACTIVE.into(),
            disabled_reason: None,
            created_at: t,
            updated_at: t,
        };
        let fp = idempotency::json_fingerprint(&req);
        let db = st.db.clone();
        idempotency::run(&req, &st, &client_id, "createWebhookEndpoint", fp, |record| async move {
            db.write(move |conn| {
                store::insert_endpoint(conn, &endpoint)?;
                audit.target("webhook_endpoint", &endpoint.id).result(201).write(conn)?;
                let location = format!("/v1/webhooks/endpoints/{}/deliveries", endpoint.id);
                let created = Created::new(location, None, &EndpointView::new(endpoint, true))?;
                created.remember(conn, record.as_ref())?;
                Ok(created)
            })
            .await
        })
        .await
    })
    .await
}

/// List the client's webhook endpoints
#[utoipa::path(
    tag = "webhooks",
    operation_id = "listWebhookEndpoints",
    security(("bearer" = [])),
    responses((status = 200, description = "The endpoints, oldest first, without secrets.", body = Page<EndpointView>))
)]
#[get("/webhooks/endpoints")]
pub async fn list_webhook_endpoints(state: web::Data<AppState>, p: Principal) -> ApiResult<HttpResponse> {
    let (client_id, _) = client(&p)?;
    let rows = state.db.run(move |conn| Ok(store::list_endpoints(conn, &client_id)?)).await?;
    let items: Vec<EndpointView> = rows.into_iter().map(|e| EndpointView::new(e, false)).collect();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: None }))
}

/// Delete a webhook endpoint
///
/// Pending deliveries to it are dropped.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "deleteWebhookEndpoint",
    security(("bearer" = [])),
    params(("endpoint_id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 404, description = "No such endpoint of the client.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/webhooks/endpoints/{endpoint_id}")]
pub async fn delete_webhook_endpoint(
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (client_id, _) = client(&p)?;
    let id = path.into_inner();
    let audit = Audit::by(&p, &ctx, "webhook.delete").target("webhook_endpoint", &id);
    audited(state.clone(), audit.clone(), async move {
        state
            .db
            .write(move |conn| {
                store::find_endpoint(conn, &id, &client_id)?;
                diesel::delete(we::table.find(&id)).execute(conn)?;
                audit.result(204).write(conn)?;
                Ok(())
            })
            .await?;
        Ok(HttpResponse::NoContent().finish())
    })
    .await
}

/// Give a webhook endpoint a new secret
///
/// Deliveries from now on are signed with the new secret.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "rotateWebhookSecret",
    security(("bearer" = [])),
    params(("endpoint_id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint with its new secret.", body = EndpointView),
        (status = 404, description = "No such endpoint of the client.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks/endpoints/{endpoint_id}/rotate-secret")]
pub async fn rotate_webhook_secret(
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (client_id, _) = client(&p)?;
    let id = path.into_inner();
    let audit = Audit::by(&p, &ctx, "webhook.rotate_secret").target("webhook_endpoint", &id);
    audited(state.clone(), audit.clone(), async move {
        let endpoint = state
            .db
            .write(move |conn| {
                let mut e = store::find_endpoint(conn, &id, &client_id)?;
                e.secret = new_secret();
                e.updated_at = now();
                diesel::update(we::table.find(&id))
                    .set((we::secret.eq(&e.secret), we::updated_at.eq(e.updated_at)))
                    .execute(conn)?;
                audit.write(conn)?;
                Ok(e)
            })
            .await?;
        Ok(HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(EndpointView::new(endpoint, true)))
    })
    .await
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryView {
    /// The `webhook-id` of the event.
    pub event_id: String,
    pub event_type: String,
    pub attempt: i32,
    /// `pending` (will be retried), `delivered` or `failed` (gave up).
    pub status: String,
    pub response_status: Option<i32>,
    pub error: Option<String>,
    pub attempted_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl From<Attempt> for DeliveryView {
    fn from(a: Attempt) -> Self {
        Self {
            event_id: a.event_id,
            event_type: a.event_type,
            attempt: a.attempt,
            status: a.status,
            response_status: a.response_status,
            error: a.error,
            attempted_at: utc(a.attempted_at),
            next_attempt_at: a.next_attempt_at.map(utc),
        }
    }
}

/// List delivery attempts to an endpoint
///
/// One item per attempt, newest first.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "listWebhookDeliveries",
    security(("bearer" = [])),
    params(("endpoint_id" = String, Path, description = "Endpoint id"), PageParams),
    responses(
        (status = 200, description = "A page of attempts.", body = Page<DeliveryView>),
        (status = 404, description = "No such endpoint of the client.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks/endpoints/{endpoint_id}/deliveries")]
pub async fn list_webhook_deliveries(
    state: web::Data<AppState>,
    p: Principal,
    path: web::Path<String>,
    q: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let (client_id, _) = client(&p)?;
    let id = path.into_inner();
    let (limit, after) = (q.limit()?, q.time_cursor()?);
    let rows = state
        .db
        .run(move |conn| {
            store::find_endpoint(conn, &id, &client_id)?;
            Ok(store::list_attempts(conn, &id, after, limit + 1)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page(
        rows,
        limit,
        |a| (time_key(a.attempted_at), a.id.clone()),
        DeliveryView::from,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RedeliverRequest {
    /// The `webhook-id` of an event this endpoint was sent.
    pub event_id: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Redelivery {
    pub event_id: String,
    #[schema(example = "pending")]
    pub status: String,
}

/// Send an event to an endpoint again
///
/// Queues one more delivery of the event, with the same `webhook-id` and payload and a fresh timestamp.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "redeliverWebhook",
    security(("bearer" = [])),
    params(("endpoint_id" = String, Path, description = "Endpoint id")),
    request_body = RedeliverRequest,
    responses(
        (status = 202, description = "Queued.", body = Redelivery),
        (status = 404, description = "No such endpoint of the client, or the event was never sent to it.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The endpoint is disabled.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks/endpoints/{endpoint_id}/redeliver")]
pub async fn redeliver_webhook(
    state: web::Data<AppState>,
    p: Principal,
    ctx: RequestContext,
    path: web::Path<String>,
    body: Json<RedeliverRequest>,
) -> ApiResult<HttpResponse> {
    let (client_id, _) = client(&p)?;
    let id = path.into_inner();
    let event_id = body.0.event_id;
    let audit = Audit::by(&p, &ctx, "webhook.redeliver").target("webhook_endpoint", &id);
    audited(state.clone(), audit.clone(), async move {
        let event = event_id.clone();
        state
            .db
            .write(move |conn| {
                let endpoint = store::find_endpoint(conn, &id, &client_id)?;
                if endpoint.status != store::ACTIVE {
                    return Err(ApiError::conflict(
                        crate::error::ErrorCode::EndpointDisabled,
                        "the endpoint is disabled; register it again",
                    ));
                }
                let job = store::job_for_event(conn, &id, &event)?.ok_or_else(ApiError::not_found)?;
                store::insert_job(
                    conn,
                    &id,
                    &job.event_id,
                    &job.event_type,
                    &job.application_id,
                    &job.payload,
                    now(),
                )?;
                audit.result(202).write(conn)?;
                Ok(())
            })
            .await?;
        Ok(HttpResponse::Accepted().json(Redelivery { event_id, status: "pending".into() }))
    })
    .await
}
