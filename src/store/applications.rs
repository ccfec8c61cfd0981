//! Applications and what hangs off them: events, notifications, documents and the webhook outbox.

pub use super::notifications::*;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Map, Value};

use crate::db::DbConn;
use crate::db::schema::{application_events as ev, applications as a, documents as d, outbox_events as o};
use crate::domain::status::{ApplicationStatus, UnknownStatus};

/// An application's form data: a JSON object keyed by field key, stored as TEXT. A stored value that
/// is not a JSON object fails the read; it is never taken for an empty form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormData(pub Map<String, Value>);

impl TryFrom<String> for FormData {
    type Error = serde_json::Error;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        serde_json::from_str(&s).map(Self)
    }
}

impl From<FormData> for String {
    fn from(data: FormData) -> Self {
        Value::Object(data.0).to_string()
    }
}

impl From<FormData> for Value {
    fn from(data: FormData) -> Self {
        Value::Object(data.0)
    }
}

/// An application row. Status and form data are decoded on the way out of the database, so a row
/// that holds something else fails the query instead of reaching a rule.
#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = a, treat_none_as_null = true)]
pub struct Application {
    pub id: String,
    pub reference: String,
    pub service_id: String,
    pub service_version: i32,
    pub organisation_id: String,
    pub resident_id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub status: ApplicationStatus,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub form_data: FormData,
    pub assignee_id: Option<String>,
    pub due_at: Option<NaiveDateTime>,
    pub decision_reason: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub needs_info_since: Option<NaiveDateTime>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, app: &Application) -> QueryResult<()> {
    diesel::insert_into(a::table).values(app.clone()).execute(conn).map(|_| ())
}

/// The application if it belongs to this resident; otherwise not found.
pub fn find_for_resident(conn: &mut DbConn, id: &str, resident: &str) -> QueryResult<Application> {
    of_resident(id.to_owned(), resident.to_owned()).first(conn)
}

/// The query of one application of one resident.
#[diesel::dsl::auto_type(no_type_alias)]
pub fn of_resident(id: String, resident: String) -> _ {
    a::table.find(id).filter(a::resident_id.eq(resident))
}

/// Writes `next` if the stored version is still `expected`; false when someone changed it first.
pub fn save_if_version(conn: &mut DbConn, next: &Application, expected: i32) -> QueryResult<bool> {
    let n = diesel::update(a::table.find(&next.id).filter(a::version.eq(expected)))
        .set(next.clone())
        .execute(conn)?;
    Ok(n == 1)
}

pub struct ResidentFilter {
    pub status: Option<ApplicationStatus>,
    pub service_id: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
}

/// A resident's applications, newest first.
pub fn list_for_resident(
    conn: &mut DbConn,
    resident: &str,
    f: ResidentFilter,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Application>> {
    let mut q = a::table.filter(a::resident_id.eq(resident)).into_boxed();
    if let Some(s) = f.status {
        q = q.filter(a::status.eq(s.as_str()));
    }
    if let Some(s) = f.service_id {
        q = q.filter(a::service_id.eq(s));
    }
    if let Some(t) = f.updated_since {
        q = q.filter(a::updated_at.ge(t));
    }
    if let Some((at, id)) = after {
        q = q.filter(a::created_at.le(at).and(a::created_at.lt(at).or(a::id.lt(id))));
    }
    q.order((a::created_at.desc(), a::id.desc())).limit(limit).load(conn)
}

/// The next reference number: a sequence on PostgreSQL, a counter row (inside the IMMEDIATE write
/// transaction) on SQLite. Numbers are never reused; a rolled-back transaction may leave a gap.
pub fn next_reference_number(conn: &mut DbConn) -> QueryResult<i64> {
    match conn {
        DbConn::Pg(c) => {
            diesel::define_sql_function!(fn nextval(seq: diesel::sql_types::Text) -> diesel::sql_types::BigInt);
            diesel::select(nextval("application_reference_seq")).get_result(c)
        }
        DbConn::Sqlite(_) => {
            use crate::db::schema::reference_counters as r;
            diesel::update(r::table.find("application")).set(r::value.eq(r::value + 1)).execute(conn)?;
            r::table.find("application").select(r::value).first(conn)
        }
    }
}

/// One entry of an application's history; status changes name the statuses on either side.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    pub application_id: String,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub from_status: Option<ApplicationStatus>,
    pub to_status: Option<ApplicationStatus>,
    pub comment: Option<String>,
    pub visible_to_resident: bool,
    pub created_at: NaiveDateTime,
}

/// An event as stored. Its optional statuses cannot use `deserialize_as` (no conversion from
/// `Option<String>` to `Option<ApplicationStatus>` may be written here), so rows convert explicitly.
#[derive(Queryable, Insertable)]
#[diesel(table_name = ev)]
struct EventRow {
    id: String,
    application_id: String,
    actor_type: String,
    actor_id: Option<String>,
    action: String,
    from_status: Option<String>,
    to_status: Option<String>,
    comment: Option<String>,
    visible_to_resident: bool,
    created_at: NaiveDateTime,
}

impl From<&Event> for EventRow {
    fn from(e: &Event) -> Self {
        Self {
            id: e.id.clone(),
            application_id: e.application_id.clone(),
            actor_type: e.actor_type.clone(),
            actor_id: e.actor_id.clone(),
            action: e.action.clone(),
            from_status: e.from_status.map(String::from),
            to_status: e.to_status.map(String::from),
            comment: e.comment.clone(),
            visible_to_resident: e.visible_to_resident,
            created_at: e.created_at,
        }
    }
}

