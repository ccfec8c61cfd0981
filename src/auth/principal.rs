//! The authenticated caller, extracted from the bearer token of a request.

use actix_web::http::header;
use actix_web::{HttpRequest, web};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Resident,
    Officer,
    Supervisor,
    Admin,
    Client,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "resident" => Role::Resident,
            "officer" => Role::Officer,
            "supervisor" => Role::Supervisor,
            "admin" => Role::Admin,
            "client" => Role::Client,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::Officer => "officer",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
            Role::Client => "client",
        }
    }

    /// The audit trail's `actor_type`.
    pub fn actor_type(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::Officer | Role::Supervisor | Role::Admin => "staff",
            Role::Client => "api_client",
        }
    }
}

/// A verified caller. `id` is the account id, or the `client_id` of an API client.
#[derive(Debug, Clone)]
pub struct Principal {
    pub id: String,
    pub role: Role,
    pub org: Option<String>,
    pub sid: Option<String>,
    pub scopes: Vec<String>,
}

impl Principal {
    fn forbidden() -> ApiError {
        ApiError::forbidden("this kind of caller may not use this operation")
    }

    /// The account id of a resident; 403 for anyone else.
    pub fn resident(&self) -> ApiResult<&str> {
        (self.role == Role::Resident).then_some(self.id.as_str()).ok_or_else(Self::forbidden)
    }

    /// The account id of a person (resident, staff or admin); 403 for API clients.
    pub fn account(&self) -> ApiResult<&str> {
        (self.role != Role::Client).then_some(self.id.as_str()).ok_or_else(Self::forbidden)
    }

    /// 403 unless an admin.
    pub fn admin(&self) -> ApiResult<&str> {
        (self.role == Role::Admin).then_some(self.id.as_str()).ok_or_else(Self::forbidden)
    }

    /// The organisation of staff, or of an API client holding `scope`; 403 otherwise.
    pub fn organisation(&self, scope: &str) -> ApiResult<&str> {
        let allowed = match self.role {
            Role::Officer | Role::Supervisor => true,
            Role::Client => self.scopes.iter().any(|s| s == scope),
            _ => false,
        };
        match (&self.org, allowed) {
            (Some(org), true) => Ok(org),
            (_, false) if self.role == Role::Client => {
                Err(ApiError::forbidden(format!("the token lacks the scope {scope}")))
            }
            _ => Err(Self::forbidden()),
        }
    }
}

/// Verifies the bearer token of a request: 401 without one, with a bad one, or for an ended session.
pub fn authenticate(req: &HttpRequest, state: &web::Data<AppState>) -> ApiResult<Principal> {
    let value = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let token = match value.and_then(|v| v.split_once(' ')) {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            token.trim()
        }
        _ => return Err(ApiError::unauthorized("a bearer access token is required")),
    };
    let claims = state.tokens.verify(token).map_err(|e| {
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
    if state.revocations.is_revoked(&revocation_key) {
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
