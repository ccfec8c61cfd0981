//! A resident's notifications about their applications, over HTTP. Rules live in `app::notifications`.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::applications::since;
use crate::api::pagination::{PageParams, encode_cursor, time_key};
use crate::app::caller::Resident;
use crate::app::notifications::{self, Position};
use crate::db::types::utc;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use crate::store::applications::Notification;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    pub application_id: Option<String>,
    /// Such as `application.needs_info`.
    pub kind: String,
    /// In the resident's preferred language.
    pub title: String,
    pub body: String,
    pub read: bool,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id,
            application_id: n.application_id,
            kind: n.kind,
            title: n.title,
            body: n.body,
            read: n.is_read,
            read_at: n.read_at.map(utc),
            created_at: utc(n.created_at),
            updated_at: utc(n.updated_at),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<NotificationView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only notifications created or changed at or after this time (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
}

fn cursor(q: &PageParams) -> ApiResult<Option<Position>> {
    let Some(c) = q.cursor()? else { return Ok(None) };
    let bad = || ApiError::malformed("cursor is not one this server issued");
    let (read, at) = c.k.split_once('|').ok_or_else(bad)?;
    let at = NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S%.f").map_err(|_| bad())?;
    Ok(Some((read == "1", at, c.id)))
}

/// List the caller's notifications
///
/// Unread first, then newest first.
#[utoipa::path(
    tag = "notifications",
    operation_id = "listNotifications",
    security(("bearer" = [])),
    params(NotificationQuery, PageParams),
    responses((status = 200, description = "A page of notifications.", body = NotificationPage))
)]
#[get("/notifications")]
pub async fn list_notifications(
    caller: Resident,
    state: web::Data<AppState>,
    filter: web::Query<NotificationQuery>,
    q: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let (limit, after) = (q.limit()?, cursor(&q)?);
    let updated = since(filter.updated_since);
    let mut rows = notifications::list(&state.db, caller, updated, after, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|n| {
            encode_cursor(&format!("{}|{}", if n.is_read { 1 } else { 0 }, time_key(n.created_at)), &n.id)
        })
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(NotificationPage {
        items: rows.into_iter().map(NotificationView::from).collect(),
        next_cursor,
    }))
}

/// Mark a notification as read
///
/// Marking twice is harmless.
#[utoipa::path(
    tag = "notifications",
    operation_id = "markNotificationRead",
    security(("bearer" = [])),
    params(("notification_id" = String, Path, description = "Notification id")),
    responses(
        (status = 200, description = "The notification, now read.", body = NotificationView),
        (status = 404, description = "No such notification of the caller.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/notifications/{notification_id}/read")]
pub async fn mark_notification_read(
    caller: Resident,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let n = notifications::mark_read(&state.db, caller, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(NotificationView::from(n)))
}
