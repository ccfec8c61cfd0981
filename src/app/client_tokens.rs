//! Access tokens for API clients (OAuth 2.0 client credentials). Refusals are their own type, because
//! the HTTP layer answers them in RFC 6749's format rather than as problem documents.

use subtle::ConstantTimeEq;

use crate::audit::Audit;
use crate::auth::{Principal, Role, secret_generation, sha256_hex};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::clients;

/// A client's credentials and the scopes it asks for.
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: crate::config::Secret,
    /// Space-separated; `None` (or blank) means every scope the client holds.
    pub scope: Option<String>,
}

/// An access token for a client.
#[derive(Debug)]
pub struct ClientToken {
    pub access_token: String,
    pub expires_in: u64,
    /// The scopes granted, space-separated.
    pub scope: String,
}

/// Why no token was issued.
#[derive(Debug)]
pub enum Refusal {
    /// Unknown client, revoked client or wrong secret: one answer for all three.
    InvalidClient,
    /// A requested scope the client does not hold.
    InvalidScope(String),
    /// Anything unexpected (the database, signing).
    Failed(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Self::Failed(e)
    }
}

/// The scopes to grant: the requested ones if the client holds them all, or everything it holds.
fn grant(held: &str, requested: Option<&str>) -> Result<String, Refusal> {
    let held: Vec<&str> = held.split(' ').filter(|s| !s.is_empty()).collect();
    let Some(requested) = requested.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(held.join(" "));
    };
    let wanted: Vec<&str> = requested.split(' ').filter(|s| !s.is_empty()).collect();
    match wanted.iter().find(|s| !held.contains(s)) {
        Some(bad) => Err(Refusal::InvalidScope((*bad).to_owned())),
        None => Ok(wanted.join(" ")),
    }
}

/// Checks the credentials (in constant time against the stored hash) and issues a token for the
/// granted scopes. Both outcomes are audited.
pub async fn issue(
    state: &AppState,
    ctx: RequestContext,
    credentials: ClientCredentials,
) -> Result<ClientToken, Refusal> {
    let lookup = credentials.client_id.clone();
    let client = state.db.run(move |conn| Ok(clients::find_active(conn, &lookup)?)).await?;
    let presented = sha256_hex(credentials.client_secret.expose());
    let valid =
        client.as_ref().is_some_and(|c| bool::from(c.secret_hash.as_bytes().ct_eq(presented.as_bytes())));
    let Some(client) = client.filter(|_| valid) else {
        let audit = Audit::system(&ctx, "auth.client_token_failed")
            .target("api_client", &credentials.client_id)
            .result(401);
        state.db.write(move |conn| Ok(audit.write(conn)?)).await?;
        return Err(Refusal::InvalidClient);
    };
    let scope = grant(&client.scopes, credentials.scope.as_deref())?;
    let token = state
        .tokens
        .issue_with_generation(
            &client.client_id,
            Role::Client.as_str(),
            Some(&client.organisation_id),
            None,
            Some(&scope),
            Some(&secret_generation(&client.secret_hash)),
        )
        .map_err(ApiError::internal)?;
    let principal = Principal {
        id: client.client_id.clone(),
        role: Role::Client,
        org: Some(client.organisation_id.clone()),
        sid: None,
        scopes: Vec::new(),
    };
    let audit = Audit::by(&principal, &ctx, "auth.client_token").target("api_client", &client.client_id);
    state.db.write(move |conn| Ok(audit.write(conn)?)).await?;
    Ok(ClientToken { access_token: token, expires_in: state.tokens.ttl.as_secs(), scope })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requested_scopes_narrow_what_the_client_holds() {
        let held = "applications:read webhooks:manage";
        assert_eq!(grant(held, None).ok(), Some(held.to_owned()));
        assert_eq!(grant(held, Some("  ")).ok(), Some(held.to_owned()));
        assert_eq!(grant(held, Some("webhooks:manage")).ok(), Some("webhooks:manage".to_owned()));
        match grant(held, Some("applications:read applications:write")) {
            Err(Refusal::InvalidScope(s)) => assert_eq!(s, "applications:write"),
            other => panic!("{other:?}"),
        }
    }
}
