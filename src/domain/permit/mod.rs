//! Digital permits: the signed credential a checkpoint verifies offline, the status list that revokes it
//! and the trust list of keys allowed to sign it. Pure code, shared by the server and `qat-verify`.

pub mod claims;
pub mod cose;
pub mod notice;
pub mod spec;
pub mod status_list;
pub mod trust;

#[cfg(test)]
mod credential_tests;

use ed25519_dalek::VerifyingKey;
use serde::Serialize;

pub use claims::{PermitBody, PermitClaims, StatusRef};
pub use cose::{Algorithm, Malformed, Signer};

/// What every permit payload starts with; the version is in it so that a future format is told apart.
pub const PREFIX: &str = "QAT1:";
/// Longest payload looked at: a version 12 QR holds 419 characters, so anything much longer is not ours
/// and is refused before decoding.
pub const MAX_PAYLOAD_CHARS: usize = 1024;
/// Clock difference between issuer and verifier that is forgiven on `nbf` and `exp`.
pub const CLOCK_TOLERANCE_SECS: i64 = 300;
/// The algorithm permits are signed with.
pub const ALGORITHM: Algorithm = Algorithm::Ed25519;

/// A key a verifier trusts for permits signed inside its window (seconds since the epoch, inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    pub kid: Vec<u8>,
    pub public: VerifyingKey,
    pub signs_from: i64,
    pub signs_until: i64,
}

/// The answer about one permit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Valid,
    Expired,
    NotYetValid,
    Revoked,
    UnknownKey,
    Invalid,
    /// The verifier holds no status list for the permit (offline only).
    StatusUnknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Expired => "expired",
            Verdict::NotYetValid => "not_yet_valid",
            Verdict::Revoked => "revoked",
            Verdict::UnknownKey => "unknown_key",
            Verdict::Invalid => "invalid",
            Verdict::StatusUnknown => "status_unknown",
        }
    }
}

/// A verdict with its reason, and the claims once the signature is known to be good.
#[derive(Debug, Clone)]
pub struct Checked {
    pub verdict: Verdict,
    pub reason: &'static str,
    pub claims: Option<PermitClaims>,
    pub kid: Option<Vec<u8>>,
}

impl Checked {
    fn refused(verdict: Verdict, reason: &'static str) -> Self {
        Self { verdict, reason, claims: None, kid: None }
    }
}

/// The payload as printed: the prefix and the Base45 of a tagged COSE_Sign1.
pub fn encode_qr(cose: &[u8]) -> String {
    format!("{PREFIX}{}", base45::encode(cose))
}

/// The COSE bytes behind a payload: size capped first, prefix, then canonical Base45 only (a string
/// that decodes but would not be written so is refused, so one credential has one printed form).
pub fn decode_qr(qr: &str) -> Result<Vec<u8>, Malformed> {
    if qr.len() > MAX_PAYLOAD_CHARS {
        return Err(Malformed("payload too long"));
    }
    let body = qr.strip_prefix(PREFIX).ok_or(Malformed("not a QAT1 payload"))?;
    let bytes = base45::decode(body).map_err(|_| Malformed("not Base45"))?;
    if base45::encode(&bytes) != body {
        return Err(Malformed("not canonical Base45"));
    }
    Ok(bytes)
}

/// Checks a scanned payload against the trusted keys at `now`. `revoked` answers the permit's status
/// bit, or `None` when the verifier has no list for it. Order: shape, key, signature, key window,
/// validity times (with [`CLOCK_TOLERANCE_SECS`]), status.
pub fn check(
    qr: &str,
    keys: &[TrustedKey],
    now: i64,
    revoked: impl FnOnce(&StatusRef) -> Option<bool>,
) -> Checked {
    let envelope = match decode_qr(qr).and_then(|b| cose::open(&b, ALGORITHM, None)) {
        Ok(e) => e,
        Err(Malformed(why)) => return Checked::refused(Verdict::Invalid, why),
    };
    let candidates: Vec<&TrustedKey> = keys.iter().filter(|k| k.kid == envelope.kid).collect();
    if candidates.is_empty() {
        return Checked::refused(Verdict::UnknownKey, "no trusted key has this key id");
    }
    let Some(key) = candidates.into_iter().find(|k| envelope.verify(&k.public)) else {
        return Checked::refused(Verdict::Invalid, "the signature does not verify");
    };
    let claims = match PermitClaims::from_cbor(&envelope.payload) {
        Ok(c) => c,
        Err(e) => return Checked::refused(Verdict::Invalid, e.0),
    };
    let (verdict, reason) = if claims.issued_at < key.signs_from || claims.issued_at > key.signs_until {
        (Verdict::Invalid, "signed outside the key's signing window")
    } else if claims.not_before > claims.expires_at {
        (Verdict::Invalid, "not valid at any time")
    } else if now + CLOCK_TOLERANCE_SECS < claims.not_before {
        (Verdict::NotYetValid, "not valid yet")
    } else if now - CLOCK_TOLERANCE_SECS > claims.expires_at {
        (Verdict::Expired, "expired")
    } else {
        match revoked(&claims.status) {
            Some(true) => (Verdict::Revoked, "revoked"),
            Some(false) => (Verdict::Valid, "valid"),
            None => (Verdict::StatusUnknown, "no status list for this permit"),
        }
    };
    Checked { verdict, reason, claims: Some(claims), kid: Some(key.kid.clone()) }
}

/// The payload as a printable QR code (SVG), at error correction M, in the smallest version that holds it.
pub fn qr_svg(payload: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M).ok()?;
    Some(code.render::<qrcode::render::svg::Color>().min_dimensions(256, 256).quiet_zone(true).build())
}
