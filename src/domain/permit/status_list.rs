//! Revocation by status list (draft-ietf-oauth-status-list): one bit per permit, index 0 in the least
//! significant bit of the first byte, zlib-compressed, carried in a signed CWT with a time to live.

use std::io::{Read, Write};

use ciborium::value::Value;

use super::cose::{self, Envelope, Malformed, Signer};
use super::{ALGORITHM, TrustedKey};

/// Entries per list: the W3C recommendation's minimum for herd privacy (2^17).
pub const LIST_SIZE: u32 = 131_072;
/// Largest decompressed list a verifier accepts (8 million permits), so a small download cannot expand
/// into gigabytes.
pub const MAX_LIST_BYTES: usize = 1 << 20;
/// `typ` of a status list token.
pub const TYP: &str = "application/statuslist+cwt";

const SUB: i64 = 2;
const EXP: i64 = 4;
const IAT: i64 = 6;
const TTL: i64 = 65534;
const STATUS_LIST: i64 = 65533;

/// A list of revocation bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    bytes: Vec<u8>,
}

impl StatusList {
    /// `size` entries, none revoked.
    pub fn new(size: u32) -> Self {
        Self { bytes: vec![0; size.div_ceil(8) as usize] }
    }

    pub fn len(&self) -> u64 {
        self.bytes.len() as u64 * 8
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Marks `idx` revoked; an index outside the list is ignored.
    pub fn revoke(&mut self, idx: u32) {
        if let Some(b) = self.bytes.get_mut((idx / 8) as usize) {
            *b |= 1 << (idx % 8);
        }
    }

    /// Whether `idx` is revoked; `None` outside the list.
    pub fn is_revoked(&self, idx: u32) -> Option<bool> {
        self.bytes.get((idx / 8) as usize).map(|b| b & (1 << (idx % 8)) != 0)
    }

    pub fn compress(&self) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing into a Vec cannot fail.
        let _ = z.write_all(&self.bytes);
        z.finish().unwrap_or_default()
    }

    /// Decompresses at most `max` bytes; a longer list is refused rather than expanded.
    pub fn decompress(compressed: &[u8], max: usize) -> Result<Self, Malformed> {
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(compressed)
            .take(max as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|_| Malformed("the status list is not zlib data"))?;
        if out.len() > max {
            return Err(Malformed("the status list expands beyond the allowed size"));
        }
        Ok(Self { bytes: out })
    }
}

/// A status list as signed and served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListToken {
    /// The `uri` permits name this list by.
    pub uri: String,
    pub issued_at: i64,
    pub expires_at: i64,
    /// Seconds a verifier may keep it before fetching it again.
    pub ttl: i64,
    pub list: StatusList,
}

fn int(v: i64) -> Value {
    Value::Integer(v.into())
}

impl StatusListToken {
    /// The signed token (tagged COSE_Sign1 bytes).
    pub fn sign(&self, signer: &Signer) -> Vec<u8> {
        let list = Value::Map(vec![
            (Value::Text("bits".into()), int(1)),
            (Value::Text("lst".into()), Value::Bytes(self.list.compress())),
        ]);
        let claims = Value::Map(vec![
            (int(SUB), Value::Text(self.uri.clone())),
            (int(EXP), int(self.expires_at)),
            (int(IAT), int(self.issued_at)),
            (int(TTL), int(self.ttl)),
            (int(STATUS_LIST), list),
        ]);
        let mut payload = Vec::new();
        let _ = ciborium::ser::into_writer(&claims, &mut payload);
        signer.sign(payload, Some(TYP))
    }

    /// Verifies a signed list against the trusted keys and reads it, expanding at most `max_bytes`.
    pub fn verify(bytes: &[u8], keys: &[TrustedKey], max_bytes: usize) -> Result<Self, Malformed> {
        let envelope: Envelope = cose::open(bytes, ALGORITHM, Some(TYP))?;
        let signed = keys.iter().any(|k| k.kid == envelope.kid && envelope.verify(&k.public));
        if !signed {
            return Err(Malformed("the status list is not signed by a trusted key"));
        }
        Self::read(&envelope.payload, max_bytes)
    }

    fn read(payload: &[u8], max_bytes: usize) -> Result<Self, Malformed> {
        let bad = Malformed("the status list claims are malformed");
        let mut reader = payload;
        let value: Value = ciborium::de::from_reader(&mut reader).map_err(|_| bad)?;
        if !reader.is_empty() {
            return Err(bad);
        }
        let Value::Map(entries) = value else { return Err(bad) };
        let (mut uri, mut exp, mut iat, mut ttl, mut lst) = (None, None, None, None, None);
        for (k, v) in entries {
            let k = k.as_integer().and_then(|i| i64::try_from(i).ok()).ok_or(bad)?;
            let time = || v.as_integer().and_then(|i| i64::try_from(i).ok()).ok_or(bad);
            match k {
                SUB => uri = Some(v.as_text().ok_or(bad)?.to_owned()),
                EXP => exp = Some(time()?),
                IAT => iat = Some(time()?),
                TTL => ttl = Some(time()?),
                STATUS_LIST => {
                    let m = v.as_map().ok_or(bad)?;
                    let get = |name: &str| m.iter().find(|(k, _)| k.as_text() == Some(name)).map(|(_, v)| v);
                    let bits = get("bits").and_then(Value::as_integer).and_then(|i| u8::try_from(i).ok());
                    if bits != Some(1) || m.len() != 2 {
                        return Err(Malformed("only one-bit status lists are understood"));
                    }
                    let compressed = get("lst").and_then(Value::as_bytes).ok_or(bad)?;
                    lst = Some(StatusList::decompress(compressed, max_bytes)?);
                }
                _ => return Err(bad),
            }
        }
        Ok(Self {
            uri: uri.ok_or(bad)?,
            expires_at: exp.ok_or(bad)?,
            issued_at: iat.ok_or(bad)?,
            ttl: ttl.ok_or(bad)?,
            list: lst.ok_or(bad)?,
        })
    }
}
