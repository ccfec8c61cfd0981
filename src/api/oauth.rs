//! OAuth 2.0 client credentials grant (RFC 6749 section 4.4) for API clients. Errors follow section 5.2,
//! the one place where the API answers without a problem document, because OAuth libraries expect it.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, post, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::audit::Audit;
use crate::auth::sha256_hex;
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::http::json::read_body;
use crate::state::AppState;
use crate::store::clients;

/// The form fields of a token request.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ClientTokenForm {
    /// Must be `client_credentials`.
    #[schema(example = "client_credentials")]
    pub grant_type: Option<String>,
    /// Or send the credentials with HTTP Basic.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Space-separated subset of the client's scopes; omitted means all of them.
    #[schema(example = "applications:read")]
    pub scope: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJFZERTQSIs...", "token_type": "Bearer",
    "expires_in": 600, "scope": "applications:read applications:write"}))]
pub struct ClientTokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    pub scope: String,
}

/// An RFC 6749 section 5.2 error.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"error": "invalid_client", "error_description": "unknown client or wrong secret"}))]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `unsupported_grant_type` or `invalid_scope`.
    pub error: String,
    pub error_description: String,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if status == StatusCode::UNAUTHORIZED {
        res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"qinaotong\""));
    }
    res.json(OAuthError { error: error.into(), error_description: description.into() })
}

/// Credentials from the Authorization header (each part form-encoded, RFC 6749 section 2.3.1).
fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8().ok().map(|c| c.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// Issue an access token to an API client
///
/// OAuth 2.0 client credentials: form-encoded `grant_type=client_credentials` with `client_id` and
/// `client_secret` in the body or as HTTP Basic. Errors are RFC 6749 JSON (`error`, `error_description`).
#[utoipa::path(
    tag = "auth",
    operation_id = "issueClientToken",
    request_body(content = ClientTokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "An access token for the client.", body = ClientTokenResponse),
        (status = 400, description = "`invalid_request`, `unsupported_grant_type` or `invalid_scope`.",
            body = OAuthError),
        (status = 401, description = "`invalid_client`: unknown client or wrong secret.", body = OAuthError),
    )
)]
#[post("/oauth/token")]
pub async fn issue_client_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let form_ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
        ct.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
    });
    if !form_ct {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let body = match read_body(&mut payload, 16 * 1024).await {
        Ok(b) => b,
        Err(_) => {
            return Ok(oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "the body is too large"));
        }
    };
    let Ok(form) = serde_urlencoded::from_bytes::<ClientTokenForm>(&body) else {
        return Ok(oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "the body is not a valid form"));
    };
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        None => return Ok(oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is required")),
        Some(_) => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
            ));
        }
    }
    let basic = basic_credentials(&req);
    let (client_id, secret) = match (basic, form.client_id.clone(), form.client_secret.clone()) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "use one way of sending credentials",
            ));
        }
        (Some(pair), None, None) => pair,
        (None, Some(id), Some(secret)) => (id, secret),
        _ => {
            return Ok(oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client credentials are required",
            ));
        }
    };
    let lookup = client_id.clone();
    let client = state.db.run(move |conn| Ok(clients::find_active(conn, &lookup)?)).await?;
    let presented = sha256_hex(&secret);
    let valid =
        client.as_ref().is_some_and(|c| bool::from(c.secret_hash.as_bytes().ct_eq(presented.as_bytes())));
    let Some(client) = client.filter(|_| valid) else {
        let audit =
            Audit::system(&ctx, "auth.client_token_failed").target("api_client", &client_id).result(401);
        state.db.write(move |conn| Ok(audit.write(conn)?)).await?;
        return Ok(oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client or wrong secret"));
    };
    let granted: Vec<&str> = client.scopes.split(' ').filter(|s| !s.is_empty()).collect();
    let scope = match form.scope.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => granted.join(" "),
        Some(requested) => {
            let wanted: Vec<&str> = requested.split(' ').filter(|s| !s.is_empty()).collect();
            if let Some(bad) = wanted.iter().find(|s| !granted.contains(s)) {
                return Ok(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    &format!("the client may not request {bad}"),
                ));
            }
            wanted.join(" ")
        }
    };
    let token = state
        .tokens
        .issue(&client.client_id, "client", Some(&client.organisation_id), None, Some(&scope))
        .map_err(ApiError::internal)?;
    let principal = crate::auth::Principal {
        id: client.client_id.clone(),
        role: crate::auth::Role::Client,
        org: Some(client.organisation_id.clone()),
        sid: None,
        scopes: Vec::new(),
    };
    let audit = Audit::by(&principal, &ctx, "auth.client_token").target("api_client", &client.client_id);
    state.db.write(move |conn| Ok(audit.write(conn)?)).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(ClientTokenResponse {
        access_token: token,
        token_type: "Bearer".into(),
        expires_in: state.tokens.ttl.as_secs(),
        scope,
    }))
}
