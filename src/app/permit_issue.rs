//! Issuing a permit when an application is approved, in the approval's transaction: the random status
//! slot, the signed credential, the resident's notification and the `permit.issued` webhook. Also the
//! publication of the configured signing key with its window, at start.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, NaiveDateTime};
use rand::Rng;
use serde_json::{Value, json};

use crate::app::workflow;
use crate::auth::permit_keys::PermitKeys;
use crate::db::types::{new_id, now, utc};
use crate::db::{Db, DbConn};
use crate::domain::locale::Locale;
use crate::domain::permit::claims::TOKEN_ID_BYTES;
use crate::domain::permit::spec::permit_body;
use crate::domain::permit::status_list::LIST_SIZE;
use crate::domain::permit::{PermitBody, PermitClaims, StatusRef, encode_qr, notice};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::applications::{self as applications, Application, Notification};
use crate::store::permits::{self as store, Credential, Permit, PermitKey};
use crate::store::{accounts, catalogue};

/// A list takes new permits until half its slots are used, so a random free slot is found at once.
const LIST_FILL: i64 = (LIST_SIZE / 2) as i64;

/// Publishes the configured signing key at start: a key seen for the first time signs from now for its
/// window and ends the window of the key before it, which stays published for the permits it signed.
/// A withdrawn key is refused: it must never sign again.
pub async fn publish_signing_key(db: &Db, keys: std::sync::Arc<PermitKeys>) -> ApiResult<()> {
    db.write(move |conn| {
        let kid = hex::encode(&keys.signer.kid);
        match store::find_key(conn, &kid)? {
            Some(k) if k.withdrawn_at.is_some() => Err(ApiError::internal(
                "the configured permit signing key was withdrawn; configure a new QAT_PERMIT_SIGNING_KEY",
            )),
            Some(_) => Ok(()),
            None => {
                let t = now();
                let window = Duration::from_std(keys.key_window).map_err(ApiError::internal)?;
                store::close_other_windows(conn, &kid, t)?;
                store::insert_key(
                    conn,
                    &PermitKey {
                        kid,
                        public_key: URL_SAFE_NO_PAD.encode(keys.signer.public().as_bytes()),
                        signs_from: t,
                        signs_until: t + window,
                        withdrawn_at: None,
                        created_at: t,
                    },
                )?;
                Ok(())
            }
        }
    })
    .await
}

/// A free slot, drawn at random from the newest list with room (a new list when it is half full).
fn allocate_slot(conn: &mut DbConn) -> ApiResult<(i32, i32)> {
    let (newest, used) = store::newest_list(conn)?;
    let list = if newest == 0 || used >= LIST_FILL { newest + 1 } else { newest };
    let mut rng = rand::rngs::OsRng;
    for _ in 0..64 {
        let index = rng.gen_range(0..LIST_SIZE) as i32;
        if !store::slot_taken(conn, list, index)? {
            return Ok((list, index));
        }
    }
    Err(ApiError::internal(format!("no free slot found in status list {list}")))
}

/// Signs a credential for `permit` now with the current key, which must be inside its window.
pub fn sign_credential(
    conn: &mut DbConn,
    keys: &PermitKeys,
    permit: &Permit,
    body: PermitBody,
) -> ApiResult<Credential> {
    let t = now();
    let kid = hex::encode(&keys.signer.kid);
    let key = store::find_key(conn, &kid)?;
    let usable =
        key.as_ref().is_some_and(|k| k.withdrawn_at.is_none() && k.signs_from <= t && t <= k.signs_until);
    if !usable {
        return Err(ApiError::new(
            ErrorCode::ServiceUnavailable,
            "permits cannot be signed: the signing key is outside its window or withdrawn",
        )
        .with_cause(format!("permit key {kid} cannot sign at {t}")));
    }
    // A credential lives at most `credential_lifetime`; the permit itself may run for years.
    let lifetime = Duration::from_std(keys.credential_lifetime).map_err(ApiError::internal)?;
    // Whole seconds, as the credential carries it.
    let expires_at = chrono::SubsecRound::trunc_subsecs(permit.valid_until.min(t + lifetime), 0);
    let mut token_id = [0u8; TOKEN_ID_BYTES];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut token_id);
    let claims = PermitClaims {
        issuer: keys.issuer.clone(),
        issued_at: utc(t).timestamp(),
        not_before: utc(permit.valid_from).timestamp(),
        expires_at: utc(expires_at).timestamp(),
        token_id: token_id.to_vec(),
        status: StatusRef { idx: permit.status_index as u32, uri: keys.status_uri(permit.status_list) },
        permit: body,
    };
    let qr = encode_qr(&keys.signer.sign(claims.to_cbor(), None));
    Ok(Credential {
        permit_id: permit.id.clone(),
        kid,
        token_id: hex::encode(token_id),
        qr,
        signed_at: t,
        expires_at,
    })
}

