//! Admin support: the messages a resident was sent, over HTTP. Rules live in `app::deliveries`.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::pagination::{Page, PageParams, page, time_key};
use crate::app::caller::Admin;
use crate::app::deliveries;
use crate::audit::AuditTrail;
use crate::db::types::utc;
use crate::domain::templates::mask_recipient;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use crate::store::messages::{Message, PENDING};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MessageDeliveryView {
    pub id: String,
    /// Such as `application.approved`, `security.password_changed` or `account.code`.
    pub kind: String,
    /// `email`, `sms` or `push`.
    pub channel: String,
    /// Masked: enough to recognise the address or device, not to use it.
    pub recipient: String,
    /// `pending`, `sent`, `dead` (given up) or `cancelled` (device or account removed first).
    pub status: String,
    pub attempts: i32,
    /// The provider's last refusal or the network error.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl From<Message> for MessageDeliveryView {
    fn from(m: Message) -> Self {
        Self {
            recipient: mask_recipient(&m.channel, &m.recipient),
            next_attempt_at: (m.status == PENDING).then(|| utc(m.next_attempt_at)),
            id: m.id,
            kind: m.kind,
            channel: m.channel,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            created_at: utc(m.created_at),
            sent_at: m.sent_at.map(utc),
        }
    }
}

/// List the messages sent to a resident
///
/// Newest first, without their texts. Audited with the resident as its subject.
#[utoipa::path(
    tag = "admin",
    operation_id = "listMessageDeliveries",
    security(("bearer" = [])),
    params(("account_id" = String, Path, description = "The resident's account id"), PageParams),
    responses(
        (status = 200, description = "A page of messages.", body = Page<MessageDeliveryView>),
        (status = 404, description = "No such resident.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/residents/{account_id}/message-deliveries")]
pub async fn list_message_deliveries(
    caller: Admin,
    state: web::Data<AppState>,
    trail: AuditTrail,
    path: web::Path<String>,
    q: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let (limit, after) = (q.limit()?, q.time_cursor()?);
    let rows = deliveries::list(&state.db, caller, path.into_inner(), after, limit + 1, trail).await?;
    let body = page(rows, limit, |m| (time_key(m.created_at), m.id.clone()), MessageDeliveryView::from);
    Ok(HttpResponse::Ok().json(body))
}
