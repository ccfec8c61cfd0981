//! Webhook endpoints of API clients: register, list, delete, rotate the secret, inspect deliveries,
//! send an event again. Rules live in `app::webhooks`; every request here is audited by `api::audit`.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::pagination::{Page, PageParams, page, time_key};
use crate::app::caller::WebhookClient;
use crate::app::webhooks::{self as hooks, NewEndpoint};
use crate::audit::AuditTrail;
use crate::config::Secret;
use crate::db::types::utc;
use crate::domain::webhook::EVENT_TYPES;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::json::Json;
use crate::idempotency::{Create, Created};
use crate::state::AppState;
use crate::store::webhooks::{Attempt, Endpoint};

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
    fn new(e: Endpoint, secret: Option<&Secret>) -> Self {
        Self {
            event_types: e.event_type_list(&EVENT_TYPES),
            id: e.id,
            url: e.url,
            status: e.status,
            disabled_reason: e.disabled_reason,
            created_at: utc(e.created_at),
            secret: secret.map(|s| s.expose().to_owned()),
        }
    }
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
        (status = 409, description = "The client has as many endpoints as it may (`endpoint_limit_reached`).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid URL, internal address or unknown event type.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks/endpoints")]
pub async fn create_webhook_endpoint(
    caller: WebhookClient,
    state: web::Data<AppState>,
    trail: AuditTrail,
    body: Json<CreateEndpoint>,
    create: Create,
) -> ApiResult<HttpResponse> {
    let input = NewEndpoint { url: body.0.url, event_types: body.0.event_types };
    create.run(|record| hooks::create(&state, caller, input, record, trail, endpoint_created)).await
}

fn endpoint_created(endpoint: &Endpoint, secret: &Secret) -> ApiResult<Created> {
    let location = format!("/v1/webhooks/endpoints/{}/deliveries", endpoint.id);
    Created::new(location, None, &EndpointView::new(endpoint.clone(), Some(secret)))
}

/// List the client's webhook endpoints
#[utoipa::path(
    tag = "webhooks",
    operation_id = "listWebhookEndpoints",
    security(("bearer" = [])),
    responses((status = 200, description = "The endpoints, oldest first, without secrets.", body = Page<EndpointView>))
)]
#[get("/webhooks/endpoints")]
pub async fn list_webhook_endpoints(
    caller: WebhookClient,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let rows = hooks::list(&state.db, caller).await?;
    let items: Vec<EndpointView> = rows.into_iter().map(|e| EndpointView::new(e, None)).collect();
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
    caller: WebhookClient,
    state: web::Data<AppState>,
    trail: AuditTrail,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    hooks::delete(&state.db, caller, path.into_inner(), trail).await?;
    Ok(HttpResponse::NoContent().finish())
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
    caller: WebhookClient,
    state: web::Data<AppState>,
    trail: AuditTrail,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (endpoint, secret) = hooks::rotate_secret(&state, caller, path.into_inner(), trail).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(EndpointView::new(endpoint, Some(&secret))))
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
    caller: WebhookClient,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let window = q.limit().and_then(|limit| Ok((limit, q.time_cursor()?)));
    let rows = hooks::deliveries(&state.db, caller, path.into_inner(), window).await?;
    // The use case answered, so the limit was valid.
    let limit = q.limit()?;
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
        (status = 429, description = "Too many redeliveries this minute (`rate_limited`); see `Retry-After`.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks/endpoints/{endpoint_id}/redeliver")]
pub async fn redeliver_webhook(
    caller: WebhookClient,
    state: web::Data<AppState>,
    trail: AuditTrail,
    path: web::Path<String>,
    body: Result<Json<RedeliverRequest>, ApiError>,
) -> ApiResult<HttpResponse> {
    let event_id = body.map(|b| b.0.event_id);
    let event_id = hooks::redeliver(&state, caller, path.into_inner(), event_id, trail).await?;
    Ok(HttpResponse::Accepted().json(Redelivery { event_id, status: "pending".into() }))
}
