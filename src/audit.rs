//! Audit events: who did what to which object, with what result and why.
//!
//! Requests to audited operations carry an [`AuditTrail`]: the HTTP layer opens it with the action, the
//! request id and the reason, the caller extractor adds the actor, the use case adds the target's subject
//! and, for changes, writes it inside its own transaction. Whatever the use case did not write (reads,
//! refusals, failures) the HTTP layer writes after the answer, in a transaction of its own, so every
//! audited request leaves exactly one row, allowed or refused.

use std::sync::{Arc, Mutex};

use diesel::QueryResult;

use crate::auth::Principal;
use crate::db::DbConn;
use crate::db::types::{new_id, now};
use crate::store::audit::AuditEvent;

/// One audit event under construction; `write` appends it.
#[derive(Debug, Clone)]
pub struct Audit(AuditEvent);

/// Where an audit row's request facts come from.
pub trait RequestFacts {
    fn request_id(&self) -> &str;
    fn reason(&self) -> Option<&str>;
}

impl RequestFacts for crate::context::RequestContext {
    fn request_id(&self) -> &str {
        &self.request_id
    }
    fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
}

impl Audit {
    fn new(
        actor_type: &str,
        actor_id: Option<String>,
        org: Option<String>,
        ctx: &impl RequestFacts,
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
            reason: ctx.reason().map(str::to_owned),
            request_id: Some(ctx.request_id().to_owned()).filter(|r| !r.is_empty()),
            created_at: now(),
        })
    }

    /// An action by an authenticated caller.
    pub fn by(p: &Principal, ctx: &impl RequestFacts, action: &str) -> Self {
        Self::new(p.role.actor_type(), Some(p.id.clone()), p.org.clone(), ctx, action)
    }

    /// An action by an account identified otherwise (a login, a refresh).
    pub fn by_account(
        role: crate::auth::Role,
        account_id: &str,
        org: Option<String>,
        ctx: &impl RequestFacts,
        action: &str,
    ) -> Self {
        Self::new(role.actor_type(), Some(account_id.to_owned()), org, ctx, action)
    }

    /// An event with no known actor, such as a failed login for an unknown account.
    pub fn system(ctx: &impl RequestFacts, action: &str) -> Self {
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

/// The audit row of one request to an audited operation, shared between the HTTP layer, the caller
/// extractor and the use case. Cloning shares it.
#[derive(Debug, Clone)]
pub struct AuditTrail(Arc<Mutex<TrailState>>);

#[derive(Debug)]
struct TrailState {
    action: &'static str,
    request_id: String,
    reason: Option<String>,
    actor: Option<Principal>,
    target: Option<(String, String)>,
    subject: Option<String>,
    written: bool,
}

struct Facts<'a>(&'a TrailState);

impl RequestFacts for Facts<'_> {
    fn request_id(&self) -> &str {
        &self.0.request_id
    }
    fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
}

impl AuditTrail {
    /// A trail for `action`, with the target the route names (the path's object, or the list filters).
    pub fn open(
        action: &'static str,
        request_id: String,
        reason: Option<String>,
        target: Option<(String, String)>,
    ) -> Self {
        Self(Arc::new(Mutex::new(TrailState {
            action,
            request_id,
            reason,
            actor: None,
            target,
            subject: None,
            written: false,
        })))
    }

    fn with<T>(&self, f: impl FnOnce(&mut TrailState) -> T) -> T {
        // A poisoned lock only means another holder panicked; the data is still the best we have.
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// The caller, once authenticated.
    pub fn set_actor(&self, p: &Principal) {
        self.with(|t| t.actor = Some(p.clone()));
    }

    /// Narrows or replaces the target the route named.
    pub fn set_target(&self, kind: &str, id: &str) {
        self.with(|t| t.target = Some((kind.to_owned(), id.to_owned())));
    }

    /// Names what happened more exactly than the operation does, such as a wrong password.
    pub fn set_action(&self, action: &'static str) {
        self.with(|t| t.action = action);
    }

    /// The resident whose data the request touches, for their access log.
    pub fn set_subject(&self, account_id: &str) {
        self.with(|t| t.subject = Some(account_id.to_owned()));
    }

    /// The row as it stands, with `status` as its result; `None` without an authenticated caller.
    fn event(&self, status: u16) -> Option<Audit> {
        self.with(|t| {
            let actor = t.actor.as_ref()?;
            let mut audit = Audit::by(actor, &Facts(t), t.action).result(status);
            if let Some((kind, id)) = &t.target {
                audit = audit.target(kind, id);
            }
            if let Some(subject) = &t.subject {
                audit = audit.subject(subject);
            }
            Some(audit)
        })
    }

    /// Writes the row inside the caller's transaction, so that a change and its audit commit together.
    /// Call it as the transaction's last step: the request then succeeds exactly when it committed.
    pub fn write_in(&self, conn: &mut DbConn, status: u16) -> QueryResult<()> {
        if let Some(audit) = self.event(status) {
            audit.write(conn)?;
            self.with(|t| t.written = true);
        }
        Ok(())
    }

    /// The row still to write after the answer: always for a failure (any row written in the failed
    /// transaction rolled back with it), for a success only if the use case did not commit one.
    pub fn pending(&self, status: u16) -> Option<Audit> {
        let written = self.with(|t| t.written);
        if written && status < 400 { None } else { self.event(status) }
    }
}
