//! Residents' permits, and the public side every verifier uses: online verification, the signed trust
//! list and the signed status lists.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{NaiveDateTime, Utc};
use ed25519_dalek::VerifyingKey;

use crate::app::caller::Resident;
use crate::auth::permit_keys::PermitKeys;
use crate::db::types::utc;
use crate::db::{Db, DbConn};
use crate::domain::permit::status_list::{LIST_SIZE, StatusList, StatusListToken};
use crate::domain::permit::trust::TrustList;
use crate::domain::permit::{Checked, TrustedKey, Verdict, check};
use crate::error::{ApiError, ApiResult};
use crate::store::permits::{self as store, Credential, Permit, PermitKey};

/// A page of the caller's permits, newest first.
pub async fn list_mine(
    db: &Db,
    caller: Resident,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> ApiResult<Vec<(Permit, Credential)>> {
    db.run(move |conn| Ok(store::list_for_resident(conn, &caller.id, after, limit)?)).await
}

/// One of the caller's permits with its current credential.
pub async fn get_mine(db: &Db, caller: Resident, id: String) -> ApiResult<(Permit, Credential)> {
    db.run(move |conn| Ok(store::find_for_resident(conn, &id, &caller.id)?)).await
}

fn trusted(k: &PermitKey) -> ApiResult<TrustedKey> {
    let bytes: [u8; 32] = URL_SAFE_NO_PAD
        .decode(&k.public_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| ApiError::internal(format!("stored permit key {} is not 32 bytes", k.kid)))?;
    Ok(TrustedKey {
        kid: hex::decode(&k.kid).map_err(ApiError::internal)?,
        public: VerifyingKey::from_bytes(&bytes).map_err(ApiError::internal)?,
        signs_from: utc(k.signs_from).timestamp(),
        signs_until: utc(k.signs_until).timestamp(),
    })
}

/// The keys a verifier trusts now: every published key that was not withdrawn.
pub fn trusted_keys(conn: &mut DbConn) -> ApiResult<Vec<TrustedKey>> {
    store::keys(conn)?.iter().filter(|k| k.withdrawn_at.is_none()).map(trusted).collect()
}

/// The list number in a status URI this server gave out, if it is one.
fn list_of(keys: &PermitKeys, uri: &str) -> Option<i32> {
    let n: i32 = uri.rsplit_once('/')?.1.parse().ok()?;
    (keys.status_uri(n) == uri).then_some(n)
}

/// Verifies a scanned payload online: the same checks as a checkpoint, against the current keys and the
/// current status (a revocation counts at once). Only the verdict leaves; the payload is never logged.
pub async fn verify(db: &Db, keys: Arc<PermitKeys>, qr: String) -> ApiResult<Checked> {
    db.run(move |conn| {
        let trusted = trusted_keys(conn)?;
        let mut lookup_error = None;
        let mut checked = check(&qr, &trusted, Utc::now().timestamp(), |status| {
            let list = list_of(&keys, &status.uri)?;
            let index = i32::try_from(status.idx).ok()?;
            match store::find_by_slot(conn, list, index) {
                Ok(permit) => permit.map(|p| p.status == store::REVOKED),
                Err(e) => {
                    lookup_error = Some(e);
                    None
                }
            }
        });
        if let Some(e) = lookup_error {
            return Err(e.into());
        }
        if checked.verdict == Verdict::StatusUnknown {
            // Signed by a trusted key yet naming no slot this server gave out.
            checked.verdict = Verdict::Invalid;
            checked.reason = "the permit's status is unknown to this issuer";
        }
        Ok(checked)
    })
    .await
}

/// The trust list as served: its content and its signed form.
pub struct SignedTrustList {
    pub list: TrustList,
    pub signed: Vec<u8>,
    pub root_kid: Vec<u8>,
}

/// Builds and signs the trust list of the keys verifiers should hold now.
pub async fn trust_list(db: &Db, keys: Arc<PermitKeys>) -> ApiResult<SignedTrustList> {
    let trusted = db.run(trusted_keys).await?;
    let now = Utc::now().timestamp();
    let list = TrustList {
        issuer: keys.issuer.clone(),
        issued_at: now,
        expires_at: now + keys.trust_list_ttl.as_secs() as i64,
        keys: trusted,
    };
    let signed = list.sign(&keys.root);
    Ok(SignedTrustList { list, signed, root_kid: keys.root.kid.clone() })
}

/// Builds and signs status list `list` from the permits revoked on it now; 404 for a list never used.
pub async fn status_list(db: &Db, keys: Arc<PermitKeys>, list: i32) -> ApiResult<(StatusListToken, Vec<u8>)> {
    let revoked = db
        .run(move |conn| {
            if !store::list_exists(conn, list)? {
                return Err(ApiError::not_found());
            }
            Ok(store::revoked_indexes(conn, list)?)
        })
        .await?;
    let mut bits = StatusList::new(LIST_SIZE);
    for i in revoked {
        bits.revoke(i as u32);
    }
    let now = Utc::now().timestamp();
    let ttl = keys.status_list_ttl.as_secs() as i64;
    let token = StatusListToken {
        uri: keys.status_uri(list),
        issued_at: now,
        // A list kept far past its time to live no longer says a permit is not revoked.
        expires_at: now + 24 * 3600,
        ttl,
        list: bits,
    };
    let signed = token.sign(&keys.signer);
    Ok((token, signed))
}
