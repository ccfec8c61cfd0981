//! Keeping credentials fresh under long-lived rights: short-lived credentials are re-signed while the
//! approval stands (so keys can rotate under permits valid for years), and withdrawing a signing key
//! re-issues every active permit it signed with the current key, in one operation.

use std::sync::Arc;

use chrono::NaiveDateTime;

use crate::app::caller::Admin;
use crate::app::permit_issue::{body_for, sign_credential};
use crate::audit::AuditTrail;
use crate::auth::permit_keys::PermitKeys;
use crate::db::types::now;
use crate::db::{Db, DbConn};
use crate::domain::status::ApplicationStatus;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::applications;
use crate::store::permits::{self as store, Permit};

/// Credentials refreshed per run at most, so one run holds its transaction briefly.
const REFRESH_BATCH: i64 = 200;

/// Re-signs a permit's credential with the current key if its approval still stands.
fn resign(conn: &mut DbConn, keys: &PermitKeys, permit: &Permit) -> ApiResult<bool> {
    let app = applications::find_for_organisation(conn, &permit.application_id, &permit.organisation_id)?;
    if app.status != ApplicationStatus::Approved {
        return Ok(false);
    }
    let Some(body) = body_for(conn, &app, permit)? else { return Ok(false) };
    let credential = sign_credential(conn, keys, permit, body)?;
    store::replace_credential(conn, &credential)?;
    Ok(true)
}

/// Re-signs the credentials that expire within `within` while their permit runs on; returns how many.
pub async fn refresh_due(db: &Db, keys: Arc<PermitKeys>, within: chrono::Duration) -> ApiResult<usize> {
    db.write(move |conn| {
        let due = store::due_for_refresh(conn, now() + within, REFRESH_BATCH)?;
        let mut n = 0;
        for permit in &due {
            n += usize::from(resign(conn, &keys, permit)?);
        }
        Ok(n)
    })
    .await
}

/// A withdrawn key and how many permits were re-issued under the current key.
pub struct Withdrawal {
    pub kid: String,
    pub withdrawn_at: NaiveDateTime,
    pub reissued: usize,
}

/// Withdraws a signing key: it leaves the trust list, so every credential it signed fails from the
/// next sync, and every active permit it signed gets a new credential from the current key in the same
/// transaction. The key signing now cannot be withdrawn: configure its successor first.
pub async fn withdraw_key(
    db: &Db,
    keys: Arc<PermitKeys>,
    _caller: Admin,
    kid: String,
    trail: AuditTrail,
) -> ApiResult<Withdrawal> {
    db.write(move |conn| {
        let key = store::find_key(conn, &kid)?.ok_or_else(ApiError::not_found)?;
        if key.withdrawn_at.is_some() {
            return Err(ApiError::conflict(ErrorCode::Conflict, "the key is withdrawn already"));
        }
        if kid == hex::encode(&keys.signer.kid) {
            return Err(ApiError::conflict(
                ErrorCode::Conflict,
                "the key signs permits now: configure a new QAT_PERMIT_SIGNING_KEY and restart first",
            ));
        }
        let t = now();
        store::withdraw_key(conn, &kid, t)?;
        let mut reissued = 0;
        for permit in store::active_signed_by(conn, &kid)? {
            reissued += usize::from(resign(conn, &keys, &permit)?);
        }
        trail.write_in(conn, 200)?;
        Ok(Withdrawal { kid, withdrawn_at: t, reissued })
    })
    .await
}
