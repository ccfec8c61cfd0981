//! Who may call a use case, as types. A use case takes the narrowest caller it serves, so the question
//! "may this kind of caller do this?" is answered once, by the type, before any lookup or body is read.

use crate::auth::{Principal, Role};
use crate::error::{ApiError, ApiResult};

pub const READ: &str = "applications:read";
pub const WRITE: &str = "applications:write";
pub const WEBHOOKS: &str = "webhooks:manage";

fn wrong_kind() -> ApiError {
    ApiError::forbidden("this kind of caller may not use this operation")
}

fn missing_scope(scope: &str) -> ApiError {
    ApiError::forbidden(format!("the token lacks the scope {scope}"))
}

/// A caller type built from a verified token, or 403.
pub trait Caller: Sized {
    fn from_principal(p: &Principal) -> ApiResult<Self>;
}

/// A resident, acting on their own data.
#[derive(Debug, Clone)]
pub struct Resident {
    pub id: String,
    pub session_id: Option<String>,
}

impl Caller for Resident {
    fn from_principal(p: &Principal) -> ApiResult<Self> {
        match p.role {
            Role::Resident => Ok(Self { id: p.id.clone(), session_id: p.sid.clone() }),
            _ => Err(wrong_kind()),
        }
    }
}

/// A person with an account (resident, staff or admin), acting on their own account.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub role: Role,
    pub organisation_id: Option<String>,
    pub session_id: Option<String>,
}

impl Caller for Person {
    fn from_principal(p: &Principal) -> ApiResult<Self> {
        match p.role {
            Role::Client => Err(wrong_kind()),
            role => {
                Ok(Self { id: p.id.clone(), role, organisation_id: p.org.clone(), session_id: p.sid.clone() })
            }
        }
    }
}

/// A platform administrator.
#[derive(Debug, Clone)]
pub struct Admin {
    pub id: String,
}

impl Caller for Admin {
    fn from_principal(p: &Principal) -> ApiResult<Self> {
        match p.role {
            Role::Admin => Ok(Self { id: p.id.clone() }),
            _ => Err(wrong_kind()),
        }
    }
}

/// A supervisor of one organisation.
#[derive(Debug, Clone)]
pub struct Supervisor {
    pub id: String,
    pub organisation_id: String,
}

impl Caller for Supervisor {
    fn from_principal(p: &Principal) -> ApiResult<Self> {
        match (p.role, &p.org) {
            (Role::Supervisor, Some(org)) => Ok(Self { id: p.id.clone(), organisation_id: org.clone() }),
            _ => Err(wrong_kind()),
        }
    }
}

/// Who acts for an organisation: which of its staff, or one of its API clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgRole {
    Officer,
    Supervisor,
    Client,
}

/// Staff or an API client of one organisation, acting on its applications.
#[derive(Debug, Clone)]
pub struct OrgActor {
    /// The staff account id, or the API client's `client_id`.
    pub id: String,
    pub role: OrgRole,
    pub organisation_id: String,
}

impl OrgActor {
    fn with_scope(p: &Principal, scope: &str) -> ApiResult<Self> {
        let role = match p.role {
            Role::Officer => OrgRole::Officer,
            Role::Supervisor => OrgRole::Supervisor,
            Role::Client if p.scopes.iter().any(|s| s == scope) => OrgRole::Client,
            Role::Client => return Err(missing_scope(scope)),
            _ => return Err(wrong_kind()),
        };
        let organisation_id = p.org.clone().ok_or_else(wrong_kind)?;
        Ok(Self { id: p.id.clone(), role, organisation_id })
    }

    /// The audit trail's and the event history's actor type.
    pub fn actor_type(&self) -> &'static str {
        match self.role {
            OrgRole::Client => "api_client",
            OrgRole::Officer | OrgRole::Supervisor => "staff",
        }
    }
}

/// May read the organisation's applications: staff, or a client with `applications:read`.
#[derive(Debug, Clone)]
pub struct OrgReader(pub OrgActor);

impl Caller for OrgReader {
    fn from_principal(p: &Principal) -> ApiResult<Self> {
        OrgActor::with_scope(p, READ).map(Self)
    }
}

/// May change the organisation's applications: staff, or a client with `applications:write`.
#[derive(Debug, Clone)]
pub struct OrgWriter(pub OrgActor);

impl Caller for OrgWriter {
    fn from_principal(p: &Principal) -> ApiResult<Self> {
        OrgActor::with_scope(p, WRITE).map(Self)
    }
}

/// An API client with `webhooks:manage`, managing its own endpoints.
#[derive(Debug, Clone)]
pub struct WebhookClient {
    pub client_id: String,
    pub organisation_id: String,
}

impl Caller for WebhookClient {
    fn from_principal(p: &Principal) -> ApiResult<Self> {
        match (p.role, &p.org) {
            (Role::Client, Some(org)) if p.scopes.iter().any(|s| s == WEBHOOKS) => {
                Ok(Self { client_id: p.id.clone(), organisation_id: org.clone() })
            }
            (Role::Client, _) => Err(missing_scope(WEBHOOKS)),
            _ => Err(wrong_kind()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, scopes: &[&str]) -> Principal {
        Principal {
            id: "x".into(),
            role,
            org: (role != Role::Resident && role != Role::Admin).then(|| "org".into()),
            sid: None,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn organisation_callers_need_staff_or_the_scope() {
        assert!(OrgReader::from_principal(&principal(Role::Officer, &[])).is_ok());
        assert!(OrgWriter::from_principal(&principal(Role::Supervisor, &[])).is_ok());
        assert!(OrgReader::from_principal(&principal(Role::Client, &[READ])).is_ok());
        let e = OrgWriter::from_principal(&principal(Role::Client, &[READ])).unwrap_err();
        assert_eq!(e.status.as_u16(), 403);
        assert!(e.detail.contains(WRITE));
        assert!(OrgReader::from_principal(&principal(Role::Admin, &[])).is_err());
        assert!(OrgReader::from_principal(&principal(Role::Resident, &[])).is_err());
    }

    #[test]
    fn each_caller_type_admits_only_its_kind() {
        assert!(Resident::from_principal(&principal(Role::Resident, &[])).is_ok());
        assert!(Resident::from_principal(&principal(Role::Officer, &[])).is_err());
        assert!(Person::from_principal(&principal(Role::Admin, &[])).is_ok());
        assert!(Person::from_principal(&principal(Role::Client, &[READ])).is_err());
        assert!(Admin::from_principal(&principal(Role::Supervisor, &[])).is_err());
        assert!(Supervisor::from_principal(&principal(Role::Officer, &[])).is_err());
        assert!(WebhookClient::from_principal(&principal(Role::Client, &[WEBHOOKS])).is_ok());
        assert!(WebhookClient::from_principal(&principal(Role::Client, &[READ])).is_err());
    }
}
