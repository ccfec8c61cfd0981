//! Signed envelopes: a COSE_Sign1 (RFC 9052) signed with one algorithm only, its `alg` and `kid` in the
//! protected header and nothing in the unprotected one, so that no part of what decides verification can
//! be changed without breaking the signature. Permits, status lists and trust lists all travel in one.

use coset::iana::{self, EnumI64};
use coset::{
    CoseSign1, CoseSign1Builder, HeaderBuilder, Label, RegisteredLabelWithPrivate, TaggedCborSerializable,
};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Bytes of a key id: the start of the SHA-256 of the public key.
pub const KID_BYTES: usize = 8;
/// COSE header label of the content type (`typ`, RFC 9596).
const TYP: i64 = 16;

/// The signature algorithms a signer may be configured with. Only Ed25519 today; the choice lives here
/// so that another (SM2, if mainland rules ever demand it) is one variant, not a search through the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Ed25519, COSE `alg` -19 (RFC 9864), verified strictly.
    Ed25519,
}

impl Algorithm {
    fn cose(self) -> iana::Algorithm {
        match self {
            Algorithm::Ed25519 => iana::Algorithm::Ed25519,
        }
    }
}

/// The key id of a public key.
pub fn kid_of(public: &VerifyingKey) -> Vec<u8> {
    Sha256::digest(public.as_bytes())[..KID_BYTES].to_vec()
}

/// A private key that signs envelopes.
pub struct Signer {
    pub kid: Vec<u8>,
    pub algorithm: Algorithm,
    key: SigningKey,
}

impl Signer {
    pub fn new(key: SigningKey) -> Self {
        Self { kid: kid_of(&key.verifying_key()), algorithm: Algorithm::Ed25519, key }
    }

    pub fn public(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// A tagged COSE_Sign1 over `payload`; `typ` names what the payload is when it is not a permit.
    pub fn sign(&self, payload: Vec<u8>, typ: Option<&str>) -> Vec<u8> {
        let mut header = HeaderBuilder::new().algorithm(self.algorithm.cose()).key_id(self.kid.clone());
        if let Some(t) = typ {
            header = header.value(TYP, coset::cbor::value::Value::Text(t.to_owned()));
        }
        CoseSign1Builder::new()
            .protected(header.build())
            .payload(payload)
            .create_signature(&[], |tbs| self.key.sign(tbs).to_bytes().to_vec())
            .build()
            .to_tagged_vec()
            // Serialising a structure built here cannot fail.
            .unwrap_or_default()
    }
}

/// Why an envelope was refused before any key was tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

/// A parsed envelope whose signature is not checked yet.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub kid: Vec<u8>,
    pub payload: Vec<u8>,
    sign1: CoseSign1,
}

/// Parses a tagged COSE_Sign1 and refuses everything but the expected shape: nothing after it, the
/// expected algorithm and a key id in the protected header, an empty unprotected header, the expected
/// `typ` (none for permits), an attached payload and a signature of the algorithm's length.
pub fn open(bytes: &[u8], algorithm: Algorithm, typ: Option<&str>) -> Result<Envelope, Malformed> {
    let sign1 = CoseSign1::from_tagged_slice(bytes).map_err(|e| match e {
        coset::CoseError::ExtraneousData => Malformed("bytes after the signed structure"),
        _ => Malformed("not a tagged COSE_Sign1"),
    })?;
    if !sign1.unprotected.is_empty() {
        return Err(Malformed("the unprotected header must be empty"));
    }
    let h = &sign1.protected.header;
    if h.alg != Some(RegisteredLabelWithPrivate::Assigned(algorithm.cose())) {
        return Err(Malformed("unexpected algorithm"));
    }
    if h.key_id.len() != KID_BYTES {
        return Err(Malformed("no key id in the protected header"));
    }
    let found_typ = h.rest.iter().find(|(l, _)| *l == Label::Int(TYP)).map(|(_, v)| v.as_text());
    let extra = h.rest.iter().filter(|(l, _)| *l != Label::Int(TYP)).count();
    if found_typ != typ.map(Some) || extra > 0 || !h.crit.is_empty() || h.content_type.is_some() {
        return Err(Malformed("unexpected protected header"));
    }
    if !h.iv.is_empty() || !h.partial_iv.is_empty() || !h.counter_signatures.is_empty() {
        return Err(Malformed("unexpected protected header"));
    }
    let payload = sign1.payload.clone().ok_or(Malformed("no payload"))?;
    if sign1.signature.len() != Signature::BYTE_SIZE {
        return Err(Malformed("signature of the wrong length"));
    }
    Ok(Envelope { kid: h.key_id.clone(), payload, sign1 })
}

impl Envelope {
    /// Whether `key` made the signature, by RFC 8032's strict rules (no malleable signatures, no weak keys).
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        self.sign1
            .verify_signature(&[], |sig, tbs| {
                let sig = Signature::from_slice(sig).map_err(|_| ())?;
                key.verify_strict(tbs, &sig).map_err(|_| ())
            })
            .is_ok()
    }
}

/// The COSE algorithm number of an algorithm, for documents that name it.
pub fn algorithm_number(a: Algorithm) -> i64 {
    a.cose().to_i64()
}
