//! The authenticated caller, extracted from the bearer token of a request.

use actix_web::HttpRequest;
use actix_web::http::header;

use super::tokens::{Revocations, TokenService};
use crate::domain::role::Role;
use crate::error::{ApiError, ApiResult};

/// A verified caller. `id` is the account id, or the `client_id` of an API client.
#[derive(Debug, Clone)]
pub struct Principal {
    pub id: String,
    pub role: Role,
    pub org: Option<String>,
    pub sid: Option<String>,
    pub scopes: Vec<String>,
}

/// Verifies the bearer token of a request: 401 without one, with a bad one, or for an ended session.
pub fn authenticate(
    req: &HttpRequest,
    tokens: &TokenService,
    revocations: &Revocations,
) -> ApiResult<Principal> {
    let value = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let token = match value.and_then(|v| v.split_once(' ')) {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            token.trim()
        }
        _ => return Err(ApiError::unauthorized("a bearer access token is required")),
    };
    let claims = tokens.verify(token).map_err(|e| {
        tracing::info!(reason = %e, "access token refused");
        ApiError::unauthorized("the access token is invalid or expired")
    })?;
    let role =
        Role::parse(&claims.role).ok_or_else(|| ApiError::unauthorized("the access token is invalid"))?;
    let revocation_key = match (&claims.sid, role) {
        (Some(sid), _) => sid.clone(),
        (None, Role::Client) => format!("client:{}", claims.sub),
        (None, _) => return Err(ApiError::unauthorized("the access token is invalid")),
    };
    let superseded =
        role == Role::Client && revocations.is_superseded(&claims.sub, claims.generation.as_deref());
    if superseded || revocations.is_revoked(&revocation_key) {
        return Err(ApiError::unauthorized("the session has ended; log in again"));
    }
    Ok(Principal {
        id: claims.sub,
        role,
        org: claims.org,
        sid: claims.sid,
        scopes: claims.scope.map(|s| s.split(' ').map(str::to_owned).collect()).unwrap_or_default(),
    })
}
