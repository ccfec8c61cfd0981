//! Building audit events: who did what to which object, with what result and why.

use diesel::QueryResult;

use crate::auth::Principal;
use crate::context::RequestContext;
use crate::db::DbConn;
use crate::db::types::{new_id, now};
use crate::store::audit::AuditEvent;

/// One audit event under construction; `write` appends it.
#[derive(Debug, Clone)]
pub struct Audit(AuditEvent);

impl Audit {
    fn new(
        actor_type: &str,
        actor_id: Option<String>,
        org: Option<String>,
        ctx: &RequestContext,
        action: &str,
    ) -> Self {
        Audit(AuditEvent {
            id: new_id(),
            actor_type: actor_type.to_owned(),
            actor_id,
            organisation_id: org,
            action: action.to_owned(),
            target_type: None,
            target_id: None,
            subject_account_id: None,
            result: 200,
            reason: ctx.reason.clone(),
            request_id: Some(ctx.request_id.clone()).filter(|r| !r.is_empty()),
            created_at: now(),
        })
    }

    /// An action by an authenticated caller.
    pub fn by(p: &Principal, ctx: &RequestContext, action: &str) -> Self {
        Self::new(p.role.actor_type(), Some(p.id.clone()), p.org.clone(), ctx, action)
    }

    /// An action by an account identified otherwise (a login, a refresh).
    pub fn by_account(
        role: &str,
        account_id: &str,
        org: Option<String>,
        ctx: &RequestContext,
        action: &str,
    ) -> Self {
        let actor_type = crate::auth::Role::parse(role).map(|r| r.actor_type()).unwrap_or("resident");
        Self::new(actor_type, Some(account_id.to_owned()), org, ctx, action)
    }

    /// An event with no known actor, such as a failed login for an unknown account.
    pub fn system(ctx: &RequestContext, action: &str) -> Self {
        Self::new("system", None, None, ctx, action)
    }

    pub fn target(mut self, kind: &str, id: &str) -> Self {
        self.0.target_type = Some(kind.to_owned());
        self.0.target_id = Some(id.to_owned());
        self
    }

    pub fn subject(mut self, account_id: &str) -> Self {
        self.0.subject_account_id = Some(account_id.to_owned());
        self
    }

    pub fn result(mut self, status: u16) -> Self {
        self.0.result = status as i32;
        self
    }

    pub fn write(self, conn: &mut DbConn) -> QueryResult<()> {
        crate::store::audit::insert(conn, &self.0)
    }
}

/// Runs an audited operation; if it fails, appends `audit` with the failure's status in a transaction
/// of its own (the operation's own transaction, and its success event, rolled back).
pub async fn audited<F>(
    state: actix_web::web::Data<crate::state::AppState>,
    audit: Audit,
    op: F,
) -> crate::error::ApiResult<actix_web::HttpResponse>
where
    F: std::future::Future<Output = crate::error::ApiResult<actix_web::HttpResponse>>,
{
    let result = op.await;
    if let Err(e) = &result {
        let failed = audit.result(e.status.as_u16());
        if let Err(write_error) = state.db.write(move |conn| Ok(failed.write(conn)?)).await {
            tracing::error!(error = %write_error, "could not audit a failed request");
        }
    }
    result
}
