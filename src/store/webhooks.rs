//! Webhook endpoints, delivery jobs and attempts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{webhook_attempts as wa, webhook_endpoints as we, webhook_jobs as wj};
use crate::db::types::new_id;

/// Endpoint states: `active`, or `disabled` (the receiver answered 410 Gone, or its client was revoked).
pub const ACTIVE: &str = "active";
pub const DISABLED: &str = "disabled";

/// Job and attempt states: `pending` (will be tried again), `delivered`, `failed` (given up).
pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = we)]
pub struct Endpoint {
    pub id: String,
    pub organisation_id: String,
    pub client_id: String,
    pub url: String,
    /// Space-separated; empty means every type.
    pub event_types: String,
    /// The signing secret as stored: sealed under the data key `secret_key_id`, or in clear on rows
    /// written before sealing (no key id) until the pass at start seals them.
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub secret: crate::config::Secret,
    pub status: String,
    pub disabled_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub secret_key_id: Option<String>,
}

impl Endpoint {
    pub fn is_active(&self) -> bool {
        self.status == ACTIVE
    }

    /// The subscribed event types; an empty column means all of them.
    pub fn event_type_list(&self, all: &[&str]) -> Vec<String> {
        if self.event_types.is_empty() {
            all.iter().map(|t| (*t).to_owned()).collect()
        } else {
            self.event_types.split(' ').map(str::to_owned).collect()
        }
    }

    pub fn wants(&self, event_type: &str) -> bool {
        self.event_types.is_empty() || self.event_types.split(' ').any(|t| t == event_type)
    }
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = wj)]
pub struct Job {
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    pub application_id: String,
    pub payload: String,
    pub attempts: i32,
    pub status: String,
    pub next_attempt_at: NaiveDateTime,
    pub leased_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = wa)]
pub struct Attempt {
    pub id: String,
    pub job_id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    pub attempt: i32,
    pub status: String,
    pub response_status: Option<i32>,
    pub error: Option<String>,
    pub attempted_at: NaiveDateTime,
    pub next_attempt_at: Option<NaiveDateTime>,
}

pub fn insert_endpoint(conn: &mut DbConn, e: &Endpoint) -> QueryResult<()> {
    diesel::insert_into(we::table).values(e.clone()).execute(conn).map(|_| ())
}

/// An endpoint of this API client; otherwise not found.
pub fn find_endpoint(conn: &mut DbConn, id: &str, client_id: &str) -> QueryResult<Endpoint> {
    we::table.find(id).filter(we::client_id.eq(client_id)).first(conn)
}

/// How many endpoints an API client has registered, active or disabled.
pub fn count_endpoints(conn: &mut DbConn, client_id: &str) -> QueryResult<i64> {
    we::table.filter(we::client_id.eq(client_id)).count().get_result(conn)
}

pub fn list_endpoints(conn: &mut DbConn, client_id: &str) -> QueryResult<Vec<Endpoint>> {
    we::table.filter(we::client_id.eq(client_id)).order((we::created_at.asc(), we::id.asc())).load(conn)
}

/// Deletes an endpoint of this API client with its jobs and attempts; false if it has no such endpoint.
pub fn delete_endpoint(conn: &mut DbConn, id: &str, client_id: &str) -> QueryResult<bool> {
    let n = diesel::delete(we::table.find(id).filter(we::client_id.eq(client_id))).execute(conn)?;
    Ok(n > 0)
}

/// A stored secret: the text and the data key it is sealed under (none: in clear).
pub type StoredSecret = (String, Option<String>);

/// Replaces the stored signing secret of an endpoint of this API client and returns the endpoint.
pub fn set_secret(
    conn: &mut DbConn,
    id: &str,
    client_id: &str,
    secret: &StoredSecret,
    now: NaiveDateTime,
) -> QueryResult<Endpoint> {
    diesel::update(we::table.find(id).filter(we::client_id.eq(client_id)))
        .set((we::secret.eq(&secret.0), we::secret_key_id.eq(&secret.1), we::updated_at.eq(now)))
        .execute(conn)?;
    find_endpoint(conn, id, client_id)
}

/// Up to `limit` endpoints after `after` (by id) whose secret is not sealed under `current_key_id`:
/// their id and stored secret.
pub fn secrets_to_seal(
    conn: &mut DbConn,
    current_key_id: &str,
    after: &str,
    limit: i64,
) -> QueryResult<Vec<(String, StoredSecret)>> {
    let rows: Vec<(String, String, Option<String>)> = we::table
        .filter(we::id.gt(after))
        .filter(we::secret_key_id.is_null().or(we::secret_key_id.ne(current_key_id)))
        .order(we::id.asc())
        .select((we::id, we::secret, we::secret_key_id))
        .limit(limit)
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, text, key)| (id, (text, key))).collect())
}

/// Stores `new` as the endpoint's secret if it still holds `old` (a rotation meanwhile wins).
pub fn replace_secret(
    conn: &mut DbConn,
    id: &str,
    old: &StoredSecret,
    new: &StoredSecret,
) -> QueryResult<bool> {
    let n = diesel::update(we::table.find(id).filter(we::secret.eq(&old.0)))
        .set((we::secret.eq(&new.0), we::secret_key_id.eq(&new.1)))
        .execute(conn)?;
    Ok(n > 0)
}

/// Disables every endpoint of an API client (when the client is revoked).
pub fn disable_client_endpoints(
    conn: &mut DbConn,
    client_id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let ids: Vec<String> = we::table.filter(we::client_id.eq(client_id)).select(we::id).load(conn)?;
    for id in ids {
        disable_endpoint(conn, &id, reason, now)?;
    }
    Ok(())
}