/// The printed content of an application's permit, as the approved form and the account give it.
pub fn body_for(conn: &mut DbConn, app: &Application, permit: &Permit) -> ApiResult<Option<PermitBody>> {
    let version = catalogue::find_version(conn, &app.service_id, app.service_version)?;
    let Some(spec) = version.permit_spec()? else { return Ok(None) };
    let org = catalogue::find_organisation(conn, &app.organisation_id)?;
    let account = accounts::find_any(conn, &app.resident_id)?;
    let form_data = Value::from(app.form_data.clone());
    let body = permit_body(
        &spec,
        &version.form_definition()?,
        &form_data,
        &account.full_name,
        &permit.number,
        &org.code,
    );
    Ok(Some(body))
}

/// Issues the permit of a just-approved application if its service version issues one.
pub fn issue_on_approval(
    conn: &mut DbConn,
    keys: &PermitKeys,
    app: &Application,
    approved_at: NaiveDateTime,
) -> ApiResult<Option<Permit>> {
    let version = catalogue::find_version(conn, &app.service_id, app.service_version)?;
    let Some(spec) = version.permit_spec()? else { return Ok(None) };
    let form_data = Value::from(app.form_data.clone());
    let Some(until) = spec.valid_until(utc(approved_at), &form_data) else {
        let field = spec.valid_until_field.clone().unwrap_or_default();
        return Err(ApiError::field(
            &format!("form_data.{field}"),
            "permit_validity",
            "the permit would end before it starts: ask the resident for a later date",
        ));
    };
    let (list, index) = allocate_slot(conn)?;
    let permit = Permit {
        id: new_id(),
        application_id: app.id.clone(),
        resident_id: app.resident_id.clone(),
        organisation_id: app.organisation_id.clone(),
        service_id: app.service_id.clone(),
        permit_type: spec.kind.clone(),
        number: app.reference.clone(),
        status: store::ACTIVE.into(),
        valid_from: approved_at,
        valid_until: until.naive_utc(),
        status_list: list,
        status_index: index,
        revoked_at: None,
        revoke_reason: None,
        created_at: approved_at,
        updated_at: approved_at,
    };
    let body = body_for(conn, app, &permit)?.ok_or_else(|| ApiError::internal("permit setting vanished"))?;
    let credential = sign_credential(conn, keys, &permit, body)?;
    store::insert(conn, &permit, &credential)?;
    let last_day = (until + Duration::hours(8)).format("%Y-%m-%d").to_string();
    notify(conn, &permit, |l| notice::issued(l, &permit.number, &last_day))?;
    workflow::queue_webhook(conn, app, "permit.issued", permit_event(&permit))?;
    Ok(Some(permit))
}

/// What partners hear of a permit: ids, type, status and dates, no personal data.
pub fn permit_event(p: &Permit) -> Value {
    json!({
        "permit_id": p.id,
        "permit_type": p.permit_type,
        "permit_status": p.status,
        "valid_from": utc(p.valid_from),
        "valid_until": utc(p.valid_until),
    })
}

/// Tells the permit's holder in the app, in their language, unless the account was erased; answers
/// the holder it told.
pub fn notify(
    conn: &mut DbConn,
    p: &Permit,
    text: impl FnOnce(Locale) -> (String, String),
) -> ApiResult<Option<accounts::Account>> {
    let resident = accounts::find_any(conn, &p.resident_id)?;
    if resident.status == accounts::DELETED {
        return Ok(None);
    }
    let (title, body) = text(Locale::parse_tag(&resident.preferred_language).unwrap_or(Locale::ZhHant));
    let kind = format!("permit.{}", if p.status == store::REVOKED { "revoked" } else { "issued" });
    let notification = Notification::unread(&p.resident_id, &p.application_id, None, kind, title, body);
    applications::insert_notification(conn, &notification)?;
    Ok(Some(resident))
}
