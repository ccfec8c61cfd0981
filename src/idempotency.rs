//! `Idempotency-Key` on creates: a retry with the same key and request gets the first response again; the
//! same key with another request is refused (422); a duplicate that arrives while the first is still
//! running is refused (409). The stored response is written in the transaction that creates the object,
//! so either both exist or neither does.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::db::DbConn;
use crate::db::types::now;
use crate::error::{ApiError, ApiResult};
use crate::http::json::RawBody;
use crate::sealing::{DataKeys, replay_context};
use crate::state::AppState;
use crate::store::idempotency::{self as store, StoredReply};

/// Removes the key from the in-flight set when the request ends, however it ends.
pub struct Guard {
    set: Arc<AppState>,
    id: String,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(mut s) = self.set.in_flight.lock() {
            s.remove(&self.id);
        }
    }
}

/// One create request that carries an `Idempotency-Key`.
pub struct Idempotent {
    owner: String,
    operation: String,
    key: String,
    fingerprint: String,
    keys: Arc<DataKeys>,
    _guard: Guard,
}

fn key_header(req: &HttpRequest) -> ApiResult<Option<String>> {
    let Some(v) = req.headers().get("idempotency-key") else { return Ok(None) };
    let v = v.to_str().map_err(|_| ApiError::malformed("Idempotency-Key must be visible ASCII"))?.trim();
    if v.is_empty() || v.len() > 255 || !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::malformed("Idempotency-Key must be 1 to 255 visible ASCII characters"));
    }
    Ok(Some(v.to_owned()))
}

/// Fingerprint of a JSON request: its parsed body re-serialised with sorted keys, so spacing and key
/// order do not make two equal requests differ.
pub fn json_fingerprint(req: &HttpRequest) -> String {
    use actix_web::HttpMessage;
    let raw = req.extensions().get::<RawBody>().cloned();
    let canonical = raw
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b.0).ok())
        .and_then(|v| serde_json::to_vec(&v).ok())
        .unwrap_or_default();
    fingerprint(&[req.path().as_bytes(), &canonical])
}

/// SHA-256 over the parts of a request that make it "the same request".
pub fn fingerprint(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    hex::encode(h.finalize())
}

pub enum Begin {
    /// No key: proceed without idempotency.
    None,
    /// Proceed, and store the response with [`Idempotent::store`] in the create's transaction.
    Fresh(Idempotent),
    /// The first response, replayed.
    Replay(HttpResponse),
}

/// Looks the key up for this caller and operation before doing any work.
pub async fn begin(
    req: &HttpRequest,
    state: &actix_web::web::Data<AppState>,
    owner: &str,
    operation: impl Into<String>,
    fingerprint: String,
) -> ApiResult<Begin> {
    let operation = operation.into();
    let Some(key) = key_header(req)? else { return Ok(Begin::None) };
    let id = format!("{owner}\u{1f}{operation}\u{1f}{key}");
    {
        let mut set = state.in_flight.lock().map_err(|_| ApiError::internal("idempotency lock poisoned"))?;
        if !set.insert(id.clone()) {
            return Err(in_progress());
        }
    }
    let guard = Guard { set: state.clone().into_inner(), id };
    let (o, op, kk) = (owner.to_owned(), operation.clone(), key.clone());
    let stored = state.db.run(move |conn| Ok(store::find(conn, &o, &op, &kk)?)).await?;
    match stored {
        Some(s) if s.fingerprint != fingerprint => Err(ApiError::new(
            crate::error::ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was used with a different request",
        )),
        Some(s) => Ok(Begin::Replay(replay(&state.data_keys, &s)?)),
        None => Ok(Begin::Fresh(Idempotent {
            owner: owner.to_owned(),
            operation,
            key,
            fingerprint,
            keys: state.data_keys.clone(),
            _guard: guard,
        })),
    }
}

/// The stored first answer, opened. One that does not open (altered, or sealed under a key no longer
/// configured) is never replayed nor replaced: the caller gets a 500 and the log says why.
fn replay(keys: &DataKeys, s: &StoredReply) -> ApiResult<HttpResponse> {
    let open = |part: &str, text: &str| {
        keys.open_text(text, s.key_id.as_deref(), &replay_context(part, &s.owner, &s.operation, &s.key))
            .map_err(|e| ApiError::internal(format!("stored reply for an Idempotency-Key: {e}")))
    };
    let headers: Vec<(String, String)> = serde_json::from_str(&open("headers", &s.headers)?)
        .map_err(|e| ApiError::internal(format!("stored reply: {e}")))?;
    let body = open("body", &s.body)?;
    let status = StatusCode::from_u16(s.status as u16).unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    res.content_type("application/json").insert_header(("Idempotent-Replayed", "true"));
    for (name, value) in headers {
        res.insert_header((name, value));
    }
    Ok(res.body(body))
}

fn in_progress() -> ApiError {
    ApiError::conflict(
        crate::error::ErrorCode::IdempotencyInProgress,
        "a request with this Idempotency-Key is still being processed",
    )
    .with_retry_after(1)
}

/// A 201 response: its headers (Location, ETag) and JSON body, stored for replays.
pub struct Created {
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The account the answer is about, when that is not the caller (a registration's new account).
    subject: Option<String>,
}

impl Created {
    pub fn new<T: serde::Serialize>(location: String, etag: Option<String>, value: &T) -> ApiResult<Self> {
        let mut headers = vec![("Location".to_owned(), location)];
        headers.extend(etag.map(|e| ("ETag".to_owned(), e)));
        Ok(Self { headers, body: serde_json::to_string(value).map_err(ApiError::internal)?, subject: None })
    }

