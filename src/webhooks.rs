//! The delivery worker: leases due jobs, signs and posts them outside any transaction, records every
//! attempt, retries with backoff, disables endpoints that answer 410 Gone.

use std::net::SocketAddr;

use actix_web::web;
use chrono::Duration;

use crate::db::types::{new_id, now};
use crate::domain::webhook::{backoff, is_forbidden, sign};
use crate::sealing::open_secret;
use crate::state::AppState;
use crate::store::webhooks::{self as store, Attempt, Endpoint, Job};

const BATCH: i64 = 16;

/// Runs until the server stops. Leases expire on their own, so jobs of a stopped instance are picked up
/// again by another; nothing is lost.
pub async fn run(state: web::Data<AppState>) {
    let mut tick = tokio::time::interval(state.config.webhook_poll_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let jobs = state
            .db
            .write(|conn| {
                let t = now();
                Ok(store::lease_due(conn, t, t + Duration::seconds(60), BATCH)?)
            })
            .await;
        match jobs {
            Ok(jobs) if !jobs.is_empty() => {
                futures_util::future::join_all(jobs.into_iter().map(|job| deliver(&state, job))).await;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not lease webhook jobs"),
        }
    }
}

/// Resolves the endpoint's host, refuses internal addresses (unless allowed) and returns the address to
/// connect to, so the check and the connection see the same address.
pub async fn resolve(url: &reqwest::Url, allow_private: bool) -> Result<SocketAddr, String> {
    let host = url.host_str().ok_or("the URL has no host")?;
    let port = url.port_or_known_default().ok_or("the URL has no port")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let first = *addrs.first().ok_or_else(|| format!("{host} has no address"))?;
    if !allow_private && addrs.iter().any(|a| is_forbidden(a.ip())) {
        return Err(format!("{host} resolves to an address webhooks may not reach"));
    }
    Ok(first)
}

async fn send(state: &AppState, endpoint: &Endpoint, job: &Job) -> Result<u16, String> {
    let url = reqwest::Url::parse(&endpoint.url).map_err(|e| e.to_string())?;
    let addr = resolve(&url, state.config.webhook_allow_private).await?;
    let mut builder = reqwest::Client::builder()
        .timeout(state.config.webhook_timeout)
        .redirect(reqwest::redirect::Policy::none())
        // A proxy would resolve the host itself and bypass the address check.
        .no_proxy()
        .user_agent("QinAoTong-Webhooks/1");
    if let Some(host) = url.host_str() {
        builder = builder.resolve(host, addr);
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let timestamp = chrono::Utc::now().timestamp();
    // A secret that does not open signs nothing: the attempt fails and says why.
    let secret =
        open_secret(&state.data_keys, &endpoint.id, &endpoint.secret, endpoint.secret_key_id.as_deref())
            .map_err(|e| format!("the endpoint secret cannot be opened: {e}"))?;
    let signature = sign(secret.expose(), &job.event_id, timestamp, &job.payload)
        .ok_or("the endpoint secret is invalid")?;
    let res = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &job.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(job.payload.clone())
        .send()
        .await
        .map_err(
            |e| if e.is_timeout() { "timed out".to_owned() } else { format!("connection failed: {e}") },
        )?;
    Ok(res.status().as_u16())
}

async fn deliver(state: &web::Data<AppState>, job: Job) {
    let endpoint_id = job.endpoint_id.clone();
    let endpoint = match state.db.run(move |conn| Ok(store::endpoint(conn, &endpoint_id)?)).await {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, job = %job.id, "webhook endpoint vanished");
            return;
        }
    };
    let attempt_no = job.attempts + 1;
    let outcome = if endpoint.is_active() {
        send(state, &endpoint, &job).await
    } else {
        Err("endpoint disabled".into())
    };
    let t = now();
    let last = attempt_no as u32 >= state.config.webhook_max_attempts;
    let (status, response_status, error, gone) = match outcome {
        Ok(code) if (200..300).contains(&code) => (store::DELIVERED, Some(code as i32), None, false),
        Ok(410) => (store::FAILED, Some(410), Some("410 Gone: the endpoint is disabled".to_owned()), true),
        Ok(code) => (
            if last { store::FAILED } else { store::PENDING },
            Some(code as i32),
            Some(format!("answered {code}")),
            false,
        ),
        Err(e) => (
            if last { store::FAILED } else { store::PENDING },
            None,
            Some(e.chars().take(300).collect()),
            false,
        ),
    };
    let next_attempt_at = (status == store::PENDING).then(|| {
        let delay = backoff(attempt_no as u32, state.config.webhook_retry_base);
        t + Duration::milliseconds(delay.as_millis() as i64)
    });
    let attempt = Attempt {
        id: new_id(),
        job_id: job.id.clone(),
        endpoint_id: endpoint.id.clone(),
        event_id: job.event_id.clone(),
        event_type: job.event_type.clone(),
        attempt: attempt_no,
        status: status.into(),
        response_status,
        error,
        attempted_at: t,
        next_attempt_at,
    };
    tracing::info!(endpoint = %endpoint.id, event = %job.event_id, attempt = attempt_no, status, "webhook attempt");
    let result = state
        .db
        .write(move |conn| {
            store::record_attempt(conn, &job, &attempt)?;
            if gone {
                store::disable_endpoint(conn, &job.endpoint_id, "the endpoint answered 410 Gone", t)?;
            }
            Ok(())
        })
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record a webhook attempt; the lease will expire and it will be retried");
    }
}
