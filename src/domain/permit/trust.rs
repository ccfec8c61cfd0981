//! The trust list: the permit signing keys a verifier accepts, each with the window in which it signs,
//! itself signed by a root key that verifiers pin and that signs nothing else.

use ciborium::value::Value;
use ed25519_dalek::VerifyingKey;

use super::cose::{self, Malformed, Signer};
use super::{ALGORITHM, TrustedKey};

/// `typ` of a signed trust list.
pub const TYP: &str = "application/qat-trust-list+cbor";

/// The keys and how long the list may be relied on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustList {
    pub issuer: String,
    pub issued_at: i64,
    /// After this a verifier must fetch a new list: keys may have been withdrawn since.
    pub expires_at: i64,
    pub keys: Vec<TrustedKey>,
}

fn int(v: i64) -> Value {
    Value::Integer(v.into())
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

impl TrustList {
    /// The list signed by the root key (tagged COSE_Sign1 bytes).
    pub fn sign(&self, root: &Signer) -> Vec<u8> {
        let keys = self
            .keys
            .iter()
            .map(|k| {
                Value::Map(vec![
                    (text("kid"), Value::Bytes(k.kid.clone())),
                    (text("key"), Value::Bytes(k.public.as_bytes().to_vec())),
                    (text("from"), int(k.signs_from)),
                    (text("until"), int(k.signs_until)),
                ])
            })
            .collect();
        let doc = Value::Map(vec![
            (text("iss"), text(&self.issuer)),
            (text("iat"), int(self.issued_at)),
            (text("exp"), int(self.expires_at)),
            (text("keys"), Value::Array(keys)),
        ]);
        let mut payload = Vec::new();
        let _ = ciborium::ser::into_writer(&doc, &mut payload);
        root.sign(payload, Some(TYP))
    }

    /// Verifies a signed list against the pinned root key and reads it.
    pub fn verify(bytes: &[u8], root: &VerifyingKey) -> Result<Self, Malformed> {
        let envelope = cose::open(bytes, ALGORITHM, Some(TYP))?;
        if envelope.kid != cose::kid_of(root) || !envelope.verify(root) {
            return Err(Malformed("the trust list is not signed by the root key"));
        }
        Self::read(&envelope.payload)
    }

    fn read(payload: &[u8]) -> Result<Self, Malformed> {
        let bad = Malformed("the trust list is malformed");
        let mut reader = payload;
        let value: Value = ciborium::de::from_reader(&mut reader).map_err(|_| bad)?;
        if !reader.is_empty() {
            return Err(bad);
        }
        let map = value.as_map().ok_or(bad)?;
        let get = |m: &'_ [(Value, Value)], name: &str| {
            m.iter().find(|(k, _)| k.as_text() == Some(name)).map(|(_, v)| v.clone()).ok_or(bad)
        };
        let time = |v: Value| v.as_integer().and_then(|i| i64::try_from(i).ok()).ok_or(bad);
        let mut keys = Vec::new();
        for k in get(map, "keys")?.as_array().ok_or(bad)? {
            let m = k.as_map().ok_or(bad)?;
            let public: [u8; 32] =
                get(m, "key")?.as_bytes().and_then(|b| b.as_slice().try_into().ok()).ok_or(bad)?;
            keys.push(TrustedKey {
                kid: get(m, "kid")?.as_bytes().ok_or(bad)?.clone(),
                public: VerifyingKey::from_bytes(&public).map_err(|_| bad)?,
                signs_from: time(get(m, "from")?)?,
                signs_until: time(get(m, "until")?)?,
            });
        }
        Ok(Self {
            issuer: get(map, "iss")?.as_text().ok_or(bad)?.to_owned(),
            issued_at: time(get(map, "iat")?)?,
            expires_at: time(get(map, "exp")?)?,
            keys,
        })
    }
}
