//! Webhook endpoints of API clients: register, list, delete, rotate the secret, inspect deliveries,
//! send an event again. Every lookup is scoped to the calling client, so another client's endpoint is
//! simply not found. Refusals follow the contract's order: not found, state, then the request itself.

use chrono::NaiveDateTime;

use crate::app::caller::WebhookClient;
use crate::audit::AuditTrail;
use crate::config::Secret;
use crate::db::Db;
use crate::db::types::{new_id, now};
use crate::domain::FieldError;
use crate::domain::webhook::{EVENT_TYPES, new_secret};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::idempotency::{Created, Recorded};
use crate::sealing::{DataKeys, webhook_secret_context};
use crate::state::AppState;
use crate::store::throttle;
use crate::store::webhooks::{self as store, Attempt, Endpoint, StoredSecret};

/// Longest URL an endpoint may have, in bytes.
pub const MAX_URL_LEN: usize = 2000;

/// A webhook endpoint to register; `event_types` omitted means every type.
pub struct NewEndpoint {
    pub url: String,
    pub event_types: Option<Vec<String>>,
}

/// The requested event types without duplicates, in the order given; an empty column stands for all.
fn event_types(requested: Option<&[String]>) -> ApiResult<Vec<String>> {
    let mut errors = Vec::new();
    let mut types: Vec<String> = Vec::new();
    for (i, t) in requested.unwrap_or_default().iter().enumerate() {
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
    if requested.is_some_and(<[String]>::is_empty) {
        errors.push(FieldError::new(
            "event_types",
            "required",
            "omit event_types for all of them, or name at least one",
        ));
    }
    if errors.is_empty() { Ok(types) } else { Err(ApiError::validation(errors)) }
}

/// The URL as it will be called: absolute, `https` (or `http` outside production), without credentials,
/// and resolving only to addresses webhooks may reach. The delivery worker checks the address again at
/// every delivery, since DNS answers change.
async fn check_url(state: &AppState, raw: &str) -> ApiResult<String> {
    let bad = |code: &str, msg: String| ApiError::field("url", code, msg);
    let url = reqwest::Url::parse(raw.trim())
        .map_err(|_| bad("invalid_url", "url must be an absolute http(s) URL".into()))?;
    match url.scheme() {
        "https" => {}
        "http" if !state.config.is_production() => {}
        _ => return Err(bad("invalid_url", "url must use https".into())),
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || raw.len() > MAX_URL_LEN
        || url.host_str().is_none()
    {
        return Err(bad(
            "invalid_url",
            format!("url must have a host, no credentials and at most {MAX_URL_LEN} characters"),
        ));
    }
    crate::webhooks::resolve(&url, state.config.webhook_allow_private)
        .await
        .map_err(|e| bad("forbidden_address", e))?;
    Ok(url.to_string())
}

/// A fresh signing secret, and its sealed form bound to the endpoint `id`: only the sealed form is stored.
fn fresh_secret(keys: &DataKeys, id: &str) -> (Secret, StoredSecret) {
    let secret = Secret::new(new_secret());
    let sealed = keys.seal(secret.expose().as_bytes(), &webhook_secret_context(id));
    (secret, (sealed.text, Some(sealed.key_id)))
}

/// Registers an endpoint for the client's organisation with a fresh secret. Runs inside the
/// idempotent create, so a replay is answered before the URL is resolved. `respond` turns the stored
/// endpoint and its secret into the 201 answer that a retry gets again.
pub async fn create(
    state: &AppState,
    caller: WebhookClient,
    input: NewEndpoint,
    record: Option<Recorded>,
    trail: AuditTrail,
    respond: impl FnOnce(&Endpoint, &Secret) -> ApiResult<Created> + Send + 'static,
) -> ApiResult<Created> {
    let max_endpoints = state.config.max_webhook_endpoints_per_client;
    let types = event_types(input.event_types.as_deref())?;
    let url = check_url(state, &input.url).await?;
    let t = now();
    let id = new_id();
    let (secret, (sealed, key_id)) = fresh_secret(&state.data_keys, &id);
    let endpoint = Endpoint {
        id,
        organisation_id: caller.organisation_id,
        client_id: caller.client_id,
        url,
        event_types: types.join(" "),
        secret: Secret::new(sealed),
        status: store::ACTIVE.into(),
        disabled_reason: None,
        created_at: t,
        updated_at: t,
        secret_key_id: key_id,
    };
    state
        .db
        .write(move |conn| {
            if store::count_endpoints(conn, &endpoint.client_id)? >= i64::from(max_endpoints) {
                return Err(ApiError::conflict(
                    ErrorCode::EndpointLimitReached,
                    format!(
                        "a client may have at most {max_endpoints} webhook endpoints, disabled ones included; \
                         delete one first"
                    ),
                ));
            }
            store::insert_endpoint(conn, &endpoint)?;
            trail.set_target("webhook_endpoint", &endpoint.id);
            let created = respond(&endpoint, &secret)?;
            created.remember(conn, record.as_ref())?;
            trail.write_in(conn, 201)?;
            Ok(created)
        })
        .await
}

/// The client's endpoints, oldest first.
pub async fn list(db: &Db, caller: WebhookClient) -> ApiResult<Vec<Endpoint>> {
    db.run(move |conn| Ok(store::list_endpoints(conn, &caller.client_id)?)).await
}

/// Deletes one of the client's endpoints; its pending deliveries go with it.
pub async fn delete(db: &Db, caller: WebhookClient, id: String, trail: AuditTrail) -> ApiResult<()> {
    db.write(move |conn| {
        if !store::delete_endpoint(conn, &id, &caller.client_id)? {
            return Err(ApiError::not_found());
        }
        trail.write_in(conn, 204)?;
        Ok(())
    })
    .await
}

/// Gives one of the client's endpoints a new secret; deliveries from now on are signed with it. Returns
/// the endpoint and its new secret, the one time it is shown.
pub async fn rotate_secret(
    state: &AppState,
    caller: WebhookClient,
    id: String,
    trail: AuditTrail,
) -> ApiResult<(Endpoint, Secret)> {
    let (secret, sealed) = fresh_secret(&state.data_keys, &id);
    state
        .db
        .write(move |conn| {
            let endpoint = store::set_secret(conn, &id, &caller.client_id, &sealed, now())?;
            trail.write_in(conn, 200)?;
            Ok((endpoint, secret))
        })
        .await
}

/// A page request: how many items, and the position after which they start.
pub type Window = (i64, Option<(NaiveDateTime, String)>);

/// Delivery attempts to one of the client's endpoints, newest first: up to `limit + 1` rows, so the
/// caller can tell whether another page follows. The window is looked at only once the endpoint is
/// found.
pub async fn deliveries(
    db: &Db,
    caller: WebhookClient,
    id: String,
    window: ApiResult<Window>,
) -> ApiResult<Vec<Attempt>> {
    db.run(move |conn| {
        store::find_endpoint(conn, &id, &caller.client_id)?;
        let (limit, after) = window?;
        Ok(store::list_attempts(conn, &id, after, limit + 1)?)
    })
    .await
}

/// Queues one more delivery of an event the endpoint was sent, with the same `webhook-id` and payload.
/// A disabled endpoint takes nothing more: the client registers the receiver again. A client asks for at
/// most `max_redeliveries_per_minute` in a minute; past that it is refused with 429 `rate_limited` and a
/// `Retry-After` (counted in the shared throttle table, so across instances, and only when queued).
pub async fn redeliver(
    state: &AppState,
    caller: WebhookClient,
    id: String,
    event_id: ApiResult<String>,
    trail: AuditTrail,
) -> ApiResult<String> {
    let limit = state.config.max_redeliveries_per_minute;
    state
        .db
        .write(move |conn| {
            let key = format!("redeliver:{}", caller.client_id);
            let t = now();
            if let Some(secs) = throttle::blocked_for(conn, std::slice::from_ref(&key), t)? {
                let detail = format!("a client may ask for at most {limit} redeliveries a minute");
                return Err(ApiError::new(ErrorCode::RateLimited, detail).with_retry_after(secs));
            }
            // Rolled back with the transaction when the redelivery is refused, so only queued ones count.
            throttle::record_failure(conn, &key, limit, chrono::Duration::seconds(60), t)?;
            let endpoint = store::find_endpoint(conn, &id, &caller.client_id)?;
            if !endpoint.is_active() {
                return Err(ApiError::conflict(
                    ErrorCode::EndpointDisabled,
                    "the endpoint is disabled; register it again",
                ));
            }
            let event_id = event_id?;
            let job = store::job_for_event(conn, &id, &event_id)?.ok_or_else(ApiError::not_found)?;
            store::insert_job(
                conn,
                &id,
                &job.event_id,
                &job.event_type,
                &job.application_id,
                &job.payload,
                now(),
            )?;
            trail.write_in(conn, 202)?;
            Ok(job.event_id)
        })
        .await
}