/// Any endpoint, for the delivery worker.
pub fn endpoint(conn: &mut DbConn, id: &str) -> QueryResult<Endpoint> {
    we::table.find(id).first(conn)
}

/// Queues `event` for every active endpoint of the organisation that subscribed to its type; part of
/// the transaction that wrote the event.
pub fn fan_out(
    conn: &mut DbConn,
    organisation_id: &str,
    event_id: &str,
    event_type: &str,
    application_id: &str,
    payload: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    use crate::db::schema::api_clients as c;
    let live_clients = c::table.filter(c::revoked_at.is_null()).select(c::client_id);
    let endpoints: Vec<Endpoint> = we::table
        .filter(we::organisation_id.eq(organisation_id))
        .filter(we::status.eq(ACTIVE))
        .filter(we::client_id.eq_any(live_clients))
        .load(conn)?;
    for e in endpoints.into_iter().filter(|e| e.wants(event_type)) {
        insert_job(conn, &e.id, event_id, event_type, application_id, payload, now)?;
    }
    Ok(())
}

pub fn insert_job(
    conn: &mut DbConn,
    endpoint_id: &str,
    event_id: &str,
    event_type: &str,
    application_id: &str,
    payload: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let job = Job {
        id: new_id(),
        endpoint_id: endpoint_id.to_owned(),
        event_id: event_id.to_owned(),
        event_type: event_type.to_owned(),
        application_id: application_id.to_owned(),
        payload: payload.to_owned(),
        attempts: 0,
        status: PENDING.into(),
        next_attempt_at: now,
        leased_until: None,
        created_at: now,
    };
    diesel::insert_into(wj::table).values(&job).execute(conn).map(|_| ())
}

/// Leases up to `limit` due jobs until `lease_until`. A job waits while an earlier job of the same endpoint
/// and application is still pending, so each receiver gets an application's events in order. On
/// PostgreSQL rows another instance is leasing are skipped (`FOR UPDATE SKIP LOCKED`).
pub fn lease_due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Job>> {
    let earlier = diesel::alias!(wj as earlier);
    // Jobs held back behind an earlier pending job are excluded in SQL, so however many pile up behind a
    // failing receiver, they never crowd out the due jobs of other endpoints.
    let blocked = earlier
        .filter(earlier.field(wj::endpoint_id).eq(wj::endpoint_id))
        .filter(earlier.field(wj::application_id).eq(wj::application_id))
        .filter(earlier.field(wj::status).eq(PENDING))
        .filter(
            earlier
                .field(wj::created_at)
                .lt(wj::created_at)
                .or(earlier.field(wj::created_at).eq(wj::created_at).and(earlier.field(wj::id).lt(wj::id))),
        );
    let due = wj::table
        .filter(wj::status.eq(PENDING))
        .filter(wj::next_attempt_at.le(now))
        .filter(wj::leased_until.is_null().or(wj::leased_until.lt(now)))
        .filter(diesel::dsl::not(diesel::dsl::exists(blocked)))
        .order((wj::created_at.asc(), wj::id.asc()))
        .limit(limit);
    let jobs: Vec<Job> = match conn {
        DbConn::Pg(c) => due.for_update().skip_locked().load(c)?,
        DbConn::Sqlite(_) => due.load(conn)?,
    };
    let ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
    diesel::update(wj::table.filter(wj::id.eq_any(&ids)))
        .set(wj::leased_until.eq(Some(lease_until)))
        .execute(conn)?;
    Ok(jobs)
}

/// Records one attempt and moves the job on: delivered, failed for good, or pending again at `next`.
pub fn record_attempt(conn: &mut DbConn, job: &Job, attempt: &Attempt) -> QueryResult<()> {
    diesel::insert_into(wa::table).values(attempt).execute(conn)?;
    diesel::update(wj::table.find(&job.id))
        .set((
            wj::attempts.eq(attempt.attempt),
            wj::status.eq(&attempt.status),
            wj::next_attempt_at.eq(attempt.next_attempt_at.unwrap_or(attempt.attempted_at)),
            wj::leased_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn disable_endpoint(conn: &mut DbConn, id: &str, reason: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(we::table.find(id))
        .set((we::status.eq(DISABLED), we::disabled_reason.eq(Some(reason)), we::updated_at.eq(now)))
        .execute(conn)?;
    // Nothing more goes to a disabled endpoint.
    diesel::update(wj::table.filter(wj::endpoint_id.eq(id)).filter(wj::status.eq(PENDING)))
        .set(wj::status.eq(FAILED))
        .execute(conn)?;
    Ok(())
}

pub fn list_attempts(
    conn: &mut DbConn,
    endpoint_id: &str,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Attempt>> {
    let mut q = wa::table.filter(wa::endpoint_id.eq(endpoint_id)).into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(wa::attempted_at.le(at).and(wa::attempted_at.lt(at).or(wa::id.lt(id))));
    }
    q.order((wa::attempted_at.desc(), wa::id.desc())).limit(limit).load(conn)
}

/// The payload and type of an event this endpoint was sent (or should have been).
pub fn job_for_event(conn: &mut DbConn, endpoint_id: &str, event_id: &str) -> QueryResult<Option<Job>> {
    wj::table
        .filter(wj::endpoint_id.eq(endpoint_id))
        .filter(wj::event_id.eq(event_id))
        .order(wj::created_at.desc())
        .first(conn)
        .optional()
}
