//! A resident's identity documents. Only the owner ever sees the full numbers.

use chrono::{NaiveDate, Utc};

use crate::app::caller::Resident;
use crate::audit::AuditTrail;
use crate::db::Db;
use crate::db::types::{new_id, now};
use crate::domain::FieldError;
use crate::domain::identity::{IdentityKind, IdentityNumber};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::idempotency::{Created, Recorded};
use crate::store::identity_documents::{self as store, IdentityDocument};

/// A document as the resident gives it.
pub struct NewIdentityDocument {
    pub kind: String,
    pub number: String,
    /// ISO date (YYYY-MM-DD).
    pub expires_on: Option<String>,
}

/// The document if its kind, number (by format and, for the mainland kinds, check character) and
/// expiry date are acceptable; otherwise every problem at once.
fn check(owner: &str, input: NewIdentityDocument) -> ApiResult<IdentityDocument> {
    let mut errors = Vec::new();
    let kind = IdentityKind::parse(&input.kind);
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "invalid_option",
            "kind must be macao_id, mainland_travel_permit, mainland_id or residence_permit",
        ));
    }
    let number = kind.and_then(|k| {
        IdentityNumber::parse(k, &input.number).map_err(|e| errors.push(e.field_error("number", k))).ok()
    });
    if let Some(raw) = &input.expires_on {
        match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Err(_) => {
                errors.push(FieldError::new("expires_on", "invalid_date", "expires_on must be YYYY-MM-DD"))
            }
            Ok(d) if d < Utc::now().date_naive() => {
                errors.push(FieldError::new("expires_on", "expired", "the document has expired"))
            }
            Ok(_) => {}
        }
    }
    match number {
        Some(number) if errors.is_empty() => Ok(IdentityDocument {
            id: new_id(),
            account_id: owner.to_owned(),
            kind: number.kind().as_str().into(),
            number: number.as_str().into(),
            expires_on: input.expires_on,
            created_at: now(),
        }),
        _ => Err(ApiError::validation(errors)),
    }
}

fn already_there() -> ApiError {
    ApiError::conflict(ErrorCode::AlreadyExists, "this identity document is already on the account")
}

/// Adds a document to the caller's account; the same kind and number twice is refused with 409.
/// `respond` turns the stored document into the 201 answer that an idempotent retry gets again.
pub async fn add(
    db: &Db,
    caller: Resident,
    input: NewIdentityDocument,
    record: Option<Recorded>,
    trail: AuditTrail,
    respond: impl FnOnce(&IdentityDocument) -> ApiResult<Created> + Send + 'static,
) -> ApiResult<Created> {
    trail.set_subject(&caller.id);
    let doc = check(&caller.id, input)?;
    trail.set_target("identity_document", &doc.id);
    db.write(move |conn| {
        store::insert(conn, &doc).map_err(|e| ApiError::unique_or(e, already_there))?;
        let created = respond(&doc)?;
        created.remember(conn, record.as_ref())?;
        trail.write_in(conn, 201)?;
        Ok(created)
    })
    .await
}

/// The caller's documents, oldest first.
pub async fn list(db: &Db, caller: Resident) -> ApiResult<Vec<IdentityDocument>> {
    db.run(move |conn| Ok(store::list(conn, &caller.id)?)).await
}
