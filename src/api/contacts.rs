//! A resident's email and phone number: proving one, or replacing one, with a code sent to it. The
//! rules live in `app::contact_change`.

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::me::Me;
use crate::app::caller::Resident;
use crate::app::contact_change::{self, ContactChangeRequest};
use crate::audit::AuditTrail;
use crate::context::RequestContext;
use crate::db::types::utc;
use crate::error::{ApiResult, Problem};
use crate::http::json::Json;
use crate::state::AppState;
use crate::store::contact_verifications::Verification;

/// A code on its way to a contact; confirm it with `confirmContactChange`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PendingVerification {
    pub verification_id: String,
    /// `email` or `phone`.
    pub channel: String,
    /// After this the code no longer works; ask for a new one.
    pub expires_at: DateTime<Utc>,
}

impl From<&Verification> for PendingVerification {
    fn from(v: &Verification) -> Self {
        Self {
            verification_id: v.id.clone(),
            channel: v.channel.as_str().into(),
            expires_at: utc(v.expires_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"channel": "email", "value": "chan.taiman@example.mo", "current_password": "Lotus-Bridge-2026"}))]
pub struct RequestContactChange {
    /// `email` or `phone`.
    pub channel: String,
    /// The new email address, or a Macao (+853) or mainland (+86) mobile number. The account's current
    /// contact is accepted too, to prove it (for example when the code sent at registration expired).
    pub value: String,
    #[schema(value_type = String)]
    pub current_password: crate::config::Secret,
}

/// Ask to change or prove an email or phone number
///
/// Needs the current password, checked and throttled like a login. Sends a one-time code (valid 15
/// minutes, five tries) to the contact given; nothing changes until `confirmContactChange` gets it back.
/// A newer request for the same channel replaces an older one.
#[utoipa::path(
    tag = "me",
    operation_id = "requestContactChange",
    security(("bearer" = [])),
    request_body = RequestContactChange,
    responses(
        (status = 202, description = "A code is on its way to the contact.", body = PendingVerification),
        (status = 409, description = "Another account uses this contact (`login_taken`).", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "Invalid channel or value, or a wrong current password \
            (`wrong_password` in `errors`).", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords, counted with the account's logins, or too \
            many codes sent lately (`rate_limited`); see `Retry-After`.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[post("/me/contact-changes")]
pub async fn request_contact_change(
    caller: Resident,
    state: web::Data<AppState>,
    ctx: RequestContext,
    trail: AuditTrail,
    body: Json<RequestContactChange>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let input =
        ContactChangeRequest { channel: b.channel, value: b.value, current_password: b.current_password };
    let verification = contact_change::request(&state, caller, ctx, trail, input).await?;
    Ok(HttpResponse::Accepted().json(PendingVerification::from(&verification)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"verification_id": "0193a1c2-7c1e-7d52-9a4b-3f2e1d0c9b8a", "code": "04718263"}))]
pub struct ConfirmContactChange {
    /// From `requestContactChange` or `registerResident`.
    pub verification_id: String,
    /// The code sent to the contact.
    #[schema(value_type = String)]
    pub code: crate::config::Secret,
}

/// Confirm a contact with the code sent to it
///
/// The contact becomes the account's login on its channel and is marked verified; the contact it
/// replaces is told. Another resident's verification is not found, like one that does not exist.
#[utoipa::path(
    tag = "me",
    operation_id = "confirmContactChange",
    security(("bearer" = [])),
    request_body = ConfirmContactChange,
    responses(
        (status = 200, description = "The updated profile.", body = Me),
        (status = 404, description = "No such verification of the caller.", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "Another account took the contact meanwhile (`login_taken`).",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A wrong code (`invalid_code`), or one that expired, was used or was \
            tried five times (`code_expired`).", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/me/contact-changes/confirm")]
pub async fn confirm_contact_change(
    caller: Resident,
    state: web::Data<AppState>,
    trail: AuditTrail,
    body: Json<ConfirmContactChange>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let account = contact_change::confirm(&state, caller, trail, b.verification_id, b.code).await?;
    Ok(HttpResponse::Ok().json(Me::from(account)))
}
