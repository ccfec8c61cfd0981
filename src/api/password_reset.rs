//! Forgotten passwords: a one-time code sent to the account's email or phone, then a new password.
//! Both steps answer the same whether or not the account exists.

use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::password_reset::{self as reset, Reset};
use crate::context::RequestContext;
use crate::error::{ApiResult, Problem};
use crate::http::json::Json;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"login": "chan.taiman@example.mo"}))]
pub struct PasswordResetRequest {
    /// Email or phone number of the account.
    pub login: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Accepted {
    #[schema(example = "if the account exists, a code is on its way")]
    pub message: String,
}

/// Ask for a password reset code
///
/// Sends a one-time code to the account's email or phone. The answer is the same whether or not the
/// account exists; repeated requests for one login or from one address are refused for a while (429).
#[utoipa::path(
    tag = "auth",
    operation_id = "requestPasswordReset",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "Accepted; a code is sent if the account exists.", body = Accepted),
        (status = 429, description = "Too many requests; see `Retry-After`.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password-reset")]
pub async fn request_password_reset(
    state: web::Data<AppState>,
    ctx: RequestContext,
    body: Json<PasswordResetRequest>,
) -> ApiResult<HttpResponse> {
    reset::request(&state, ctx, body.0.login).await?;
    Ok(HttpResponse::Accepted()
        .json(Accepted { message: "if the account exists, a code is on its way".into() }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"login": "chan.taiman@example.mo", "code": "04718263", "password": "Granite-Orchid-88"}))]
pub struct ResetPassword {
    pub login: String,
    /// The code from `requestPasswordReset`; valid 15 minutes and for five tries.
    #[schema(value_type = String)]
    pub code: crate::config::Secret,
    /// The new password.
    #[schema(value_type = String)]
    pub password: crate::config::Secret,
}

/// Set a new password with a reset code
///
/// Ends every session of the account. A wrong code answers the same whether or not the account exists.
#[utoipa::path(
    tag = "auth",
    operation_id = "resetPassword",
    request_body = ResetPassword,
    responses(
        (status = 204, description = "The password was changed and every session ended."),
        (status = 422, description = "Wrong, used or expired code (`invalid_code`), or an unacceptable password.",
            body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password-reset/confirm")]
pub async fn reset_password(
    state: web::Data<AppState>,
    ctx: RequestContext,
    body: Json<ResetPassword>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    reset::reset(&state, ctx, Reset { login: body.login, code: body.code, password: body.password }).await?;
    Ok(HttpResponse::NoContent().finish())
}
