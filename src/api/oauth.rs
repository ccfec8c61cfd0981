//! OAuth 2.0 client credentials grant (RFC 6749 section 4.4) for API clients. Errors follow section 5.2,
//! the one place where the API answers without a problem document, because OAuth libraries expect it.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, post, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::client_tokens::{self, ClientCredentials, Refusal};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::http::json::read_body;
use crate::state::AppState;

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
    let credentials = match read_request(&req, &mut payload).await {
        Ok(c) => c,
        Err(refusal) => return Ok(refusal),
    };
    match client_tokens::issue(&state, ctx, credentials).await {
        Ok(token) => Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(
            ClientTokenResponse {
                access_token: token.access_token,
                token_type: "Bearer".into(),
                expires_in: token.expires_in,
                scope: token.scope,
            },
        )),
        Err(Refusal::InvalidClient) => {
            Ok(oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client or wrong secret"))
        }
        Err(Refusal::InvalidScope(scope)) => Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("the client may not request {scope}"),
        )),
        Err(Refusal::Failed(e)) => Err(e),
    }
}

/// The credentials of a well-formed token request, or the RFC 6749 answer to a malformed one.
async fn read_request(
    req: &HttpRequest,
    payload: &mut web::Payload,
) -> Result<ClientCredentials, HttpResponse> {
    let invalid_request =
        |description: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description);
    let form_ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
        ct.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
    });
    if !form_ct {
        return Err(invalid_request("the body must be application/x-www-form-urlencoded"));
    }
    let body = read_body(payload, 16 * 1024).await.map_err(|_| invalid_request("the body is too large"))?;
    let form = serde_urlencoded::from_bytes::<ClientTokenForm>(&body)
        .map_err(|_| invalid_request("the body is not a valid form"))?;
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        None => return Err(invalid_request("grant_type is required")),
        Some(_) => {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
            ));
        }
    }
    let (client_id, client_secret) = match (basic_credentials(req), form.client_id, form.client_secret) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(invalid_request("use one way of sending credentials"));
        }
        (Some(pair), None, None) => pair,
        (None, Some(id), Some(secret)) => (id, secret),
        _ => {
            return Err(oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client credentials are required",
            ));
        }
    };
    Ok(ClientCredentials {
        client_id,
        client_secret: crate::config::Secret::new(client_secret),
        scope: form.scope,
    })
}
