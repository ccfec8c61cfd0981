//! Admins give organisations API clients, rotate their secrets and revoke them. A secret is shown once
//! and only its hash is kept.

use std::time::Duration;

use crate::app::admin_catalogue::require_organisation;
use crate::app::caller::{Admin, READ, WEBHOOKS, WRITE};
use crate::audit::AuditTrail;
use crate::auth::{random_token, secret_generation, sha256_hex};
use crate::db::Db;
use crate::db::types::{new_id, now};
use crate::domain::FieldError;
use crate::error::{ApiError, ApiResult};
use crate::idempotency::{Created, Recorded};
use crate::state::AppState;
use crate::store::clients::{self, ApiClient};
use crate::store::webhooks;

/// Scopes an API client may hold.
pub const SCOPES: [&str; 3] = [READ, WRITE, WEBHOOKS];

/// Longest client name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

fn new_secret() -> String {
    format!("qcs_{}", random_token())
}

/// An API client as an admin describes it.
pub struct NewClient {
    pub organisation_id: String,
    pub name: String,
    pub scopes: Vec<String>,
}

/// The client's name and its scopes without repeats, or every problem at once.
fn check(input: &NewClient) -> ApiResult<(String, Vec<String>)> {
    let mut errors = Vec::new();
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        errors.push(FieldError::new(
            "name",
            "invalid_length",
            format!("name must be 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    let mut scopes: Vec<String> = Vec::new();
    for (i, s) in input.scopes.iter().enumerate() {
        if !SCOPES.contains(&s.as_str()) {
            errors.push(FieldError::new(
                format!("scopes[{i}]"),
                "invalid_option",
                format!("unknown scope {s:?}"),
            ));
        } else if !scopes.contains(s) {
            scopes.push(s.clone());
        }
    }
    if input.scopes.is_empty() {
        errors.push(FieldError::new("scopes", "required", "give at least one scope"));
    }
    if errors.is_empty() { Ok((name, scopes)) } else { Err(ApiError::validation(errors)) }
}

/// Creates a client of an existing organisation. `respond` gets the client and its secret: the answer
/// shows the secret once, and an idempotent retry gets the same answer (so the stored answer holds the
/// secret, sealed at rest, until the key's record is purged; without a key nothing but the hash is kept).
pub async fn create(
    db: &Db,
    _caller: Admin,
    input: NewClient,
    record: Option<Recorded>,
    trail: AuditTrail,
    respond: impl FnOnce(&ApiClient, &str) -> ApiResult<Created> + Send + 'static,
) -> ApiResult<Created> {
    let (name, scopes) = check(&input)?;
    let secret = new_secret();
    let t = now();
    let client = ApiClient {
        id: new_id(),
        client_id: format!("qac_{}", &uuid::Uuid::now_v7().simple().to_string()[8..]),
        organisation_id: input.organisation_id,
        name,
        secret_hash: sha256_hex(&secret),
        scopes: scopes.join(" "),
        created_at: t,
        updated_at: t,
        revoked_at: None,
    };
    db.write(move |conn| {
        require_organisation(conn, &client.organisation_id)?;
        clients::insert(conn, &client)?;
        let created = respond(&client, &secret)?;
        created.remember(conn, record.as_ref())?;
        // The public client_id, which is what token requests and webhook deliveries name.
        trail.set_target("api_client", &client.client_id);
        trail.write_in(conn, 201)?;
        Ok(created)
    })
    .await
}

/// Revokes an active client (by its `id`): it gets no more tokens, its webhook endpoints are disabled,
/// and the tokens it holds stop at once here and within seconds on the other instances.
pub async fn revoke(state: &AppState, _caller: Admin, id: String, trail: AuditTrail) -> ApiResult<ApiClient> {
    let client = state
        .db
        .write(move |conn| {
            let client = clients::find_active_by_ref(conn, &id)?;
            let t = now();
            clients::revoke(conn, &id, t)?;
            for endpoint in webhooks::list_endpoints(conn, &client.client_id)? {
                webhooks::disable_endpoint(conn, &endpoint.id, "the API client was revoked", t)?;
            }
            trail.write_in(conn, 200)?;
            Ok(ApiClient { revoked_at: Some(t), updated_at: t, ..client })
        })
        .await?;
    state
        .revocations
        .add([format!("client:{}", client.client_id)], state.tokens.ttl + Duration::from_secs(60));
    Ok(client)
}

/// A client's new secret.
pub struct Rotated {
    pub client_id: String,
    pub secret: crate::config::Secret,
}

/// Gives an active client (by its `id`) a new secret. The old secret stops working at once, and so do
/// the access tokens issued under it: here at once, on the other instances within seconds (they learn
/// the new secret generation from the database). Tokens issued under the new secret keep working.
pub async fn rotate_secret(
    state: &AppState,
    _caller: Admin,
    id: String,
    trail: AuditTrail,
) -> ApiResult<Rotated> {
    let secret = new_secret();
    let hash = sha256_hex(&secret);
    let generation = secret_generation(&hash);
    let client_id = state
        .db
        .write(move |conn| {
            let client = clients::find_active_by_ref(conn, &id)?;
            clients::set_secret_hash(conn, &id, &hash, now())?;
            trail.write_in(conn, 200)?;
            Ok(client.client_id)
        })
        .await?;
    state
        .revocations
        .set_generations([(client_id.clone(), generation)], state.tokens.ttl + Duration::from_secs(60));
    Ok(Rotated { client_id, secret: crate::config::Secret::new(secret) })
}
