//! How permits, verification results and the trust list look on the wire.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::permits::SignedTrustList;
use crate::db::types::utc;
use crate::domain::permit::{Checked, PermitClaims, TrustedKey};
use crate::store::permits::{Credential, Permit};

fn time(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or_default()
}

/// The credential a permit carries now.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CredentialView {
    /// The QR payload: `QAT1:` and the Base45 of a COSE_Sign1 CWT.
    #[schema(example = "QAT1:6BFOXN*TS0BI$ZD...")]
    pub payload: String,
    /// Hex id of the key that signed it.
    pub kid: String,
    pub signed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A permit as its holder sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PermitView {
    pub id: String,
    pub application_id: String,
    pub service_id: String,
    pub organisation_id: String,
    #[serde(rename = "type")]
    #[schema(example = "vehicle")]
    pub kind: String,
    /// The permit number (the application's reference).
    pub number: String,
    /// `active` or `revoked`.
    pub status: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
    pub credential: CredentialView,
    /// The QR code as SVG, for printing (single permits only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_svg: Option<String>,
}

impl PermitView {
    pub fn new((p, c): (Permit, Credential), with_svg: bool) -> Self {
        Self {
            qr_svg: if with_svg { crate::domain::permit::qr_svg(&c.qr) } else { None },
            id: p.id,
            application_id: p.application_id,
            service_id: p.service_id,
            organisation_id: p.organisation_id,
            kind: p.permit_type,
            number: p.number,
            status: p.status,
            valid_from: utc(p.valid_from),
            valid_until: utc(p.valid_until),
            revoked_at: p.revoked_at.map(utc),
            revoke_reason: p.revoke_reason,
            credential: CredentialView {
                payload: c.qr,
                kid: c.kid,
                signed_at: utc(c.signed_at),
                expires_at: utc(c.expires_at),
            },
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifyPermit {
    /// The scanned payload, `QAT1:...`.
    pub qr: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusView {
    pub idx: u32,
    pub uri: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PermitContentView {
    #[serde(rename = "type")]
    pub kind: String,
    pub number: String,
    /// Code of the issuing organisation.
    pub department: String,
    pub surname: String,
    pub initials: String,
    pub travel_permit_tail: Option<String>,
    pub fields: BTreeMap<String, String>,
}

/// The claims of a permit whose signature verified.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClaimsView {
    pub issuer: String,
    pub issued_at: DateTime<Utc>,
    pub not_before: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Hex of the random token id.
    pub token_id: String,
    pub status: StatusView,
    pub permit: PermitContentView,
}

impl From<PermitClaims> for ClaimsView {
    fn from(c: PermitClaims) -> Self {
        Self {
            issuer: c.issuer,
            issued_at: time(c.issued_at),
            not_before: time(c.not_before),
            expires_at: time(c.expires_at),
            token_id: hex::encode(c.token_id),
            status: StatusView { idx: c.status.idx, uri: c.status.uri },
            permit: PermitContentView {
                kind: c.permit.kind,
                number: c.permit.number,
                department: c.permit.department,
                surname: c.permit.surname,
                initials: c.permit.initials,
                travel_permit_tail: c.permit.travel_permit_tail,
                fields: c.permit.fields.into_iter().collect(),
            },
        }
    }
}

/// What a verification found.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerifyResult {
    /// `valid`, `expired`, `not_yet_valid`, `revoked`, `unknown_key` or `invalid`.
    #[schema(example = "valid")]
    pub result: String,
    /// Why, in English.
    pub reason: String,
    /// Hex id of the key whose signature verified.
    pub kid: Option<String>,
    /// Present once the signature verified (every result but `unknown_key` and `invalid`).
    pub claims: Option<ClaimsView>,
}

impl From<Checked> for VerifyResult {
    fn from(c: Checked) -> Self {
        Self {
            result: c.verdict.as_str().to_owned(),
            reason: c.reason.to_owned(),
            kid: c.kid.map(hex::encode),
            claims: c.claims.map(ClaimsView::from),
        }
    }
}

/// One permit signing key with the window in which it signs.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TrustedKeyView {
    /// Hex of the key id (the first 8 bytes of the SHA-256 of the public key).
    pub kid: String,
    /// Base64url of the Ed25519 public key.
    pub public_key: String,
    pub signs_from: DateTime<Utc>,
    pub signs_until: DateTime<Utc>,
}

impl From<&TrustedKey> for TrustedKeyView {
    fn from(k: &TrustedKey) -> Self {
        Self {
            kid: hex::encode(&k.kid),
            public_key: URL_SAFE_NO_PAD.encode(k.public.as_bytes()),
            signs_from: time(k.signs_from),
            signs_until: time(k.signs_until),
        }
    }
}

/// The trust list: readable keys, and the same list signed by the root key.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TrustListView {
    pub issuer: String,
    pub issued_at: DateTime<Utc>,
    /// Verifiers must fetch a new list before this.
    pub expires_at: DateTime<Utc>,
    /// Hex id of the root key that signed `signed`; verifiers pin the root public key itself.
    pub root_kid: String,
    pub keys: Vec<TrustedKeyView>,
    /// Base64url of the tagged COSE_Sign1 whose payload is this list in CBOR, signed by the root key.
    pub signed: String,
}

impl From<&SignedTrustList> for TrustListView {
    fn from(t: &SignedTrustList) -> Self {
        Self {
            issuer: t.list.issuer.clone(),
            issued_at: time(t.list.issued_at),
            expires_at: time(t.list.expires_at),
            root_kid: hex::encode(&t.root_kid),
            keys: t.list.keys.iter().map(TrustedKeyView::from).collect(),
            signed: URL_SAFE_NO_PAD.encode(&t.signed),
        }
    }
}

/// A permit signing key as a JWK (RFC 8037), with its signing window in seconds since the epoch.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PermitJwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    pub kid: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub signs_from: i64,
    pub signs_until: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PermitJwks {
    pub keys: Vec<PermitJwk>,
}

impl From<&SignedTrustList> for PermitJwks {
    fn from(t: &SignedTrustList) -> Self {
        let keys = t
            .list
            .keys
            .iter()
            .map(|k| PermitJwk {
                kty: "OKP".into(),
                crv: "Ed25519".into(),
                x: URL_SAFE_NO_PAD.encode(k.public.as_bytes()),
                kid: hex::encode(&k.kid),
                alg: "Ed25519".into(),
                use_: "sig".into(),
                signs_from: k.signs_from,
                signs_until: k.signs_until,
            })
            .collect();
        Self { keys }
    }
}