    /// Marks the answer as being about `account_id`, so erasing that account erases the stored answer.
    pub fn about(mut self, account_id: &str) -> Self {
        self.subject = Some(account_id.to_owned());
        self
    }

    pub fn respond(&self) -> HttpResponse {
        let mut res = HttpResponse::Created();
        res.content_type("application/json");
        for (name, value) in &self.headers {
            res.insert_header((name.as_str(), value.as_str()));
        }
        res.body(self.body.clone())
    }

    /// Stores this response under the request's key, if it has one.
    pub fn remember(&self, conn: &mut DbConn, record: Option<&Recorded>) -> ApiResult<()> {
        match record {
            Some(r) => r.store(conn, self),
            None => Ok(()),
        }
    }
}

/// The key of a create that is being processed.
pub struct Recorded {
    pub owner: String,
    pub operation: String,
    pub key: String,
    pub fingerprint: String,
    keys: Arc<DataKeys>,
}

impl Idempotent {
    pub fn record(&self) -> Recorded {
        Recorded {
            owner: self.owner.clone(),
            operation: self.operation.clone(),
            key: self.key.clone(),
            fingerprint: self.fingerprint.clone(),
            keys: self.keys.clone(),
        }
    }
}

impl Recorded {
    /// Stores the response inside the create's transaction. Another instance that stored the same key
    /// first makes this a unique violation: the create rolls back and the caller hears 409.
    /// Headers and body are sealed with the current data key and bound to this key, so the stored
    /// answer (a new API client's secret, a registration's contacts) is never kept in clear.
    pub fn store(&self, conn: &mut DbConn, response: &Created) -> ApiResult<()> {
        let headers = serde_json::to_string(&response.headers).map_err(ApiError::internal)?;
        let context = |part| replay_context(part, &self.owner, &self.operation, &self.key);
        let headers = self.keys.seal(headers.as_bytes(), &context("headers"));
        let body = self.keys.seal(response.body.as_bytes(), &context("body"));
        let row = StoredReply {
            owner: self.owner.clone(),
            operation: self.operation.clone(),
            key: self.key.clone(),
            fingerprint: self.fingerprint.clone(),
            status: 201,
            headers: headers.text,
            body: body.text,
            created_at: now(),
            key_id: Some(body.key_id),
            subject_id: response.subject.clone(),
        };
        store::insert(conn, &row).map_err(|e| match e {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                in_progress()
            }
            other => other.into(),
        })?;
        Ok(())
    }
}

/// An idempotent create, resolved before the create does any work: a replay is answered from the
/// stored first answer without hashing, looking up or writing anything.
pub struct Create(Start);

enum Start {
    Begun(Begin),
    /// Looked up when the create runs: only then has every extractor, the body's included, finished.
    /// Extractors of one handler are polled side by side, so at extraction time the body may still be
    /// arriving and its fingerprint unknown.
    OnRun(HttpRequest),
}

impl Create {
    /// The create of this JSON request, looked up for its caller when [`Create::run`] starts.
    pub fn of_json_request(req: HttpRequest) -> Self {
        Self(Start::OnRun(req))
    }

    /// Looks the request's key up for `owner` and `operation`.
    pub async fn begin(
        req: &HttpRequest,
        state: &actix_web::web::Data<AppState>,
        owner: &str,
        operation: impl Into<String>,
        fingerprint: String,
    ) -> ApiResult<Self> {
        begin(req, state, owner, operation, fingerprint).await.map(|b| Self(Start::Begun(b)))
    }

    /// The key lookup of a JSON create, scoped by the caller (or, for anonymous creates, the client's
    /// address, so one client's key cannot replay another's answer) and the operation. A body that did
    /// not parse creates nothing, so it needs no lookup.
    async fn begin_json(req: HttpRequest) -> ApiResult<Begin> {
        use actix_web::HttpMessage;
        let state = req
            .app_data::<actix_web::web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| ApiError::internal("application state missing"))?;
        let operation = req
            .extensions()
            .get::<crate::http::Operation>()
            .map(|o| o.id.clone())
            .ok_or_else(|| ApiError::internal("create without a documented operation"))?;
        if req.extensions().get::<RawBody>().is_none() {
            return Ok(Begin::None);
        }
        let owner = match req.extensions().get::<crate::auth::Principal>() {
            Some(p) => p.id.clone(),
            None => format!("anonymous:{}", crate::context::client_ip(&req, &state.config.trusted_proxies)),
        };
        begin(&req, &state, &owner, operation, json_fingerprint(&req)).await
    }

    /// Replays the first answer, or runs `create` with the record its transaction must store (via
    /// [`Created::remember`]) and answers 201.
    pub async fn run<F, Fut>(self, create: F) -> ApiResult<HttpResponse>
    where
        F: FnOnce(Option<Recorded>) -> Fut,
        Fut: std::future::Future<Output = ApiResult<Created>>,
    {
        let begun = match self.0 {
            Start::Begun(b) => b,
            Start::OnRun(req) => Self::begin_json(req).await?,
        };
        match begun {
            Begin::Replay(res) => Ok(res),
            Begin::Fresh(guard) => {
                let created = create(Some(guard.record())).await?;
                drop(guard);
                Ok(created.respond())
            }
            Begin::None => Ok(create(None).await?.respond()),
        }
    }
}