impl TryFrom<EventRow> for Event {
    type Error = UnknownStatus;

    fn try_from(r: EventRow) -> Result<Self, Self::Error> {
        Ok(Self {
            from_status: r.from_status.map(ApplicationStatus::try_from).transpose()?,
            to_status: r.to_status.map(ApplicationStatus::try_from).transpose()?,
            id: r.id,
            application_id: r.application_id,
            actor_type: r.actor_type,
            actor_id: r.actor_id,
            action: r.action,
            comment: r.comment,
            visible_to_resident: r.visible_to_resident,
            created_at: r.created_at,
        })
    }
}

pub fn insert_event(conn: &mut DbConn, e: &Event) -> QueryResult<()> {
    diesel::insert_into(ev::table).values(EventRow::from(e)).execute(conn).map(|_| ())
}

pub fn list_events(
    conn: &mut DbConn,
    application_id: &str,
    visible_only: bool,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Event>> {
    let mut q = ev::table.filter(ev::application_id.eq(application_id)).into_boxed();
    if visible_only {
        q = q.filter(ev::visible_to_resident.eq(true));
    }
    if let Some((at, id)) = after {
        q = q.filter(ev::created_at.ge(at).and(ev::created_at.gt(at).or(ev::id.gt(id))));
    }
    let rows: Vec<EventRow> = q.order((ev::created_at.asc(), ev::id.asc())).limit(limit).load(conn)?;
    rows.into_iter()
        .map(Event::try_from)
        .collect::<Result<_, _>>()
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = d)]
pub struct Document {
    pub id: String,
    pub application_id: String,
    pub kind: String,
    pub original_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub uploaded_by: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_document(conn: &mut DbConn, x: &Document) -> QueryResult<()> {
    diesel::insert_into(d::table).values(x).execute(conn).map(|_| ())
}

pub fn list_documents(conn: &mut DbConn, application_id: &str) -> QueryResult<Vec<Document>> {
    d::table.filter(d::application_id.eq(application_id)).order((d::created_at.asc(), d::id.asc())).load(conn)
}

pub fn count_documents(conn: &mut DbConn, application_id: &str) -> QueryResult<i64> {
    d::table.filter(d::application_id.eq(application_id)).count().get_result(conn)
}

/// Bytes of documents a resident has uploaded, over all their applications.
pub fn stored_bytes_of(conn: &mut DbConn, resident_id: &str) -> QueryResult<i64> {
    // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back so both backends answer a BigInt.
    d::table
        .filter(d::uploaded_by.eq(resident_id))
        .select(diesel::dsl::sql::<diesel::sql_types::BigInt>("CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT)"))
        .first(conn)
}

/// How many drafts a resident has open.
pub fn count_drafts_of(conn: &mut DbConn, resident_id: &str) -> QueryResult<i64> {
    a::table
        .filter(a::resident_id.eq(resident_id))
        .filter(a::status.eq(ApplicationStatus::Draft.as_str()))
        .count()
        .get_result(conn)
}

pub fn find_document(conn: &mut DbConn, application_id: &str, id: &str) -> QueryResult<Document> {
    d::table.find(id).filter(d::application_id.eq(application_id)).first(conn)
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = o)]
pub struct OutboxEvent {
    pub id: String,
    pub organisation_id: String,
    pub application_id: String,
    pub event_type: String,
    pub payload: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_outbox(conn: &mut DbConn, x: &OutboxEvent) -> QueryResult<()> {
    diesel::insert_into(o::table).values(x).execute(conn).map(|_| ())
}

/// An application of this organisation that it may see (ever submitted); otherwise not found.
pub fn find_for_organisation(conn: &mut DbConn, id: &str, organisation: &str) -> QueryResult<Application> {
    a::table
        .find(id)
        .filter(a::organisation_id.eq(organisation))
        .filter(a::submitted_at.is_not_null())
        .first(conn)
}

pub struct QueueFilter {
    pub statuses: Vec<ApplicationStatus>,
    /// `Some(None)`: unassigned only; `Some(Some(id))`: assigned to `id`.
    pub assignee: Option<Option<String>>,
    pub service_id: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
}

/// An organisation's queue: submitted applications by due date, earliest first.
pub fn queue(
    conn: &mut DbConn,
    organisation: &str,
    f: QueueFilter,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Application>> {
    let mut q = a::table
        .filter(a::organisation_id.eq(organisation))
        .filter(a::submitted_at.is_not_null())
        .filter(a::due_at.is_not_null())
        .into_boxed();
    if !f.statuses.is_empty() {
        q = q.filter(a::status.eq_any(f.statuses.into_iter().map(String::from).collect::<Vec<_>>()));
    }
    match f.assignee {
        Some(None) => q = q.filter(a::assignee_id.is_null()),
        Some(Some(id)) => q = q.filter(a::assignee_id.eq(id)),
        None => {}
    }
    if let Some(s) = f.service_id {
        q = q.filter(a::service_id.eq(s));
    }
    if let Some(t) = f.updated_since {
        q = q.filter(a::updated_at.ge(t));
    }
    if let Some((due, id)) = after {
        q = q.filter(a::due_at.ge(due).and(a::due_at.gt(due).or(a::id.gt(id))));
    }
    q.order((a::due_at.asc(), a::id.asc())).limit(limit).load(conn)
}
