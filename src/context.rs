//! Facts about the request that handlers need besides the body: request id, client address, user
//! agent and the audit reason.

use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};

use crate::error::ApiError;
use crate::http::RequestId;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub ip: String,
    pub user_agent: String,
    /// The decoded `X-Audit-Reason` header.
    pub reason: Option<String>,
}

/// The client's address: the peer, or the nearest untrusted hop of `X-Forwarded-For` when the peer is a
/// trusted proxy (anything else in that header could be forged by the client).
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    let Some(peer) = peer else { return "unknown".into() };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    forwarded.iter().rev().find(|ip| !trusted.contains(ip)).copied().unwrap_or(peer).to_string()
}

pub fn decode_reason(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(raw) = req.headers().get("x-audit-reason") else { return Ok(None) };
    let raw =
        raw.to_str().map_err(|_| ApiError::malformed("X-Audit-Reason must be percent-encoded UTF-8"))?;
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| ApiError::malformed("X-Audit-Reason must be percent-encoded UTF-8"))?;
    let reason = decoded.trim();
    if reason.chars().count() > 500 {
        return Err(ApiError::malformed("X-Audit-Reason is longer than 500 characters"));
    }
    if reason.chars().any(char::is_control) {
        return Err(ApiError::malformed("X-Audit-Reason must not contain control characters"));
    }
    Ok((!reason.is_empty()).then(|| reason.to_owned()))
}

impl FromRequest for RequestContext {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.config.trusted_proxies.clone())
            .unwrap_or_default();
        ready(decode_reason(req).map(|reason| {
            RequestContext {
                request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default(),
                ip: client_ip(req, &trusted),
                user_agent: req
                    .headers()
                    .get("user-agent")
                    .and_then(|v| v.to_str().ok())
                    .map(|s| s.chars().take(200).collect())
                    .unwrap_or_default(),
                reason,
            }
        }))
    }
}
