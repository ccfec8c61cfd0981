//! The append-only audit trail. There is no update or delete here on purpose.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::audit_events;

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: String,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub organisation_id: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// The resident whose data was touched, for the resident's own access log.
    pub subject_account_id: Option<String>,
    pub result: i32,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, event: &AuditEvent) -> QueryResult<()> {
    diesel::insert_into(audit_events::table).values(event).execute(conn).map(|_| ())
}

/// What an audit search is narrowed to; `None` matches anything.
pub struct AuditFilter {
    pub actor_id: Option<String>,
    pub organisation_id: Option<String>,
    pub action: Option<String>,
    pub target_id: Option<String>,
    /// Only events at or after this time.
    pub since: Option<NaiveDateTime>,
}

/// Events newest first, `limit` after the (time, id) position `after`.
pub fn search(
    conn: &mut DbConn,
    f: AuditFilter,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<AuditEvent>> {
    use audit_events as au;
    let mut query = au::table.into_boxed();
    if let Some(v) = f.actor_id {
        query = query.filter(au::actor_id.eq(v));
    }
    if let Some(v) = f.organisation_id {
        query = query.filter(au::organisation_id.eq(v));
    }
    if let Some(v) = f.action {
        query = query.filter(au::action.eq(v));
    }
    if let Some(v) = f.target_id {
        query = query.filter(au::target_id.eq(v));
    }
    if let Some(t) = f.since {
        query = query.filter(au::created_at.ge(t));
    }
    if let Some((at, id)) = after {
        query = query.filter(au::created_at.le(at).and(au::created_at.lt(at).or(au::id.lt(id))));
    }
    query.order((au::created_at.desc(), au::id.desc())).limit(limit).load(conn)
}

/// An event that touched someone's data, with the name of the actor's organisation (JSON, as stored)
/// and the actor's account role, where the actor has an account.
pub struct Access {
    pub event: AuditEvent,
    pub organisation_name: Option<String>,
    pub actor_role: Option<String>,
}

/// Events whose subject is `subject` and whose actor is of one of `actor_types`, newest first, `limit`
/// after the (time, id) position `after`.
pub fn accesses(
    conn: &mut DbConn,
    subject: &str,
    actor_types: &[&str],
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Access>> {
    use crate::db::schema::{accounts as acc, organisations as o};
    use audit_events as au;
    let mut query = au::table
        .left_join(o::table.on(au::organisation_id.eq(o::id.nullable())))
        .left_join(acc::table.on(au::actor_id.eq(acc::id.nullable())))
        .filter(au::subject_account_id.eq(subject))
        .filter(au::actor_type.eq_any(actor_types))
        .select((au::all_columns, o::name.nullable(), acc::role.nullable()))
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(au::created_at.le(at).and(au::created_at.lt(at).or(au::id.lt(id))));
    }
    let rows: Vec<(AuditEvent, Option<String>, Option<String>)> =
        query.order((au::created_at.desc(), au::id.desc())).limit(limit).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(event, organisation_name, actor_role)| Access { event, organisation_name, actor_role })
        .collect())
}
